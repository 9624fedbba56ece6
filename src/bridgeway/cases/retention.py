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
idempotent) and one audit entry listing kinds and row counts only. Other apps' rows that
hang off a case or a leaving child (forms: records, raw submissions and their stored
attachment files; care: care records, approvals, plan goals and actions, services,
reviews; referrals: consents, referrals, service reports, transfers and their events,
break-glass uses, notifications, correction requests) are found through Django's relation
metadata, hidden relations (``related_name="+"``) included, so a new model pointing at a
case is covered without a change here. Both policies delete them (form answers, plans,
consents and referrals are the child's story in free text, not statistics fields).

What goes is worked out first (``case_removal``, reads only); the dry run reports those
counts and the real run deletes exactly those rows and reports the same counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction

from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.models import Case, CaseEvent, CaseNote, Status, Task
from bridgeway.core.kill_points import kill_point
from bridgeway.registry import models as reg

log = logging.getLogger("bridgeway.cases.retention")

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
    """The cases the next run would anonymise or delete, each with the row counts that
    run will remove and report (reads only). Cases are planned in the order the run
    takes them, so a child with two due cases is counted as leaving with the second."""
    from bridgeway.justice.retention import Planned

    action = retention_policy()
    cases = (Case.objects.filter(status=Status.CLOSED, closed_at__isnull=False)
             .exclude(pk__in=_done_ids()).order_by("pk"))
    planned: list[Any] = []
    going: set[int] = set()
    for case in cases:
        until = retain_until(case)
        if until is None or until > now:
            continue
        removal = case_removal(case, action=action, also_going=frozenset(going))
        planned.append(Planned(case.pk, case.case_number, action, removal.counts))
        going.add(case.pk)
    return planned


def case_row_counts(case: Case) -> dict[str, int]:
    """What the policy in force would remove for ``case`` (kinds and row counts)."""
    return case_removal(case, action=retention_policy()).counts


# ------------------------------------------------------------ what goes


Rows = list[tuple[type[models.Model], list[Any]]]


def _reverse_relations(model: type[models.Model]) -> list[Any]:
    """Every relation pointing at ``model``, hidden ones (``related_name="+"``: plan
    goals and actions, approvals, raw submissions, notifications, correction requests)
    included: ``_meta.related_objects`` leaves those out."""
    return [f for f in model._meta.get_fields(include_hidden=True)
            if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)]


def _dependents(model: type[models.Model], ids: list[Any], *,
                skip: tuple[type[models.Model], ...], found: dict[Any, set[Any]]) -> Rows:
    """The rows pointing at ``model`` rows ``ids``, transitively and whatever their
    ``on_delete``, in an order they can be deleted in (a row after everything pointing
    at it). Each row is listed once (``found`` is shared between calls); relations of a
    model to itself (transfer chains, a plan goal's origin) are cleared before deletion
    instead. Reads only."""
    from bridgeway.audit.models import AuditEntry

    order: Rows = []
    if not ids:
        return order
    for rel in _reverse_relations(model):
        related = rel.related_model
        if related is model or related in skip or related is AuditEntry:
            continue  # the audit log is never touched (and holds no foreign key)
        seen = found.setdefault(related, set())
        rows = [pk for pk in related._base_manager.filter(**{f"{rel.field.name}__in": ids})
                .order_by("pk").values_list("pk", flat=True) if pk not in seen]
        if not rows:
            continue
        seen.update(rows)
        order += _dependents(related, rows, skip=skip, found=found)
        order.append((related, rows))
    return order


def _stored_files(rows: Rows) -> list[tuple[Any, str]]:
    """The stored files (ODK attachments …) of ``rows``: (storage, name)."""
    files: list[tuple[Any, str]] = []
    for model, pks in rows:
        file_fields = [f for f in model._meta.concrete_fields
                       if isinstance(f, models.FileField)]
        if not file_fields:
            continue
        for values in (model._base_manager.filter(pk__in=pks)
                       .values_list(*(f.attname for f in file_fields))):
            files += [(f.storage, name) for f, name in zip(file_fields, values, strict=True)
                      if name]
    return files


def _child_identity_models() -> tuple[type[models.Model], ...]:
    return (reg.ChildName, reg.Alias, reg.NameKey, reg.Identifier, reg.FamilyMember,
            reg.AgeAssessment)


@dataclass(frozen=True)
class Removal:
    """What anonymising or deleting one case removes, worked out before anything is
    touched: the dry run reports ``counts``; the real run deletes ``rows`` (the rows of
    other apps hanging off the case, and off the child when it goes too) with the
    explicit steps around them, and reports the same ``counts``."""

    counts: dict[str, int]
    rows: Rows
    files: list[tuple[Any, str]]
    child_goes: bool
    terms: list[Any]


def _terms_left_unused(child_id: int) -> list[Any]:
    """The name-search vocabulary rows (``registry.NameTerm``) that only this child's
    search keys use: once the keys go, their count falls to 0, and a term nobody else
    holds is the child's name spelt out. The registry keeps such rows (search ignores
    them); retention deletes them."""
    held: dict[tuple[str, str], int] = {}
    for kind, key in reg.NameKey.objects.filter(child_id=child_id).values_list("kind", "key"):
        held[(kind, key)] = held.get((kind, key), 0) + 1
    if not held:
        return []
    keys = {key for _, key in held}
    return [pk for pk, kind, key, df in reg.NameTerm.objects.filter(key__in=keys)
            .values_list("pk", "kind", "key", "df") if df <= held.get((kind, key), 0)]


def _drop_unused_terms(pks: list[Any]) -> None:
    """Delete those vocabulary rows still at 0 (a registration since may use them
    again), locked in the (kind, key) order the registry's triggers lock them in."""
    if pks:
        unused = reg.NameTerm.objects.filter(pk__in=pks, df__lte=0)
        locked = list(unused.select_for_update().order_by("kind", "key")
                      .values_list("pk", flat=True))
        reg.NameTerm.objects.filter(pk__in=locked).delete()


def case_removal(case: Case, *, action: str,
                 also_going: frozenset[int] = frozenset()) -> Removal:
    """Count what ``action`` would remove for ``case`` (reads only). ``also_going``: cases
    the same run handles before this one (their child may then leave with this case)."""
    from bridgeway.justice import retention as justice_retention
    from bridgeway.justice.evaluation import TASK_PREFIX

    counts: dict[str, int] = dict(justice_retention.justice_row_counts(case.pk))
    counts["case_notes"] = CaseNote.objects.filter(case_id=case.pk).count()
    counts["case_timeline_entries"] = CaseEvent.objects.filter(case_id=case.pk).exclude(
        kind__in=justice_retention.JUSTICE_CASE_EVENT_KINDS).count()
    counts["tasks"] = Task.objects.filter(case_id=case.pk).exclude(
        source_key__startswith=TASK_PREFIX).count()
    found: dict[Any, set[Any]] = {}
    handled = (CaseNote, CaseEvent, Task, *justice_retention.JUSTICE_MODELS)
    rows = _dependents(Case, [case.pk], skip=handled, found=found)
    others = Case.objects.filter(child_id=case.child_id).exclude(pk=case.pk).exclude(
        pk__in=also_going)
    if action == ANONYMISE:
        counts["case_text_fields"] = sum(1 for n in CASE_TEXT_FIELDS if getattr(case, n))
        # The child's identity stays while another of its cases is still kept (open, or
        # closed but not yet anonymised): that case needs it.
        child_goes = not others.exclude(pk__in=_done_ids()).exists()
        if child_goes:
            for key, model in zip(
                    ("names", "aliases", "name_search_keys", "identifiers",
                     "family_members", "age_assessments"), _child_identity_models(),
                    strict=True):
                counts[key] = model._base_manager.filter(child_id=case.child_id).count()
            rows += _dependents(reg.Child, [case.child_id], found=found,
                                skip=(Case, *_child_identity_models()))
            counts["child_identity_fields"] = 1
    else:
        counts["cases"] = 1
        child_goes = not others.exists()
        if child_goes:
            rows += _dependents(reg.Child, [case.child_id], skip=(Case,), found=found)
            counts["children"] = 1
    for model, pks in rows:
        key = model._meta.db_table
        counts[key] = counts.get(key, 0) + len(pks)
    files = _stored_files(rows)
    counts["stored_files"] = len(files)
    terms = _terms_left_unused(case.child_id) if child_goes else []
    counts["name_search_terms"] = len(terms)
    return Removal({k: v for k, v in counts.items() if v}, rows, files, child_goes, terms)


def _delete(rows: Rows) -> None:
    for model, pks in rows:
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is model and f.null:
                model._base_manager.filter(pk__in=pks).update(**{f.name: None})
        model._base_manager.filter(pk__in=pks).delete()


def _delete_files_after_commit(files: list[tuple[Any, str]]) -> None:
    """Stored files go once the deletion of their rows is committed (a rolled-back run
    keeps both). A file that cannot be deleted is logged by name, never by content."""
    def delete() -> None:
        for storage, name in files:
            try:
                storage.delete(name)
            except OSError:
                log.exception("retention: could not delete stored file %s", name)

    if files:
        transaction.on_commit(delete)


# ------------------------------------------------------------------ anonymise


def _year_start_dt(value: datetime | None) -> datetime | None:
    return None if value is None else datetime(value.year, 1, 1, tzinfo=UTC)


def _year_start(value: date | None) -> date | None:
    return None if value is None else date(value.year, 1, 1)


def _anonymise_child(child_id: int) -> None:
    for model in _child_identity_models():
        model._base_manager.filter(child_id=child_id).delete()
    child = reg.Child.objects.get(pk=child_id)
    year_of_birth = _year_start(child.youngest_birth_date or child.date_of_birth)
    # ``update`` goes through the ORM (field encryption, if any, still applies) without
    # the registry services' side effects (search index rebuild, versioning).
    reg.Child.objects.filter(pk=child_id).update(
        display_name="", place_of_birth="", country_of_birth="", languages=[],
        birth_registration=reg.BirthRegistration.UNKNOWN, deleted_reason="",
        date_of_birth=year_of_birth, date_of_birth_estimated=year_of_birth is not None,
        youngest_birth_date=year_of_birth)


def _remove_case_rows(case: Case, removal: Removal) -> None:
    """The steps both policies share: the justice record, the case's notes, timeline
    and tasks, then every other row hanging off the case (and off the child when it
    goes), and their stored files."""
    from bridgeway.justice.retention import expunge_rows

    expunge_rows(case)
    CaseNote.objects.filter(case_id=case.pk).delete()
    CaseEvent.objects.filter(case_id=case.pk).delete()
    Task.objects.filter(case_id=case.pk).delete()
    _delete(removal.rows)
    _delete_files_after_commit(removal.files)


def anonymise_rows(case: Case) -> dict[str, int]:
    """Anonymise one case (and its child when no other case keeps it). Caller holds the
    transaction. Returns the kinds and row counts removed."""
    removal = case_removal(case, action=ANONYMISE)
    # Every row of other apps hanging off the case (form records and submissions with
    # their attachments, care records, plans, reviews, services, consents, referrals,
    # transfers, break-glass uses, notifications, correction requests) holds the child's
    # story in free text or form answers: none of it is a statistics field, so it goes.
    _remove_case_rows(case, removal)
    updates: dict[str, Any] = {name: "" for name in CASE_TEXT_FIELDS}
    updates.update({name: _year_start_dt(getattr(case, name))
                    for name in CASE_DATETIME_FIELDS})
    updates.update({name: _year_start(getattr(case, name)) for name in CASE_DATE_FIELDS})
    Case.objects.filter(pk=case.pk).update(assigned_to=None, **updates)
    if removal.child_goes:
        _anonymise_child(case.child_id)
        _drop_unused_terms(removal.terms)
    return removal.counts


# -------------------------------------------------------------------- delete


def delete_rows(case: Case) -> dict[str, int]:
    """Delete one case with everything depending on it, and its child when no other
    case of the child remains. Caller holds the transaction."""
    removal = case_removal(case, action=DELETE)
    _remove_case_rows(case, removal)
    Case.objects.filter(pk=case.pk).delete()
    if removal.child_goes:
        reg.Child.objects.filter(pk=case.child_id).delete()
        _drop_unused_terms(removal.terms)
    return removal.counts


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
        kill_point("retention")
        RetentionAction.objects.create(run=run, case_id=case.pk, action=action, at=now,
                                       counts=removed)
        audit_record(actor=None, action=Action.DELETE if action == DELETE else Action.UPDATE,
                     object_type="case_retention", object_id=case.case_number,
                     child_id=case.child_id, case_id=case.pk,
                     detail={"retention": action, "run": run.pk, "removed": removed})
    return True
