"""Case writes. Each function is one complete business operation: access check, validation,
write, case event and audit entry, all in one transaction; side effects after commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_countries import countries

from bridgeway.access import policy
from bridgeway.access.policy import Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.events import case_event
from bridgeway.cases.models import (
    WORK_STEPS,
    AssociationMode,
    Case,
    CaseNote,
    CaseNumberCounter,
    ClosureReason,
    GroupType,
    Risk,
    Status,
    VictimStatus,
)
from bridgeway.cases.tasks import case_derive_tasks
from bridgeway.core.coerce import Errors, add, to_choice, to_date, to_int
from bridgeway.core.errors import Conflict, DomainError, NotAllowed, ValidationFailed
from bridgeway.core.text import clean_text

EDITABLE_FIELDS = ("risk_level", "group_type", "association_mode", "association_from",
                   "association_to", "association_place", "association_country",
                   "victim_status", "victim_recognized_on", "victim_recognized_by",
                   "alleged_offence")
COUNTRY_CODES = frozenset(code for code, _ in countries)


@dataclass
class CaseFields:
    risk_level: str = Risk.MEDIUM
    group_type: str = GroupType.UNKNOWN
    association_mode: str = AssociationMode.UNKNOWN
    association_from: date | None = None
    association_to: date | None = None
    association_place: str = ""
    association_country: str = ""
    victim_status: str = VictimStatus.PENDING
    victim_recognized_on: date | None = None
    victim_recognized_by: str = ""
    alleged_offence: str = ""
    assigned_to: int | None = None


def validate_case_fields(data: Any, *, errors: Errors | None = None, prefix: str = ""
                         ) -> CaseFields:
    errs: Errors = errors if errors is not None else {}
    if not isinstance(data, dict):
        add(errs, prefix.rstrip(".") or "__all__", "Expected an object with case details.")
        data = {}

    def f(name: str) -> str:
        return prefix + name

    fields = CaseFields(
        risk_level=to_choice(data.get("risk_level"), Risk, field=f("risk_level"), errors=errs,
                             default=Risk.MEDIUM),
        group_type=to_choice(data.get("group_type"), GroupType, field=f("group_type"),
                             errors=errs, default=GroupType.UNKNOWN),
        association_mode=to_choice(data.get("association_mode"), AssociationMode,
                                   field=f("association_mode"), errors=errs,
                                   default=AssociationMode.UNKNOWN),
        association_from=to_date(data.get("association_from"), field=f("association_from"),
                                 errors=errs),
        association_to=to_date(data.get("association_to"), field=f("association_to"),
                               errors=errs),
        association_place=clean_text(data.get("association_place"),
                                     field=f("association_place"), max_length=200,
                                     errors=errs),
        association_country=(data.get("association_country") or ""),
        victim_status=to_choice(data.get("victim_status"), VictimStatus,
                                field=f("victim_status"), errors=errs,
                                default=VictimStatus.PENDING),
        victim_recognized_on=to_date(data.get("victim_recognized_on"),
                                     field=f("victim_recognized_on"), errors=errs),
        victim_recognized_by=clean_text(data.get("victim_recognized_by"),
                                        field=f("victim_recognized_by"), max_length=200,
                                        errors=errs),
        alleged_offence=clean_text(data.get("alleged_offence"), field=f("alleged_offence"),
                                   max_length=2000, errors=errs),
        assigned_to=to_int(data.get("assigned_to"), field=f("assigned_to"), errors=errs,
                           minimum=1, maximum=2**62),
    )
    country = fields.association_country
    if country and (not isinstance(country, str) or country.upper() not in COUNTRY_CODES):
        add(errs, f("association_country"), f"Unknown country code {country!r}.")
        fields.association_country = ""
    elif isinstance(country, str):
        fields.association_country = country.upper()
    if (fields.association_from and fields.association_to
            and fields.association_from > fields.association_to):
        add(errs, f("association_to"), "Ends before it starts.")
    if errors is None and errs:
        raise ValidationFailed(errs)
    return fields


def first_assessment_due(risk: str, opened_at: datetime) -> datetime | None:
    hours = settings.BRIDGEWAY_FIRST_ASSESSMENT_HOURS.get(risk)
    return opened_at + timedelta(hours=hours) if hours else None


def _next_case_number(opened_at: datetime) -> str:
    prefix = settings.BRIDGEWAY_CASE_NUMBER_PREFIX
    year = timezone.localtime(opened_at).year
    counter, _ = CaseNumberCounter.objects.select_for_update().get_or_create(
        prefix=prefix, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}-{year}-{counter.last:06d}"


def _assignee(actor: Any, user_id: int | None, agency_id: int) -> Any:
    from bridgeway.accounts.models import User

    if user_id is None:
        return actor if actor.role == "caseworker" else None
    user = User.objects.filter(pk=user_id, agency_id=agency_id, is_active=True,
                               role__in=["caseworker", "supervisor"]).first()
    if user is None:
        raise ValidationFailed.single("assigned_to",
                                      "Not an active caseworker of this agency.")
    if actor.role == "caseworker" and user.pk != actor.pk:
        raise NotAllowed("Only a supervisor assigns cases to someone else.")
    return user


def case_open(*, actor: Any, child: Any, fields: CaseFields, opened_at: datetime) -> Case:
    """Open a case for ``child`` in the actor's agency (one open case per agency)."""
    if not policy.may_register(actor):
        raise NotAllowed("Only caseworkers and supervisors of an agency open cases.")
    with transaction.atomic():
        assignee = _assignee(actor, fields.assigned_to, actor.agency_id)
        values = {k: getattr(fields, k) for k in EDITABLE_FIELDS}
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    case_number=_next_case_number(opened_at), child=child,
                    owning_agency_id=actor.agency_id, assigned_to=assignee,
                    opened_at=opened_at,
                    first_assessment_due=first_assessment_due(fields.risk_level, opened_at),
                    **values)
        except IntegrityError as exc:
            raise DomainError("This child already has an open case in your agency.") from exc
        case_event(case=case, actor=actor, kind="opened",
                   params={"risk_level": case.risk_level,
                           "assigned_to": assignee.username if assignee else None})
        audit_record(actor=actor, action=Action.CREATE, object_type="case",
                     object_id=case.case_number, child_id=child.pk, case_id=case.pk)
        case_derive_tasks(case)
        return case


def _locked(actor: Any, case_id: int, perm: Perm) -> Case:
    return policy.case_for(actor, pk=case_id, perm=perm, for_update=True)


def _stale(actor: Any, case: Case, expected_version: int, **detail: Any) -> int | None:
    """None when ``case`` (locked) is at ``expected_version``. Otherwise the edit conflict
    is audited in the caller's transaction — which then commits with nothing else written,
    the ``Conflict`` being raised after it (``_conflict``) — and the current version is
    returned. Called inside an outer transaction that rolls back (``case_edit``), the entry
    goes with it and the outer operation records the one conflict the user is shown."""
    if case.version == expected_version:
        return None
    audit_record(actor=actor, action=Action.CONFLICT, object_type="case",
                 object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                 detail={"expected": expected_version, "current": case.version, **detail})
    return case.version


def _conflict(current_version: int) -> Conflict:
    return Conflict("This case was changed by someone else since you opened it.",
                    current_version=current_version)


def case_update(*, actor: Any, case_id: int, expected_version: int, data: Any) -> Case:
    """Edit the case's details (risk, association context, victim status, alleged offence).
    Only the keys present in ``data`` change. A stale ``expected_version`` changes nothing,
    is audited as a conflict and raises ``Conflict``."""
    if not isinstance(data, dict):
        raise ValidationFailed.single("__all__", "Expected an object with case details.")
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed({k: ["Unknown or read-only field."] for k in sorted(unknown)})
    errors: Errors = {}
    parsed = validate_case_fields(data, errors=errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        case = _locked(actor, case_id, Perm.EDIT)
        current = _stale(actor, case, expected_version, fields=sorted(data))
        if current is None:
            return _case_write(actor=actor, case=case, data=data, parsed=parsed)
    raise _conflict(current)


def _case_write(*, actor: Any, case: Case, data: dict[str, Any], parsed: CaseFields) -> Case:
    changed = {}
    for key in data:
        new = getattr(parsed, key)
        if getattr(case, key) != new:
            changed[key] = {"from": str(getattr(case, key) or ""), "to": str(new or "")}
            setattr(case, key, new)
    if "risk_level" in changed and case.first_assessment_done_at is None:
        case.first_assessment_due = first_assessment_due(case.risk_level, case.opened_at)
    case.version += 1
    case.save()
    case_event(case=case, actor=actor, kind="updated", params={"fields": sorted(changed)})
    audit_record(actor=actor, action=Action.UPDATE, object_type="case",
                 object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                 detail={"fields": sorted(changed)})
    case_derive_tasks(case)
    return case


def case_assign(*, actor: Any, case_id: int, user_id: int) -> Case:
    with transaction.atomic():
        case = _locked(actor, case_id, Perm.ASSIGN)
        assignee = _assignee(actor, user_id, case.owning_agency_id)
        case.assigned_to = assignee
        case.version += 1
        case.save(update_fields=["assigned_to", "version", "updated_at"])
        case.tasks.filter(status="open", assigned_to__isnull=False).update(
            assigned_to=assignee)
        case_event(case=case, actor=actor, kind="assigned",
                   params={"to": assignee.username})
        audit_record(actor=actor, action=Action.ASSIGN, object_type="case",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     detail={"to": assignee.username})
        return case


def case_add_note(*, actor: Any, case_id: int, body: Any) -> CaseNote:
    text = clean_text(body, field="body", required=True)
    with transaction.atomic():
        case = _locked(actor, case_id, Perm.NOTE)
        note = CaseNote.objects.create(case=case, author=actor, body=text,
                                       created_at=timezone.now())
        case_event(case=case, actor=actor, kind="note_added", params={"note": note.pk})
        audit_record(actor=actor, action=Action.NOTE, object_type="case_note",
                     object_id=note.pk, child_id=case.child_id, case_id=case.pk)
        return note


def case_set_status(*, actor: Any, case_id: int, expected_version: int, status: Any) -> Case:
    """Move the case to another working step. Closure and reopening have their own
    operations (they need a reason and a supervisor)."""
    if status not in WORK_STEPS:
        raise ValidationFailed.single(
            "status", "Choose one of the case-management steps; closure goes through "
                      "a closure request.")
    with transaction.atomic():
        case = _locked(actor, case_id, Perm.EDIT)
        current = _stale(actor, case, expected_version, status=status)
        if current is None:
            if case.status in (Status.CLOSED, Status.CLOSURE_REQUESTED):
                raise DomainError("The case is closed or awaiting closure approval.")
            previous = case.status
            case.status = status
            if (previous in (Status.REGISTRATION, Status.ASSESSMENT)
                    and status not in (Status.REGISTRATION, Status.ASSESSMENT)
                    and case.first_assessment_done_at is None):
                case.first_assessment_done_at = timezone.now()
            case.version += 1
            case.save()
            case_event(case=case, actor=actor, kind="status", params={"from": previous,
                                                                      "to": status})
            audit_record(actor=actor, action=Action.STATUS, object_type="case",
                         object_id=case.case_number, child_id=case.child_id,
                         case_id=case.pk, detail={"from": previous, "to": status})
            case_derive_tasks(case)
            return case
    raise _conflict(current)


def case_request_closure(*, actor: Any, case_id: int, reason: Any, note: Any = "") -> Case:
    errors: Errors = {}
    reason = to_choice(reason, ClosureReason, field="reason", errors=errors)
    note = clean_text(note, field="note", max_length=5000, errors=errors)
    if reason == ClosureReason.OTHER and not note:
        add(errors, "note", "Explain the reason for closure.")
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        case = _locked(actor, case_id, Perm.REQUEST_CLOSURE)
        if case.status in (Status.CLOSED, Status.CLOSURE_REQUESTED):
            raise DomainError("The case is already closed or awaiting closure approval.")
        case.closure_reason, case.closure_note = reason, note
        case.closure_requested_by, case.closure_requested_at = actor, timezone.now()
        case.status = Status.CLOSURE_REQUESTED
        case.version += 1
        case.save()
        case_event(case=case, actor=actor, kind="closure_requested",
                   params={"reason": reason})
        audit_record(actor=actor, action=Action.CLOSE_REQUEST, object_type="case",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     detail={"reason": reason})
        case_derive_tasks(case)
        return case


OWN_CLOSURE_REQUEST = ("You requested this closure: another supervisor approves or "
                       "returns it.")
OWN_CLOSURE_REQUEST_FORM = ("You requested this case's closure: another supervisor approves "
                            "the closure form.")


def closure_requested_by(*, actor: Any, case: Case) -> bool:
    """Four eyes on a case's closure: whether ``actor`` requested the closure waiting on
    ``case`` — then they never approve it, neither on the case (``case_decide_closure``)
    nor by approving a closure form (``case_close_on_approved_record``)."""
    return (case.status == Status.CLOSURE_REQUESTED
            and case.closure_requested_by_id == getattr(actor, "pk", None))


def case_check_closure_approver(*, actor: Any, case_id: int) -> bool:
    """For a caller about to approve a closure form of ``case_id``: True when ``actor``
    requested the closure waiting on the case (four eyes), with the case row locked until
    the caller's transaction ends. The caller audits the refusal and raises
    ``NotAllowed(OWN_CLOSURE_REQUEST_FORM)`` after its transaction, changing nothing."""
    return closure_requested_by(actor=actor, case=_locked(actor, case_id,
                                                          Perm.APPROVE_CLOSURE))


def case_decide_closure(*, actor: Any, case_id: int, approve: bool, comment: Any = "") -> Case:
    """A supervisor approves (the case closes) or returns the request (back to follow-up).
    Never their own request (four eyes): that refusal is audited and changes nothing else."""
    comment = clean_text(comment, field="comment", max_length=5000)
    if not approve and not comment:
        raise ValidationFailed.single("comment", "Say why the closure is returned.")
    with transaction.atomic():
        case = _locked(actor, case_id, Perm.APPROVE_CLOSURE)
        if case.status != Status.CLOSURE_REQUESTED:
            raise DomainError("There is no closure request to decide.")
        if not closure_requested_by(actor=actor, case=case):
            return _closure_decision_write(actor=actor, case=case, approve=approve,
                                           comment=comment)
        # The entry commits with nothing else written; the refusal is raised after it.
        audit_record(actor=actor, action=Action.REFUSED, object_type="case",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     detail={"attempted": Action.CLOSE_APPROVE if approve
                             else Action.CLOSE_REJECT, "rule": "four_eyes"})
    raise NotAllowed(OWN_CLOSURE_REQUEST)


def _closure_decision_write(*, actor: Any, case: Case, approve: bool, comment: str) -> Case:
    """The decision itself, inside ``case_decide_closure``'s transaction, the case locked."""
    now = timezone.now()
    if approve:
        case.status, case.closed_at, case.closure_approved_by = Status.CLOSED, now, actor
    else:
        case.status = Status.FOLLOW_UP
        case.closure_requested_at = None
    case.version += 1
    case.save()
    kind = "closure_approved" if approve else "closure_returned"
    case_event(case=case, actor=actor, kind=kind, comment=comment)
    audit_record(actor=actor, action=Action.CLOSE_APPROVE if approve
                 else Action.CLOSE_REJECT, object_type="case", object_id=case.case_number,
                 child_id=case.child_id, case_id=case.pk)
    case_derive_tasks(case)
    return case


def case_close_on_approved_record(*, actor: Any, case_id: int, reason: Any, note: Any = "",
                                  requested_by: Any = None, record_id: int) -> Case:
    """A supervisor approved the case-closure form (``record_id``) of the care workflow:
    the case closes, exactly as a closure request approved on the case would — the same
    events (request, then approval) and audit entry. The form was the request, so its
    author is recorded as the requester. A case that is already closed is left as it is;
    a closure request already waiting is decided by this approval, with the form's
    reason — never by the supervisor who requested it (four eyes: ``NotAllowed``, the
    caller's transaction rolls back; the caller checks first with
    ``case_check_closure_approver`` to audit the refusal). Runs inside the caller's
    transaction (the approval's), after its row locks."""
    errors: Errors = {}
    reason = to_choice(reason, ClosureReason, field="reason", errors=errors)
    note = clean_text(note, field="note", max_length=5000, errors=errors)
    if reason == ClosureReason.OTHER and not note:
        add(errors, "note", "Explain the reason for closure.")
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        case = _locked(actor, case_id, Perm.APPROVE_CLOSURE)
        if case.status == Status.CLOSED:
            return case
        if closure_requested_by(actor=actor, case=case):
            raise NotAllowed(OWN_CLOSURE_REQUEST_FORM)
        if case.status != Status.CLOSURE_REQUESTED:
            # The form's sender becomes the requester: never the approver, never nobody.
            if requested_by is None:
                raise DomainError("A closure form is approved only once sent for approval.")
            if requested_by.pk == actor.pk:
                raise NotAllowed(OWN_CLOSURE_REQUEST_FORM)
        now = timezone.now()
        if case.status != Status.CLOSURE_REQUESTED:
            case.closure_requested_by = requested_by
            case.closure_requested_at = now
            case_event(case=case, actor=case.closure_requested_by, kind="closure_requested",
                       params={"reason": reason, "record_id": record_id})
        case.closure_reason, case.closure_note = reason, note
        case.status, case.closed_at, case.closure_approved_by = Status.CLOSED, now, actor
        case.version += 1
        case.save()
        case_event(case=case, actor=actor, kind="closure_approved",
                   params={"record_id": record_id})
        audit_record(actor=actor, action=Action.CLOSE_APPROVE, object_type="case",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     detail={"reason": reason, "record_id": record_id})
        case_derive_tasks(case)
        return case


def case_reopen(*, actor: Any, case_id: int, reason: Any,
                status: str = Status.FOLLOW_UP) -> Case:
    reason = clean_text(reason, field="reason", required=True, max_length=5000)
    if status not in WORK_STEPS:
        raise ValidationFailed.single("status", "Choose the step the case reopens at.")
    with transaction.atomic():
        case = _locked(actor, case_id, Perm.REOPEN)
        if case.status != Status.CLOSED:
            raise DomainError("Only a closed case can be reopened.")
        if Case.objects.filter(child_id=case.child_id, owning_agency_id=case.owning_agency_id
                               ).exclude(status=Status.CLOSED).exists():
            raise DomainError("This child already has an open case in this agency.")
        case.status, case.closed_at = status, None
        case.closure_reason, case.closure_requested_at = "", None
        case.version += 1
        case.save()
        case_event(case=case, actor=actor, kind="reopened", params={"status": status},
                   comment=reason)
        audit_record(actor=actor, action=Action.REOPEN, object_type="case",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     reason=reason)
        case_derive_tasks(case)
        return case


def case_edit(*, actor: Any, case_id: int, child_version: int, case_version: int,
              child: Any | None, case: dict[str, Any] | None) -> Case:
    """The edit page's save: the child's identity (``registry.child_update``) and the case
    details (``case_update``) together — both or neither. ``None`` means that half was not
    changed and is not written (no version bump, so nobody else gets a needless conflict).

    Case-field errors come back prefixed ``case.`` so one form can show both halves'
    errors. On ``Conflict`` everything rolls back and ONE conflict entry is audited."""
    from bridgeway.registry.services import age_evidence_of, child_update
    from bridgeway.registry.validation import validate_child

    loaded = policy.case_for(actor, pk=case_id, perm=Perm.EDIT)
    errors: Errors = {}  # both halves' problems at once, before anything is written
    if child is not None:
        # Age evidence already on record counts: the form only ADDS new evidence.
        validate_child(child, errors=errors,
                       age_reference_date=timezone.localdate(loaded.child.registered_at),
                       prior_evidence=age_evidence_of(loaded.child))
    if case is not None:
        validate_case_fields(case, errors=errors, prefix="case.")
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            current = policy.case_for(actor, pk=case_id, perm=Perm.EDIT, for_update=True)
            if child is not None:
                child_update(actor=actor, case_id=case_id, expected_version=child_version,
                             child=child)
            if case is not None:
                try:
                    current = case_update(actor=actor, case_id=case_id,
                                          expected_version=case_version, data=case)
                except ValidationFailed as exc:
                    raise ValidationFailed({k if k == "__all__" else f"case.{k}": v
                                            for k, v in exc.errors.items()}) from exc
            return current
    except Conflict:
        # The services' own entries rolled back with the transaction: record the one
        # conflict the user is shown.
        fresh = policy.case_for(actor, pk=case_id, perm=Perm.VIEW)
        audit_record(actor=actor, action=Action.CONFLICT, object_type="case",
                     object_id=fresh.case_number, child_id=fresh.child_id, case_id=fresh.pk,
                     detail={"child_version": child_version, "case_version": case_version,
                             "current_case_version": fresh.version,
                             "current_child_version": fresh.child.version})
        raise


def case_first_assessment_done(*, actor: Any, case_id: int, done_at: datetime,
                               source: dict[str, Any] | None = None) -> Case:
    """Record that the case's first assessment is done (the first-assessment deadline task
    closes). Called when the initial assessment form is submitted; a second initial
    assessment, or a case already past assessment, changes nothing."""
    with transaction.atomic():
        case = _locked(actor, case_id, Perm.EDIT)
        if case.first_assessment_done_at is not None:
            return case
        case.first_assessment_done_at = done_at
        case.version += 1
        case.save()
        case_event(case=case, actor=actor, kind="first_assessment_done",
                   params={**(source or {}), "at": done_at.isoformat()})
        audit_record(actor=actor, action=Action.UPDATE, object_type="case",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     detail={"fields": ["first_assessment_done_at"], **(source or {})})
        case_derive_tasks(case)
        return case
