"""Care workflow writes. Each public function is one business operation: access check,
validation, write, case event and audit entry in one transaction.

How filled forms enter the workflow: every save of a ``forms.FormRecord`` — from the web
form, the API or an ODK client — calls ``care_record_sync`` in the same transaction
(``care.signals``). It is idempotent on the record's version and never refuses a record
collected offline (that would lose what a device collected); it refuses only what a person
is entering now on the web or through the API, with the reasons (a plan review that cannot
count). Otherwise it applies what the answers mean:

* the initial assessment marks the case's first assessment as done and, like a later
  follow-up visit, sets the case's risk level (through ``cases.services.case_update``:
  audited, with its event);
* a reintegration plan's goals and actions become ``PlanGoal`` / ``PlanAction`` rows;
* a plan review form counts as a review of the plan in force (``PlanReview``): the next
  review falls due later and the overdue review task goes. Where it cannot count (no plan
  in force, answers a review refuses) a record entered on the web or through the API is
  refused with the reasons, nothing saved; one collected offline (ODK) is kept and a case
  event says why it did not count;
* a plan, a best-interests determination or a closure form asks for a supervisor's
  approval — except a plan written before the child's individual psychosocial assessment
  exists (the Bali conclusions make that assessment the first step of reintegration): it
  waits, and ``approval_request`` refuses it with a clear message until the assessment is
  there. The API's submit refuses such a plan outright (``care_record_submit``).

Row locks are taken in one order everywhere: form record, care record, approval, case.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import Perm
from bridgeway.accounts.models import Agency
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.care import deadlines
from bridgeway.care.models import (
    ActionStatus,
    Approval,
    CareRecord,
    Decision,
    GoalStatus,
    PlanAction,
    PlanGoal,
    PlanReview,
    ServiceDelivered,
    ServiceType,
)
from bridgeway.care.selectors import (
    DECISION_PURPOSES,
    next_review_due,
    plan_in_force,
    psychosocial_assessment_exists,
)
from bridgeway.cases.events import case_event
from bridgeway.cases.models import Case, ClosureReason, Risk
from bridgeway.cases.services import (
    OWN_CLOSURE_REQUEST_FORM,
    case_check_closure_approver,
    case_close_on_approved_record,
    case_first_assessment_done,
    case_update,
)
from bridgeway.cases.tasks import case_derive_tasks
from bridgeway.core.coerce import Errors, add, to_bool, to_choice, to_date, to_int
from bridgeway.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.core.text import clean_text
from bridgeway.forms.engine import evaluate_record
from bridgeway.forms.models import Channel, FormRecord, FormVersion, Purpose, RecordStatus
from bridgeway.forms.schema import compile_schema
from bridgeway.forms.services import form_record_submit

# Forms whose ``risk_level`` answer is the case's current risk.
RISK_PURPOSES = frozenset({Purpose.INITIAL_ASSESSMENT, Purpose.FOLLOW_UP})
CARE_PURPOSES = frozenset(Purpose) - {Purpose.OTHER}
CHILD_VIEWS_FIELD, CHILD_VIEWS_WEIGHT_FIELD = "child_views", "child_views_weight"

PSYCHOSOCIAL_FIRST = (
    "The child's individual psychosocial assessment is the first step of reintegration: "
    "submit it before the reintegration plan goes to a supervisor for approval.")
NO_CHILD_VIEWS_IN_FORM = (
    "This form does not record the child's views (what the child said and how it was "
    "taken into account); a decision cannot be approved without them.")
CHILD_VIEWS_MISSING = ("What the child said is not recorded. Record the child's views, or "
                       "why the child could not be heard, before this decision is approved.")
CHILD_VIEWS_WEIGHT_MISSING = ("How the child's views were taken into account is not "
                              "recorded; it is needed before this decision is approved.")
NO_CLOSURE_REASON = ("The closure form gives no reason for closure: return it so the reason "
                     "is recorded before the case is closed.")
# The built-in closure form's reasons, as the case's closure reasons. A local closure form
# may also answer with the case's own codes; any other answer closes the case as "other",
# with the answer (or its "other" text) as the explanation.
CLOSURE_REASONS = {"goals_achieved": ClosureReason.GOALS_MET,
                   "reached_adulthood": ClosureReason.TURNED_ADULT,
                   "transferred": ClosureReason.TRANSFERRED,
                   "moved_no_contact": ClosureReason.MOVED,
                   "declined": ClosureReason.DECLINED,
                   "died": ClosureReason.DECEASED}
OWN_RECORD = ("You wrote or submitted this record, or sent it for approval: another "
              "supervisor approves or returns it.")
NO_PLAN_TO_REVIEW = "There is no approved reintegration plan to review yet."
# A plan review form (purpose "plan_review") answers with the review's field names, or
# these aliases: reviewed_on, summary, child_views, child_views_weight, plan_change_needed
# (yes/no), next_review_on.
REVIEW_FIELDS = ("reviewed_on", "summary", "child_views", "child_views_weight",
                 "plan_change_needed", "next_review_on")
REVIEW_FORM_ALIASES = {"reviewed_on": ("review_date",), "summary": ("review_summary",),
                       "next_review_on": ("next_review_date",)}
MAX_SHORT, MAX_LONG = 200, 5000
_INSTANCE_ID = re.compile(
    r"uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# --------------------------------------------------------------------------
# Filled forms entering the workflow


def _purpose_of(record: FormRecord) -> str:
    return str(record.form_version.form.purpose)


def care_record_sync(*, record: FormRecord) -> CareRecord | None:
    """Apply a saved form record to the care workflow (see the module docstring). Runs in
    the caller's transaction; applying the same record version twice changes nothing."""
    if record.status == RecordStatus.DRAFT:
        return None
    purpose = _purpose_of(record)
    if purpose not in CARE_PURPOSES:
        return None
    actor = record.updated_by or record.submitted_by
    now = timezone.now()
    with transaction.atomic():
        care = CareRecord.objects.select_for_update().filter(record_id=record.pk).first()
        if care is None:
            care = CareRecord.objects.create(record=record, case_id=record.case_id,
                                             purpose=purpose, created_at=now)
        if care.synced_version >= record.version:
            return care
        changed = False
        source = {"record_id": record.pk, "form_id": record.form_version.form.form_id}
        if purpose == Purpose.INITIAL_ASSESSMENT:
            case_first_assessment_done(actor=actor, case_id=record.case_id,
                                       done_at=record.submitted_at or now, source=source)
        if purpose in RISK_PURPOSES:
            _apply_risk(care, record, actor)
        if purpose == Purpose.REINTEGRATION_PLAN:
            changed = _materialize_plan(record, actor, now) or changed
        if purpose == Purpose.PLAN_REVIEW:
            _apply_plan_review(care, record, actor)
        if purpose in DECISION_PURPOSES and record.status == RecordStatus.SUBMITTED:
            changed = _open_approval(care, record, actor, now, strict=False) is not None \
                or changed
        care.synced_version = record.version
        care.save(update_fields=["synced_version", "applied"])
        if changed:
            case_derive_tasks(Case.objects.select_related("child").get(pk=record.case_id))
        return care


def _apply_risk(care: CareRecord, record: FormRecord, actor: Any) -> None:
    """The latest risk-bearing assessment sets the case's risk level. An edit of an older
    assessment, or one that does not change its own answer, leaves the case alone (a
    supervisor may have set the risk since)."""
    risk = record.data.get("risk_level")
    if risk not in Risk.values or care.applied.get("risk_level") == risk:
        return
    care.applied = {**care.applied, "risk_level": risk}
    newer = (CareRecord.objects.filter(case_id=care.case_id, purpose__in=RISK_PURPOSES)
             .filter(Q(created_at__gt=care.created_at)
                     | Q(created_at=care.created_at, pk__gt=care.pk)).exists())
    if newer:
        return
    case = policy.case_for(actor, pk=care.case_id, perm=Perm.EDIT, for_update=True)
    if case.risk_level != risk:
        case_update(actor=actor, case_id=case.pk, expected_version=case.version,
                    data={"risk_level": risk})


def _norm(text: Any) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text or "")).casefold().split())


def _parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _agencies_named(names: Iterable[str]) -> dict[str, Agency]:
    """Registered agencies whose code or name is one of ``names`` (case-insensitive), by
    normalized name: one query for the whole plan."""
    wanted = {_norm(n) for n in names if _norm(n)}
    if not wanted:
        return {}
    found: dict[str, Agency] = {}
    for agency in (Agency.objects.annotate(lname=Lower("name"), lcode=Lower("code"))
                   .filter(Q(lname__in=wanted) | Q(lcode__in=wanted))):
        for key in (_norm(agency.name), _norm(agency.code)):
            if key in wanted:
                found.setdefault(key, agency)
    return found


def _take_match(candidates: list[Any], key: tuple[str, ...], key_of: Any) -> Any:
    for index, candidate in enumerate(candidates):
        if key_of(candidate) == key:
            return candidates.pop(index)
    return None


def _carried(match: Any, form_status: str) -> tuple[str, Any, Any, Any]:
    """(status, origin id, changed at, changed by) for a row of the new plan version: a
    status set through the workflow survives unless the plan form changed its own."""
    if match is None:
        return form_status, None, None, None
    origin = match.origin_id or match.pk
    if match.form_status == form_status and match.status != form_status:
        return match.status, origin, match.status_changed_at, match.status_changed_by_id
    return form_status, origin, None, None


def _materialize_plan(record: FormRecord, actor: Any, now: dt.datetime) -> bool:
    """Turn the plan's ``goal`` repeat (each with its ``action`` repeat) into rows. The rows
    of the previous plan version are superseded, not deleted. Only the newest plan of the
    case is current: editing an older plan keeps its rows as history."""
    newest = (CareRecord.objects.filter(case_id=record.case_id,
                                        purpose=Purpose.REINTEGRATION_PLAN)
              .order_by("-created_at", "-id").values_list("record_id", flat=True).first())
    if newest != record.pk:
        return False
    previous = list(PlanGoal.objects.filter(case_id=record.case_id, superseded_at__isnull=True)
                    .prefetch_related("actions").order_by("position", "id"))
    if previous:
        PlanGoal.objects.filter(pk__in=[g.pk for g in previous]).update(superseded_at=now)
        PlanAction.objects.filter(goal__in=[g.pk for g in previous],
                                  superseded_at__isnull=True).update(superseded_at=now)
    goals_data = [g for g in record.data.get("goal") or [] if isinstance(g, Mapping)]
    agencies = _agencies_named(str(a.get("responsible_agency") or "")
                               for g in goals_data for a in g.get("action") or []
                               if isinstance(a, Mapping))
    remaining = list(previous)
    actions_made = 0
    for g_pos, g in enumerate(goals_data, start=1):
        domain, text = str(g.get("goal_domain") or "")[:40], str(g.get("goal_text") or "")
        form_status = str(g.get("goal_status") or GoalStatus.NOT_STARTED)[:30]
        match = _take_match(remaining, (domain, _norm(text)),
                            lambda c: (c.domain, _norm(c.text)))
        status, origin, changed_at, changed_by = _carried(match, form_status)
        goal = PlanGoal.objects.create(
            case_id=record.case_id, record=record, record_version=record.version,
            position=g_pos, domain=domain, text=text, status=status, form_status=form_status,
            origin_id=origin, status_changed_at=changed_at, status_changed_by_id=changed_by,
            created_at=now)
        old_actions = list(match.actions.all()) if match is not None else []
        for a_pos, a in enumerate([a for a in g.get("action") or []
                                   if isinstance(a, Mapping)], start=1):
            a_text = str(a.get("action_text") or "")
            responsible = str(a.get("responsible_agency") or "")[:300]
            a_form_status = str(a.get("action_status") or ActionStatus.NOT_STARTED)[:30]
            a_match = _take_match(old_actions, (_norm(a_text),), lambda c: (_norm(c.text),))
            a_status, a_origin, a_at, a_by = _carried(a_match, a_form_status)
            PlanAction.objects.create(
                goal=goal, case_id=record.case_id, position=a_pos, text=a_text,
                responsible_agency_text=responsible,
                responsible_agency=agencies.get(_norm(responsible)),
                due_date=_parse_date(a.get("due_date")), status=a_status,
                form_status=a_form_status, origin_id=a_origin, status_changed_at=a_at,
                status_changed_by_id=a_by, created_at=now)
            actions_made += 1
    params = {"record_id": record.pk, "version": record.version, "goals": len(goals_data),
              "actions": actions_made}
    case_event(case=record.case, actor=actor, kind="plan_updated", params=params)
    audit_record(actor=actor, action=Action.CREATE, object_type="plan_goals",
                 object_id=record.pk, child_id=record.case.child_id, case_id=record.case_id,
                 detail=params)
    return True


# --------------------------------------------------------------------------
# Approvals


def check_plan_may_go_for_approval(case_id: int) -> None:
    if not psychosocial_assessment_exists(case_id):
        raise DomainError(PSYCHOSOCIAL_FIRST)


def _open_approval(care: CareRecord, record: FormRecord, actor: Any, now: dt.datetime, *,
                   strict: bool, note: str = "") -> Approval | None:
    """Ask for a supervisor's decision on ``record``. ``strict``: a plan without a
    psychosocial assessment raises; otherwise it waits (a case event says why)."""
    if care.approvals.filter(decision=Decision.PENDING).exists():
        return None
    if care.purpose == Purpose.REINTEGRATION_PLAN and not psychosocial_assessment_exists(
            care.case_id):
        if strict:
            raise DomainError(PSYCHOSOCIAL_FIRST)
        case_event(case=record.case, actor=actor, kind="approval_waiting",
                   params={"record_id": record.pk, "purpose": care.purpose,
                           "reason": "psychosocial_assessment_missing"})
        return None
    approval = Approval.objects.create(care_record=care, case_id=care.case_id,
                                       record_version=record.version, requested_by=actor,
                                       requested_at=now, request_note=note)
    params = {"record_id": record.pk, "purpose": care.purpose, "approval_id": approval.pk}
    case_event(case=record.case, actor=actor, kind="approval_requested", params=params)
    audit_record(actor=actor, action=Action.CREATE, object_type="approval",
                 object_id=approval.pk, child_id=record.case.child_id, case_id=care.case_id,
                 detail=params)
    return approval


def _locked_care(record_id: int) -> tuple[FormRecord, CareRecord]:
    record = (FormRecord.objects.select_for_update(of=("self",))
              .select_related("form_version__form", "case").filter(pk=record_id).first())
    if record is None:
        raise NotFound()
    care = CareRecord.objects.select_for_update().filter(record_id=record.pk).first()
    return record, care  # type: ignore[return-value]


def approval_request(*, actor: Any, record_id: int, note: Any = "",
                     case_id: int | None = None) -> Approval:
    """Send a decision record (again) to a supervisor: a plan written before the
    psychosocial assessment existed, or a record returned for changes. ``note``: what the
    supervisor should know (e.g. what changed). ``case_id``, when the caller names the case
    (a page under it), must be the record's case: otherwise NotFound, nothing sent."""
    note = clean_text(note, field="note", max_length=MAX_LONG)
    with transaction.atomic():
        record, care = _locked_care(record_id)
        if case_id is not None and record.case_id != case_id:
            raise NotFound()
        case = policy.case_for(actor, pk=record.case_id, perm=Perm.EDIT)
        record.case = case
        if care is None or care.purpose not in DECISION_PURPOSES:
            raise DomainError("This form does not need a supervisor's approval.")
        if record.status == RecordStatus.APPROVED:
            raise DomainError("This record is already approved.")
        if care.approvals.filter(decision=Decision.PENDING).exists():
            raise DomainError("This record is already waiting for a supervisor's decision.")
        if care.purpose == Purpose.REINTEGRATION_PLAN:
            check_plan_may_go_for_approval(record.case_id)
        if record.status == RecordStatus.RETURNED:
            # Status only: ``updated_by`` stays the last person who changed the answers.
            FormRecord.objects.filter(pk=record.pk).update(
                status=RecordStatus.SUBMITTED, version=F("version") + 1,
                updated_at=timezone.now())
            record.refresh_from_db(fields=["status", "version", "updated_at"])
            care.synced_version = record.version
            care.save(update_fields=["synced_version"])
        approval = _open_approval(care, record, actor, timezone.now(), strict=True,
                                  note=note)
        assert approval is not None  # strict, and no pending approval (checked above)
        case_derive_tasks(case)
        return approval


def child_views_problems(record: FormRecord) -> dict[str, list[str]]:
    """Why ``record`` cannot be approved for want of the child's views (empty when it can).

    The views are needed wherever the form asks for them: a form whose own relevance rules
    hide them (a closure because the child died) does not need them."""
    form = compile_schema(record.form_version.schema)
    names = set(form.info)
    if CHILD_VIEWS_FIELD not in names or CHILD_VIEWS_WEIGHT_FIELD not in names:
        return {"__all__": [NO_CHILD_VIEWS_IN_FORM]}
    result = evaluate_record(form, record.data, today=timezone.localdate(), require=False)
    problems: dict[str, list[str]] = {}
    for name, message in ((CHILD_VIEWS_FIELD, CHILD_VIEWS_MISSING),
                          (CHILD_VIEWS_WEIGHT_FIELD, CHILD_VIEWS_WEIGHT_MISSING)):
        if name in result.relevant and not str(record.data.get(name) or "").strip():
            problems[name] = [message]
    return problems


def closure_from_record(record: FormRecord) -> tuple[str, str]:
    """The case's closure reason and explanation from a closure form's answers, or
    ``ValidationFailed`` when the form gives no reason."""
    answer = str(record.data.get("closure_reason") or "").strip()
    other = str(record.data.get("closure_reason_other") or "").strip()
    if not answer:
        raise ValidationFailed.single("closure_reason", NO_CLOSURE_REASON)
    if answer in CLOSURE_REASONS:
        return CLOSURE_REASONS[answer], ""
    if answer in ClosureReason.values and answer != ClosureReason.OTHER:
        return answer, ""
    return ClosureReason.OTHER, other or answer


def approval_decide(*, actor: Any, record_id: int, approve: bool, comment: Any = "",
                    expected_version: int | None = None) -> Approval:
    """A supervisor approves a decision record or returns it with a comment. Nobody decides
    on a record they wrote or sent for approval (four eyes: the refusal is audited and
    changes nothing else); approval needs the child's views."""
    errors: Errors = {}
    comment = clean_text(comment, field="comment", max_length=MAX_LONG, errors=errors)
    if not approve and not comment and not errors:
        add(errors, "comment", "Say what needs to change before the record is approved.")
    with transaction.atomic():
        record, care = _locked_care(record_id)
        case = policy.case_for(actor, pk=record.case_id, perm=Perm.APPROVE_CLOSURE)
        if errors:
            raise ValidationFailed(errors)
        approval = (care.approvals.select_for_update().filter(decision=Decision.PENDING)
                    .first() if care is not None else None)
        if approval is None:
            raise DomainError("Nothing on this record waits for a supervisor's decision.")
        if expected_version is not None and record.version != expected_version:
            raise Conflict("This record was changed since you opened it.",
                           current_version=record.version)
        own = actor.pk in {record.submitted_by_id, record.updated_by_id,
                           approval.requested_by_id}
        # Approving a closure form closes the case: never by whoever requested the closure
        # waiting on the case (four eyes, as on the case's own closure decision).
        own_closure = (not own and approve and care.purpose == Purpose.CLOSURE
                       and case_check_closure_approver(actor=actor, case_id=case.pk))
        if not own and not own_closure:
            return _approval_write(actor=actor, record=record, care=care, case=case,
                                   approval=approval, approve=approve, comment=comment)
        # The entry commits with nothing else written; the refusal is raised after it.
        detail = {"attempted": "approve" if approve else "return", "rule": "four_eyes",
                  "purpose": care.purpose, "approval_id": approval.pk}
        if own_closure:
            detail["own"] = "closure_request"
        audit_record(actor=actor, action=Action.REFUSED, object_type="form_record",
                     object_id=record.pk, child_id=case.child_id, case_id=case.pk,
                     detail=detail)
    raise NotAllowed(OWN_CLOSURE_REQUEST_FORM if own_closure else OWN_RECORD)


def _approval_write(*, actor: Any, record: FormRecord, care: CareRecord, case: Case,
                    approval: Approval, approve: bool, comment: str) -> Approval:
    """The decision itself, inside ``approval_decide``'s transaction with the rows locked."""
    closure: tuple[str, str] | None = None
    if approve:
        problems = child_views_problems(record)
        if problems:
            raise ValidationFailed(problems)
        if care.purpose == Purpose.CLOSURE:
            closure = closure_from_record(record)
    now = timezone.now()
    FormRecord.objects.filter(pk=record.pk).update(
        status=RecordStatus.APPROVED if approve else RecordStatus.RETURNED,
        version=F("version") + 1, updated_at=now)
    record.refresh_from_db(fields=["status", "version", "updated_at"])
    care.synced_version = record.version
    care.save(update_fields=["synced_version"])
    approval.decision = Decision.APPROVED if approve else Decision.RETURNED
    approval.decided_by, approval.decided_at, approval.comment = actor, now, comment
    approval.record_version = record.version - 1
    approval.save(update_fields=["decision", "decided_by", "decided_at", "comment",
                                 "record_version"])
    # The comment stays on the approval (its own row), not in the timeline.
    params = {"record_id": record.pk, "purpose": care.purpose, "approval_id": approval.pk}
    case_event(case=case, actor=actor,
               kind="approval_approved" if approve else "approval_returned",
               params=params)
    audit_record(actor=actor, action=Action.STATUS, object_type="form_record",
                 object_id=record.pk, child_id=case.child_id, case_id=case.pk,
                 detail={"decision": approval.decision, "purpose": care.purpose,
                         "approval_id": approval.pk})
    if closure is not None:
        # The approved closure form closes the case (the form says so to whoever
        # fills it); the case's own services write its events and audit entry.
        reason, note = closure
        case = case_close_on_approved_record(
            actor=actor, case_id=case.pk, reason=reason, note=note,
            requested_by=approval.requested_by, record_id=record.pk)
    case_derive_tasks(case)
    return approval


# --------------------------------------------------------------------------
# Plan goals and actions


def _set_status(*, actor: Any, model: type[PlanGoal] | type[PlanAction], pk: int,
                status: Any, choices: Any, kind: str, object_type: str,
                case_id: int | None) -> Any:
    errors: Errors = {}
    status = to_choice(status, choices, field="status", errors=errors)
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None or (case_id is not None and row.case_id != case_id):
            raise NotFound()
        case = policy.case_for(actor, pk=row.case_id, perm=Perm.EDIT)
        if errors:
            raise ValidationFailed(errors)
        if row.superseded_at is not None:
            raise DomainError("This belongs to an earlier version of the plan; update the "
                              "current plan.")
        if row.status == status:
            return row
        previous = row.status
        row.status, row.status_changed_at, row.status_changed_by = status, timezone.now(), actor
        row.save(update_fields=["status", "status_changed_at", "status_changed_by"])
        params = {"id": row.pk, "from": previous, "to": status}
        case_event(case=case, actor=actor, kind=kind, params=params)
        audit_record(actor=actor, action=Action.UPDATE, object_type=object_type,
                     object_id=row.pk, child_id=case.child_id, case_id=case.pk,
                     detail={"from": previous, "to": status})
        case_derive_tasks(case)
        return row


def plan_action_set_status(*, actor: Any, action_id: int, status: Any,
                           case_id: int | None = None) -> PlanAction:
    """Change an action's status without re-validating the plan form (its due date may be
    in the past by now, and that is what the status is about). ``case_id``, when given,
    must be the action's case (pages address actions under their case)."""
    action: PlanAction = _set_status(actor=actor, model=PlanAction, pk=action_id,
                                     status=status, choices=ActionStatus,
                                     kind="plan_action_status", object_type="plan_action",
                                     case_id=case_id)
    return action


def plan_goal_set_status(*, actor: Any, goal_id: int, status: Any,
                         case_id: int | None = None) -> PlanGoal:
    goal: PlanGoal = _set_status(actor=actor, model=PlanGoal, pk=goal_id, status=status,
                                 choices=GoalStatus, kind="plan_goal_status",
                                 object_type="plan_goal", case_id=case_id)
    return goal


# --------------------------------------------------------------------------
# Services delivered


@dataclass
class ServiceFields:
    service_type: str
    description: str
    provider_agency_id: int | None
    provider_name: str
    start_date: dt.date | None
    end_date: dt.date | None
    outcome: str
    action_id: int | None


def validate_service(data: Any) -> ServiceFields:
    """Check a service delivered (raises ValidationFailed with every problem). Dates are of
    what was delivered: never after today; the end not before the start."""
    errors: Errors = {}
    if not isinstance(data, Mapping):
        raise ValidationFailed.single("__all__", "Expected an object with the service.")
    fields = ServiceFields(
        service_type=to_choice(data.get("service_type"), ServiceType, field="service_type",
                               errors=errors),
        description=clean_text(data.get("description"), field="description",
                               max_length=MAX_LONG, errors=errors),
        provider_agency_id=to_int(data.get("provider_agency"), field="provider_agency",
                                  errors=errors, minimum=1, maximum=2**62),
        provider_name=clean_text(data.get("provider_name"), field="provider_name",
                                 max_length=MAX_SHORT, errors=errors),
        start_date=to_date(data.get("start_date"), field="start_date", errors=errors,
                           required=True),
        end_date=to_date(data.get("end_date"), field="end_date", errors=errors),
        outcome=clean_text(data.get("outcome"), field="outcome", max_length=MAX_LONG,
                           errors=errors),
        action_id=to_int(data.get("action"), field="action", errors=errors, minimum=1,
                         maximum=2**62),
    )
    if fields.service_type == ServiceType.OTHER and not fields.description \
            and "description" not in errors:
        add(errors, "description", "Say what the service was.")
    if (fields.provider_agency_id is None and not fields.provider_name
            and "provider_agency" not in errors and "provider_name" not in errors):
        add(errors, "provider_name", "Name the provider: choose an agency or write its name.")
    if fields.start_date and fields.end_date and fields.end_date < fields.start_date:
        add(errors, "end_date", "Ends before it starts.")
    if errors:
        raise ValidationFailed(errors)
    return fields


def service_record(*, actor: Any, case_id: int, data: Any) -> ServiceDelivered:
    """Record a service delivered to the child, optionally against a plan action."""
    with transaction.atomic():
        case = policy.case_for(actor, pk=case_id, perm=Perm.EDIT)
        fields = validate_service(data)
        errors: Errors = {}
        agency = None
        if fields.provider_agency_id is not None:
            agency = Agency.objects.filter(pk=fields.provider_agency_id, active=True).first()
            if agency is None:
                add(errors, "provider_agency", "Unknown agency.")
        action = None
        if fields.action_id is not None:
            action = PlanAction.objects.filter(pk=fields.action_id, case_id=case.pk).first()
            if action is None:
                add(errors, "action", "Not an action of this child's plan.")
        if errors:
            raise ValidationFailed(errors)
        assert fields.start_date is not None  # required: validate_service raised otherwise
        service = ServiceDelivered.objects.create(
            case=case, service_type=fields.service_type, description=fields.description,
            provider_agency=agency, provider_name=fields.provider_name,
            start_date=fields.start_date, end_date=fields.end_date, outcome=fields.outcome,
            action=action, recorded_by=actor, recorded_at=timezone.now())
        params = {"service_id": service.pk, "service_type": service.service_type,
                  "action_id": action.pk if action else None}
        case_event(case=case, actor=actor, kind="service_recorded", params=params)
        audit_record(actor=actor, action=Action.CREATE, object_type="service_delivered",
                     object_id=service.pk, child_id=case.child_id, case_id=case.pk,
                     detail=params)
        return service


# --------------------------------------------------------------------------
# Plan reviews


def _review_values(data: Mapping[str, Any], plan: Any, errors: Errors) -> dict[str, Any]:
    """A plan review's fields from ``data`` (the API's body or a plan review form's
    answers), checked against the plan in force (``plan``, may be None); problems go to
    ``errors`` by field."""
    reviewed_on = to_date(data.get("reviewed_on"), field="reviewed_on", errors=errors,
                          required=True)
    summary = clean_text(data.get("summary"), field="summary", required=True,
                         max_length=MAX_LONG, errors=errors)
    views = clean_text(data.get("child_views"), field="child_views", required=True,
                       max_length=MAX_LONG, errors=errors)
    weight = clean_text(data.get("child_views_weight"), field="child_views_weight",
                        required=True, max_length=MAX_LONG, errors=errors)
    change = to_bool(data.get("plan_change_needed"), field="plan_change_needed",
                     errors=errors)
    next_on = to_date(data.get("next_review_on"), field="next_review_on", errors=errors,
                      allow_future=True)
    months = deadlines.review_months()
    if reviewed_on and next_on:
        latest = deadlines.add_months(reviewed_on, months)
        if next_on <= reviewed_on:
            add(errors, "next_review_on", "The next review comes after this one.")
        elif next_on > latest:
            add(errors, "next_review_on", f"Plans are reviewed at least every {months} "
                f"months: the next review is due by {latest.isoformat()}.")
    if plan is not None and reviewed_on and reviewed_on < plan.approved_on:
        add(errors, "reviewed_on", "The plan in force was approved on "
            f"{plan.approved_on.isoformat()}; its review cannot be earlier.")
    return {"reviewed_on": reviewed_on, "summary": summary, "child_views": views,
            "child_views_weight": weight, "plan_change_needed": change,
            "next_review_on": next_on}


def _review_recorded(*, actor: Any, case: Case, review: PlanReview, plan: Any,
                     record_id: int | None = None, updated: bool = False) -> None:
    """The review's case event and audit entry, then the case's tasks again (the overdue
    review task goes once the next review is due later)."""
    due = next_review_due(case.pk)
    params = {"review_id": review.pk, "plan_record_id": plan.record.pk,
              "next_due": due.isoformat() if due else None}
    if record_id is not None:
        params["record_id"] = record_id
    case_event(case=case, actor=actor, kind="plan_reviewed", params=params)
    audit_record(actor=actor, action=Action.UPDATE if updated else Action.CREATE,
                 object_type="plan_review", object_id=review.pk, child_id=case.child_id,
                 case_id=case.pk, detail=params)
    case_derive_tasks(case)


def plan_review_record(*, actor: Any, case_id: int, data: Any) -> PlanReview:
    """Record a review of the plan in force, with the child's views. It sets when the next
    review is due: the regular interval from this review, or sooner if asked."""
    if not isinstance(data, Mapping):
        raise ValidationFailed.single("__all__", "Expected an object with the review.")
    with transaction.atomic():
        case = policy.case_for(actor, pk=case_id, perm=Perm.EDIT)
        errors: Errors = {}
        plan = plan_in_force(case.pk)
        values = _review_values(data, plan, errors)
        if plan is None and not errors:
            raise DomainError(NO_PLAN_TO_REVIEW)
        if errors:
            raise ValidationFailed(errors)
        assert plan is not None
        review = PlanReview.objects.create(case=case, plan_record=plan.record, **values,
                                           recorded_by=actor, recorded_at=timezone.now())
        _review_recorded(actor=actor, case=case, review=review, plan=plan)
        return review


def review_answers(record: FormRecord) -> tuple[dict[str, Any], dict[str, str]]:
    """A plan review form's answers under the review's field names — each field is the
    question of that name, or of its alias in ``REVIEW_FORM_ALIASES`` — and, by field,
    the form's question that answered it (so a refusal names the form's own question)."""
    data = record.data
    answers: dict[str, Any] = {}
    questions: dict[str, str] = {}
    for field in REVIEW_FIELDS:
        names = (field, *REVIEW_FORM_ALIASES.get(field, ()))
        name = next((n for n in names if data.get(n) not in (None, "")),
                    next((n for n in names if n in data), field))
        answers[field], questions[field] = data.get(name), name
    return answers, questions


def _apply_plan_review(care: CareRecord, record: FormRecord, actor: Any) -> bool:
    """A filled plan review form counts as a review of the plan in force (``PlanReview``),
    so the next review falls due later and the overdue review task goes. Editing the form
    again updates the same review (``care.applied``). A record entered on the web or
    through the API that cannot count (no plan in force, answers a review refuses) is
    refused with the reasons by field, nothing saved; one collected offline (ODK) is kept,
    and a case event says why it did not count."""
    plan = plan_in_force(record.case_id)
    answers, questions = review_answers(record)
    found: Errors = {}
    values = _review_values(answers, plan, found)
    errors: Errors = {questions.get(name, name): messages for name, messages in found.items()}
    if plan is None:
        errors = {"__all__": [NO_PLAN_TO_REVIEW], **errors}
    if errors:
        if record.channel != Channel.ODK:
            raise ValidationFailed(errors)
        case_event(case=record.case, actor=actor, kind="plan_review_not_counted",
                   params={"record_id": record.pk, "version": record.version,
                           "fields": sorted(errors)})
        return False
    assert plan is not None
    case = Case.objects.select_related("child").get(pk=record.case_id)
    review = (PlanReview.objects.select_for_update()
              .filter(pk=care.applied.get("plan_review_id"), case_id=case.pk).first()
              if care.applied.get("plan_review_id") else None)
    if review is None:
        review = PlanReview.objects.create(case=case, plan_record=plan.record, **values,
                                           recorded_by=actor, recorded_at=timezone.now())
        care.applied = {**care.applied, "plan_review_id": review.pk}
        updated = False
    else:
        for name, value in {**values, "plan_record": plan.record}.items():
            setattr(review, name, value)
        review.save(update_fields=[*values, "plan_record"])
        updated = True
    _review_recorded(actor=actor, case=case, review=review, plan=plan, record_id=record.pk,
                     updated=updated)
    return False  # tasks derived already


# --------------------------------------------------------------------------
# Submitting forms through the care API


def care_record_submit(*, actor: Any, case_id: int, form_id: Any, version: Any = None,
                       values: Any, draft: bool = False, instance_id: Any = None,
                       language: str | None = None) -> FormRecord:
    """Fill a form on a case: ``form_id`` at its ``version`` label, or its current version.
    A reintegration plan is refused (nothing stored) before the child's psychosocial
    assessment exists; a draft plan may be saved."""
    with transaction.atomic():
        case = policy.case_for(actor, pk=case_id, perm=Perm.EDIT)
        versions = (FormVersion.objects.select_related("form").defer("xlsx", "xform")
                    .filter(form__form_id=form_id if isinstance(form_id, str) else "",
                            form__active=True))
        if not versions.exists():
            raise ValidationFailed.single("form_id", "No active form with this id.")
        form_version = (versions.filter(version=version).first() if version
                        else versions.order_by("-uploaded_at", "-id").first())
        if form_version is None:
            raise ValidationFailed.single("version", "This form has no such version.")
        if instance_id is not None and not (isinstance(instance_id, str)
                                            and _INSTANCE_ID.fullmatch(instance_id)):
            raise ValidationFailed.single("instance_id", "Use 'uuid:' followed by a UUID.")
        if form_version.form.purpose == Purpose.REINTEGRATION_PLAN and not draft:
            check_plan_may_go_for_approval(case.pk)
        return form_record_submit(actor=actor, case_id=case.pk,
                                  form_version_id=form_version.pk, values=values,
                                  channel=Channel.WEB, instance_id=instance_id, draft=draft,
                                  language=language)


# --------------------------------------------------------------------------
# Periodic sweep


@dataclass
class SweepResult:
    records_synced: int
    records_failed: int
    cases_rederived: int


def care_sweep() -> SweepResult:
    """Apply records not yet applied (saved before the care app existed, or by a process
    that skipped it), and derive tasks on open cases with care deadlines: overdue items
    become tasks only when someone looks, so run this hourly or daily. Idempotent."""
    synced = failed = 0
    pending = (FormRecord.objects.exclude(status=RecordStatus.DRAFT)
               .filter(Q(care__isnull=True) | Q(care__synced_version__lt=F("version")))
               .exclude(form_version__form__purpose=Purpose.OTHER)
               .select_related("form_version__form", "case", "updated_by", "submitted_by")
               .order_by("created_at", "id"))
    for record in pending.iterator(chunk_size=200):
        try:
            with transaction.atomic():
                if care_record_sync(record=record) is not None:
                    synced += 1
        except DomainError:
            # The person who saved it may no longer work on the case; the record stays
            # unapplied and is listed by the next sweep.
            failed += 1
    case_ids = set(Approval.objects.filter(decision=Decision.PENDING)
                   .values_list("case_id", flat=True))
    case_ids |= set(Approval.objects.filter(decision=Decision.APPROVED)
                    .values_list("case_id", flat=True))
    case_ids |= set(PlanAction.objects.filter(superseded_at__isnull=True,
                                              due_date__isnull=False)
                    .values_list("case_id", flat=True))
    rederived = 0
    for case in (Case.objects.filter(pk__in=case_ids).exclude(status="closed")
                 .select_related("child").order_by("pk").iterator(chunk_size=200)):
        with transaction.atomic():
            case_derive_tasks(case)
        rederived += 1
    return SweepResult(synced, failed, rederived)
