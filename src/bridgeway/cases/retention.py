"""Retention of case records (UNICEF Policy on Personal Data Protection: processing
"limited in time"): a closed case whose ``closed_at + BRIDGEWAY_CASE_RETENTION_YEARS``
(default 10) has passed is anonymised or deleted, as ``BRIDGEWAY_CASE_RETENTION_POLICY``
says ("anonymise", the default, or "delete").

* **anonymise**: the case keeps its non-identifying statistics fields (status, risk,
  group type, association mode, association country, victim status, closure reason) with
  every date truncated to 1 January of its year; its free text is blanked, its notes,
  timeline entries, tasks and every other app's rows about it (forms, care, referrals)
  are deleted and its justice record is expunged (``justice.retention.expunge_rows``). When no other case of the child is still kept
  (every other case is closed and anonymised too), the child is anonymised as well: names,
  aliases, the name search keys, identifiers, family members and age assessments are
  deleted, free text blanked, and only the year of birth, sex and nationalities remain.
  A child with another case still kept keeps its identity (that case needs it).
* **delete**: the case and every row that depends on it are deleted, and the child too
  when it has no other case.

One transaction per case, with its ``RetentionAction`` marker (which makes the job
idempotent) and one audit entry listing kinds and row counts only. Other apps' rows
that hang off a case (care, forms, referrals) are deleted by the "delete" policy through
Django's relation metadata; the "anonymise" policy deletes them too (form answers, plans,
consents and referrals are the child's story in free text, not statistics fields).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction

from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.models import Case, CaseEvent, CaseNote, Status, Task
from bridgeway.registry import models as reg

ANONYMISE = "anonymise"
DELETE = "delete"

#: Free-text fields of a case, blanked on anonymisation.
CASE_TEXT_FIELDS = ("association_place", "victim_recognized_by", "alleged_offence",
                    "closure_note")
#: Datetime fields of a case truncated to 1 January of their year.
CASE_DATETIME_FIELDS = ("opened_at", "first_assessment_due", "first_assessment_done_at",
                        "closure_requested_at", "closed_at")
CASE_DATE_FIELDS = ("association_from", "association_to", "victim_recognized_on")


def retention_years() -> int:
    return int(getattr(settings, "BRIDGEWAY_CASE_RETENTION_YEARS", 10))


def retention_policy() -> str:
    value = str(getattr(settings, "BRIDGEWAY_CASE_RETENTION_POLICY", ANONYMISE)).lower()
    if value not in (ANONYMISE, DELETE):
        raise ValueError(f"BRIDGEWAY_CASE_RETENTION_POLICY must be {ANONYMISE!r} or "
                         f"{DELETE!r}, not {value!r}")
    return value


def retain_until(case: Case) -> datetime | None:
    from bridgeway.justice.retention import add_years

    if case.status != Status.CLOSED or case.closed_at is None:
        return None
    return add_years(case.closed_at, retention_years())


def _done_ids() -> Any:
    from bridgeway.justice.models import RetentionAction

    return RetentionAction.objects.filter(action__in=[ANONYMISE, DELETE]).values("case_id")


def plan_cases(*, now: datetime) -> list[Any]:
    """The cases the next run would anonymise or delete (reads only)."""
    from bridgeway.justice.retention import Planned

    action = retention_policy()
    cases = (Case.objects.filter(status=Status.CLOSED, closed_at__isnull=False)
             .exclude(pk__in=_done_ids()).order_by("pk"))
    return [Planned(c.pk, c.case_number, action, case_row_counts(c))
            for c in cases if (until := retain_until(c)) is not None and until <= now]


def case_row_counts(case: Case) -> dict[str, int]:
    counts = {
        "case_notes": CaseNote.objects.filter(case_id=case.pk).count(),
        "case_timeline_entries": CaseEvent.objects.filter(case_id=case.pk).count(),
        "tasks": Task.objects.filter(case_id=case.pk).count(),
    }
    return {k: v for k, v in counts.items() if v}


# ------------------------------------------------------------------ anonymise


def _year_start_dt(value: datetime | None) -> datetime | None:
    return None if value is None else datetime(value.year, 1, 1, tzinfo=UTC)


def _year_start(value: date | None) -> date | None:
    return None if value is None else date(value.year, 1, 1)


def _child_still_kept(case: Case) -> bool:
    """Whether another case of the child is still kept (open, or closed but not yet
    anonymised): then the child's identity stays."""
    return (Case.objects.filter(child_id=case.child_id).exclude(pk=case.pk)
            .exclude(pk__in=_done_ids()).exists())


def _anonymise_child(child_id: int) -> dict[str, int]:
    removed: dict[str, int] = {
        "names": reg.ChildName.objects.filter(child_id=child_id).delete()[0],
        "aliases": reg.Alias.objects.filter(child_id=child_id).delete()[0],
        "name_search_keys": reg.NameKey.objects.filter(child_id=child_id).delete()[0],
        "identifiers": reg.Identifier.objects.filter(child_id=child_id).delete()[0],
        "family_members": reg.FamilyMember.objects.filter(child_id=child_id).delete()[0],
        "age_assessments": reg.AgeAssessment.objects.filter(child_id=child_id).delete()[0],
    }
    # Rows of other apps about the child (correction requests …), never its cases.
    _delete_dependents(reg.Child, [child_id], removed, skip=(Case,))
    child = reg.Child.objects.get(pk=child_id)
    year_of_birth = _year_start(child.youngest_birth_date or child.date_of_birth)
    # ``update`` goes through the ORM (field encryption, if any, still applies) without
    # the registry services' side effects (search index rebuild, versioning).
    reg.Child.objects.filter(pk=child_id).update(
        display_name="", place_of_birth="", country_of_birth="", languages=[],
        birth_registration=reg.BirthRegistration.UNKNOWN, deleted_reason="",
        date_of_birth=year_of_birth, date_of_birth_estimated=year_of_birth is not None,
        youngest_birth_date=year_of_birth)
    removed["child_identity_fields"] = 1
    return {k: v for k, v in removed.items() if v}


def anonymise_rows(case: Case) -> dict[str, int]:
    """Anonymise one case (and its child when no other case keeps it). Caller holds the
    transaction. Returns the kinds and row counts removed."""
    from bridgeway.justice.retention import expunge_rows

    removed: dict[str, int] = {}
    removed.update(expunge_rows(case))
    removed.update({
        "case_notes": CaseNote.objects.filter(case_id=case.pk).delete()[0],
        "case_timeline_entries": CaseEvent.objects.filter(case_id=case.pk).delete()[0],
        "tasks": Task.objects.filter(case_id=case.pk).delete()[0],
    })
    # Every other row hanging off the case (form records and their care records, plans,
    # reviews, consents, referrals, transfers, break-glass uses) holds the child's story
    # in free text or form answers: none of it is a statistics field, so it goes.
    _delete_dependents(Case, [case.pk], removed)
    updates: dict[str, Any] = {name: "" for name in CASE_TEXT_FIELDS}
    updates.update({name: _year_start_dt(getattr(case, name))
                    for name in CASE_DATETIME_FIELDS})
    updates.update({name: _year_start(getattr(case, name)) for name in CASE_DATE_FIELDS})
    Case.objects.filter(pk=case.pk).update(assigned_to=None, **updates)
    removed["case_text_fields"] = sum(1 for n in CASE_TEXT_FIELDS if getattr(case, n))
    if not _child_still_kept(case):
        removed.update(_anonymise_child(case.child_id))
    return {k: v for k, v in removed.items() if v}


# -------------------------------------------------------------------- delete


def _delete_dependents(model: type[models.Model], ids: list[Any], removed: dict[str, int],
                       depth: int = 0, skip: tuple[type[models.Model], ...] = ()) -> None:
    """Delete the rows pointing at ``model`` rows ``ids`` (any ``on_delete``), deepest
    first, so PROTECTed relations do not block the deletion of the case."""
    if depth > 6 or not ids:
        return
    for rel in model._meta.related_objects:
        related = rel.related_model
        if rel.many_to_many or related is model or related in skip:
            continue
        from bridgeway.audit.models import AuditEntry

        if related is AuditEntry:
            continue  # never touched (and not a real foreign key)
        rows = list(related._default_manager.filter(**{f"{rel.field.name}__in": ids})
                    .values_list("pk", flat=True))
        if not rows:
            continue
        _delete_dependents(related, rows, removed, depth + 1)
        # Self-references (transfer chains) protect their own links.
        for f in related._meta.get_fields():
            if (getattr(f, "many_to_one", False) or getattr(f, "one_to_one", False)) and \
                    getattr(f, "related_model", None) is related and f.concrete and f.null:
                related._default_manager.filter(pk__in=rows).update(**{f.name: None})
        n, _ = related._default_manager.filter(pk__in=rows).delete()
        key = related._meta.db_table
        removed[key] = removed.get(key, 0) + n


def delete_rows(case: Case) -> dict[str, int]:
    """Delete one case with everything depending on it, and its child when no other
    case of the child remains. Caller holds the transaction."""
    from bridgeway.justice.retention import expunge_rows

    removed: dict[str, int] = dict(expunge_rows(case))
    _delete_dependents(Case, [case.pk], removed)
    Case.objects.filter(pk=case.pk).delete()
    removed["cases"] = 1
    if not Case.objects.filter(child_id=case.child_id).exists():
        _delete_dependents(reg.Child, [case.child_id], removed)
        reg.Child.objects.filter(pk=case.child_id).delete()
        removed["children"] = 1
    return {k: v for k, v in removed.items() if v}


# --------------------------------------------------------------------- apply


def apply(case: Case, *, action: str, run: Any, now: datetime) -> bool:
    """Anonymise or delete one case in one transaction, with its marker and audit
    entry. False when another run already did it (idempotent)."""
    from bridgeway.justice.models import RetentionAction

    with transaction.atomic():
        locked = Case.objects.select_for_update().filter(pk=case.pk).first()
        if locked is None or RetentionAction.objects.filter(
                case_id=case.pk, action__in=[ANONYMISE, DELETE]).exists():
            return False
        removed = anonymise_rows(locked) if action == ANONYMISE else delete_rows(locked)
        RetentionAction.objects.create(run=run, case_id=case.pk, action=action, at=now,
                                       counts=removed)
        audit_record(actor=None, action=Action.DELETE if action == DELETE else Action.UPDATE,
                     object_type="case_retention", object_id=case.case_number,
                     child_id=case.child_id, case_id=case.pk,
                     detail={"retention": action, "run": run.pk, "removed": removed})
    return True
