"""Referrals: made by the owning agency, answered and served by the receiving agency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bridgeway.access import policy, sectors
from bridgeway.access.policy import Perm
from bridgeway.accounts.models import Agency
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.events import case_event
from bridgeway.cases.models import Case, Status
from bridgeway.cases.tasks import case_derive_tasks
from bridgeway.core.coerce import Errors, add, to_date, to_int
from bridgeway.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.core.text import clean_text
from bridgeway.referrals import grants
from bridgeway.referrals.models import (
    OPEN_REFERRAL_STATUSES,
    Consent,
    ConsentPurpose,
    Referral,
    ReferralStatus,
    ServiceReport,
)
from bridgeway.referrals.services._common import (
    MAX_RESPONSE_DAYS,
    _agency_staff,
    _assignable,
    _audit,
    _categories,
    _int_id,
    _notify,
    _owner_case,
    _sorted,
    _to_datetime,
    response_hours,
)


@dataclass(frozen=True)
class ReferralInput:
    consent_id: Any
    categories: Any
    purpose: Any
    receiving_agency_id: Any = None
    service_name: Any = ""
    plan_action_id: Any = ""
    respond_by: Any = None  # datetime or ISO 8601 string; default now + configured hours
    access_until: Any = None  # date; default: the consent's end


#: A case in one of these states takes no new referral.
NOT_REFERRABLE = (Status.CLOSED, Status.CLOSURE_REQUESTED)


def may_refer(user: Any, case: Case) -> bool:
    """Whether ``user`` may refer this child (what ``referral_create`` lets through before
    looking at the input): a caseworker or supervisor of the owning agency who may edit
    the case, while it is open. For pages that offer the way in (the plan's "Refer"
    links); the service checks again."""
    return (getattr(user, "agency_id", None) == case.owning_agency_id
            and case.status not in NOT_REFERRABLE and policy.can(user, Perm.EDIT, case))


def _is_current_plan_action(case_id: int, plan_action: str) -> bool:
    """``plan_action`` names an action (by its lineage id, stable across plan versions) of
    the case's plan in force: a referral made from a service line of the plan."""
    from bridgeway.care.models import PlanAction

    if not plan_action.isdecimal() or int(plan_action) > 2**62:
        return False
    lineage = int(plan_action)
    return (PlanAction.objects.filter(case_id=case_id, superseded_at__isnull=True)
            .filter(Q(origin_id=lineage) | Q(origin__isnull=True, pk=lineage)).exists())


def referral_create(*, actor: Any, case_id: int, data: ReferralInput) -> Referral:
    """Refer the child to another agency or a named service. Needs a valid consent for
    this case whose scope covers the receiver and every category shared; the categories
    must also be ones the receiving sector may ever see."""
    errors: Errors = {}
    categories = _categories(data.categories, field="categories", errors=errors)
    purpose = clean_text(data.purpose, field="purpose", required=True, max_length=2000,
                         errors=errors)
    service = clean_text(data.service_name, field="service_name", max_length=200,
                         errors=errors)
    plan_action = clean_text(data.plan_action_id, field="plan_action_id", max_length=64,
                             errors=errors)
    agency_id = to_int(data.receiving_agency_id, field="receiving_agency_id", errors=errors,
                       minimum=1, maximum=2**62)
    consent_id = to_int(data.consent_id, field="consent_id", errors=errors, minimum=1,
                        maximum=2**62)
    respond_by = _to_datetime(data.respond_by, field="respond_by", errors=errors)
    access_until = to_date(data.access_until, field="access_until", errors=errors,
                           allow_future=True)
    now = timezone.now()
    today = timezone.localdate(now)
    if respond_by is None and "respond_by" not in errors:
        respond_by = now + timedelta(hours=response_hours())
    elif respond_by is not None:
        if respond_by <= now:
            add(errors, "respond_by", "The response deadline must be in the future.")
        elif respond_by > now + timedelta(days=MAX_RESPONSE_DAYS):
            add(errors, "respond_by", f"At most {MAX_RESPONSE_DAYS} days from now.")
    if agency_id is None and not service:
        add(errors, "receiving_agency_id", "Name the receiving agency or service.")
    if consent_id is None and "consent_id" not in errors:
        add(errors, "consent_id", "A referral needs the consent it rests on.")

    with transaction.atomic():
        case = _owner_case(actor, case_id)
        if case.status in NOT_REFERRABLE:
            raise DomainError("The case is closed or awaiting closure approval.")
        agency = None
        if agency_id is not None:
            agency = Agency.objects.filter(pk=agency_id, active=True).first()
            if agency is None:
                add(errors, "receiving_agency_id", "Unknown or inactive agency.")
            elif agency.pk == case.owning_agency_id:
                add(errors, "receiving_agency_id", "This agency already owns the case.")
        consent = None
        if consent_id is not None:
            consent = (Consent.objects.select_for_update()
                       .filter(pk=consent_id, case_id=case.pk).first())
            if consent is None:
                add(errors, "consent_id", "No such consent for this case.")
        if consent is not None:
            if consent.kind != ConsentPurpose.REFERRAL:
                add(errors, "consent_id", "This consent is for a transfer, not a referral.")
            elif consent.withdrawn_at is not None:
                add(errors, "consent_id", "This consent was withdrawn.")
            elif not consent.is_valid_on(today):
                add(errors, "consent_id", "This consent is not valid today.")
            elif (consent.receiving_agency_id or None) != (agency.pk if agency else None) or (
                    agency is None and consent.receiving_service.casefold()
                    != service.casefold()):
                add(errors, "receiving_agency_id",
                    "The consent does not cover this receiver.")
            extra = categories - grants.as_categories(consent.categories)
            if extra:
                add(errors, "categories", "Outside the consent's scope: "
                    f"{', '.join(_sorted(extra))}.")
            if access_until is None:
                access_until = consent.valid_until
            elif access_until > consent.valid_until:
                add(errors, "access_until", "Later than the consent allows "
                    f"({consent.valid_until.isoformat()}).")
        if access_until is not None and access_until < today:
            add(errors, "access_until", "Already past.")
        if plan_action and not _is_current_plan_action(case.pk, plan_action):
            add(errors, "plan_action_id",
                "Not a service line of the child's current reintegration plan.")
        if agency is not None and categories:
            outside = categories - sectors.rule_for_sector(agency.sector).ceiling
            if outside:
                add(errors, "categories", f"The {agency.get_sector_display()} sector may "
                    f"never receive: {', '.join(_sorted(outside))}.")
        if errors:
            raise ValidationFailed(errors)
        assert consent is not None and access_until is not None and respond_by is not None
        referral = Referral.objects.create(
            case=case, consent=consent, referred_by=actor, from_agency_id=case.owning_agency_id,
            receiving_agency=agency, service_name=service, plan_action_id=plan_action,
            categories=_sorted(categories), purpose=purpose, created_at=now,
            respond_by=respond_by, access_until=access_until)
        case_event(case=case, actor=actor, kind="referral_made",
                   # The agency's code; a service outside Bridgeway is named on the
                   # referral only (its name can tell of the child's health).
                   params={"referral": referral.pk,
                           "to": agency.code if agency else None,
                           "categories": referral.categories, "plan_action": plan_action})
        _audit(actor, Action.CREATE, "referral", referral, case,
               detail={"to": agency.code if agency else service,
                       "categories": referral.categories, "consent": consent.pk})
        if agency is not None:
            _notify(_agency_staff(agency.pk, supervisors_only=True), kind="referral_received",
                    obj=referral,
                    message=f"New referral #{referral.pk} from {case.owning_agency.name}: "
                            "please accept or decline by "
                            f"{timezone.localtime(respond_by):%Y-%m-%d %H:%M}.")
        case_derive_tasks(case)
        return referral


def _incoming(actor: Any, referral_id: Any) -> Referral:
    """A referral addressed to the actor's agency, locked; NotFound for anyone else."""
    pk = _int_id(referral_id)
    if not grants._agency_user(actor):
        raise NotFound()
    referral = (Referral.objects.select_for_update(of=("self",))
                .select_related("consent", "case", "receiving_agency")
                .filter(pk=pk, receiving_agency_id=actor.agency_id).first())
    if referral is None:
        raise NotFound()
    return referral


def _owned_referral(actor: Any, referral_id: Any) -> tuple[Case, Referral]:
    pk = _int_id(referral_id)
    case_id = Referral.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    case = _owner_case(actor, case_id)
    referral = (Referral.objects.select_for_update(of=("self",)).select_related("consent")
                .get(pk=pk))
    return case, referral


_ALREADY = {
    ReferralStatus.ACCEPTED: "This referral was already accepted.",
    ReferralStatus.DECLINED: "This referral was declined.",
    ReferralStatus.EXPIRED: "This referral has expired.",
    ReferralStatus.WITHDRAWN: "This referral was withdrawn by the referring agency.",
    ReferralStatus.CLOSED: "This referral is closed.",
}


def _still_shareable(referral: Referral) -> None:
    today = timezone.localdate()
    if not referral.consent.is_valid_on(today):
        raise DomainError("The consent for this referral is no longer valid.")
    if referral.access_until < today:
        raise DomainError("The period granted by this referral has ended.")


def referral_accept(*, actor: Any, referral_id: Any, assign_to_id: Any = None) -> Referral:
    """The receiving agency takes the referral on. A caseworker who accepts is assigned;
    a supervisor may assign one of the agency's caseworkers (or nobody yet: then only
    its supervisors see the case)."""
    with transaction.atomic():
        referral = _incoming(actor, referral_id)
        if referral.status != ReferralStatus.PENDING:
            raise DomainError(_ALREADY.get(ReferralStatus(referral.status),
                                           "This referral cannot be accepted."))
        _still_shareable(referral)
        if assign_to_id not in (None, ""):
            if actor.role != "supervisor":
                raise NotAllowed("Only a supervisor assigns the referral to someone else.")
            assignee = _assignable(actor.agency_id, assign_to_id)
        else:
            assignee = actor if actor.role == "caseworker" else None
        referral.status = ReferralStatus.ACCEPTED
        referral.responded_at, referral.responded_by = timezone.now(), actor
        referral.assigned_to = assignee
        referral.version += 1
        referral.save(update_fields=["status", "responded_at", "responded_by", "assigned_to",
                                     "version"])
        case = referral.case
        case_event(case=case, actor=actor, kind="referral_accepted",
                   params={"referral": referral.pk, "by": actor.agency.code})
        _audit(actor, Action.STATUS, "referral", referral, case,
               detail={"to": ReferralStatus.ACCEPTED,
                       "assigned_to": assignee.username if assignee else None})
        _notify([referral.referred_by, case.assigned_to], kind="referral_accepted",
                obj=referral, case=case,
                message=f"Referral #{referral.pk} on case {case.case_number} was accepted "
                        f"by {actor.agency.name}.")
        case_derive_tasks(case)
        return referral


def referral_decline(*, actor: Any, referral_id: Any, reason: Any) -> Referral:
    text = clean_text(reason, field="reason", required=True, max_length=5000)
    with transaction.atomic():
        referral = _incoming(actor, referral_id)
        if referral.status != ReferralStatus.PENDING:
            raise DomainError(_ALREADY.get(ReferralStatus(referral.status),
                                           "This referral cannot be declined."))
        referral.status = ReferralStatus.DECLINED
        referral.responded_at, referral.responded_by = timezone.now(), actor
        referral.decline_reason = text
        referral.version += 1
        referral.save(update_fields=["status", "responded_at", "responded_by",
                                     "decline_reason", "version"])
        case = referral.case
        case_event(case=case, actor=actor, kind="referral_declined",
                   params={"referral": referral.pk, "by": actor.agency.code})
        _audit(actor, Action.STATUS, "referral", referral, case, reason=text,
               detail={"to": ReferralStatus.DECLINED})
        _notify([referral.referred_by, case.assigned_to], kind="referral_declined",
                obj=referral, case=case,
                message=f"Referral #{referral.pk} on case {case.case_number} was declined "
                        f"by {actor.agency.name}.")
        case_derive_tasks(case)
        return referral


def referral_assign(*, actor: Any, referral_id: Any, user_id: Any) -> Referral:
    """A supervisor of the receiving agency (re)assigns an accepted referral."""
    with transaction.atomic():
        referral = _incoming(actor, referral_id)
        if actor.role != "supervisor":
            raise NotAllowed("Only a supervisor of the receiving agency assigns referrals.")
        if referral.status != ReferralStatus.ACCEPTED:
            raise DomainError("Only an accepted referral can be assigned.")
        assignee = _assignable(actor.agency_id, user_id, field="user_id")
        referral.assigned_to = assignee
        referral.version += 1
        referral.save(update_fields=["assigned_to", "version"])
        _audit(actor, Action.ASSIGN, "referral", referral, referral.case,
               detail={"to": assignee.username})
        _notify([assignee], kind="referral_assigned", obj=referral,
                message=f"Referral #{referral.pk} was assigned to you.")
        return referral


def may_report_service(user: Any, referral: Referral) -> bool:
    """REPORT_SERVICE: the assigned receiving user or a supervisor of the receiving
    agency, while the referral grants access (accepted, consent valid, in its period)."""
    return grants.referrals_granting(user).filter(pk=referral.pk).exists()


def referral_report_service(*, actor: Any, referral_id: Any, service_type: Any,
                            delivered_on: Any, outcome: Any) -> ServiceReport:
    errors: Errors = {}
    kind = clean_text(service_type, field="service_type", required=True, max_length=200,
                      errors=errors)
    on = to_date(delivered_on, field="delivered_on", errors=errors, required=True)
    text = clean_text(outcome, field="outcome", required=True, max_length=5000, errors=errors)
    with transaction.atomic():
        referral = _incoming(actor, referral_id)
        if not may_report_service(actor, referral):
            if referral.status == ReferralStatus.ACCEPTED and actor.role != "supervisor" \
                    and referral.assigned_to_id != actor.pk:
                raise NotAllowed("Only the assigned worker or a supervisor reports on this "
                                 "referral.")
            raise DomainError("This referral does not allow reporting now (not accepted, "
                              "ended, or its consent is no longer valid).")
        if on and on < timezone.localdate(referral.created_at):
            add(errors, "delivered_on", "Before the referral was made.")
        if errors:
            raise ValidationFailed(errors)
        assert on is not None
        report = ServiceReport.objects.create(referral=referral, service_type=kind,
                                              delivered_on=on, outcome=text,
                                              reported_by=actor, reported_at=timezone.now())
        case = referral.case
        case_event(case=case, actor=actor, kind="referral_service_reported",
                   # The service type is the receiver's own words: kept on the report.
                   params={"referral": referral.pk, "report": report.pk,
                           "delivered_on": on.isoformat()})
        _audit(actor, Action.CREATE, "service_report", report, case,
               detail={"referral": referral.pk})
        _notify([referral.referred_by, case.assigned_to], kind="referral_service_reported",
                obj=referral, case=case,
                message=f"{actor.agency.name} reported a service under referral "
                        f"#{referral.pk} on case {case.case_number}.")
        return report


def _end(referral: Referral, actor: Any, status: ReferralStatus, note: str) -> None:
    referral.status, referral.ended_at, referral.ended_by = status, timezone.now(), actor
    referral.end_note = note
    referral.version += 1
    referral.save(update_fields=["status", "ended_at", "ended_by", "end_note", "version"])


def referral_close(*, actor: Any, referral_id: Any, note: Any = "") -> Referral:
    """Close an accepted referral: the receiving agency (assigned worker or supervisor)
    when the service is done, or the owning agency. Without any service report a note
    must say why. Access ends with it."""
    text = clean_text(note, field="note", max_length=5000)
    pk = _int_id(referral_id)
    with transaction.atomic():
        receiving = grants._agency_user(actor) and Referral.objects.filter(
            pk=pk, receiving_agency_id=actor.agency_id).exists()
        if receiving:
            referral = _incoming(actor, pk)
            if actor.role != "supervisor" and referral.assigned_to_id != actor.pk:
                raise NotAllowed("Only the assigned worker or a supervisor closes this "
                                 "referral.")
            case = referral.case
        else:
            case, referral = _owned_referral(actor, pk)
        if referral.status != ReferralStatus.ACCEPTED:
            raise DomainError("Only an accepted referral can be closed.")
        if not text and not referral.service_reports.exists():
            raise ValidationFailed.single("note", "No service was reported: say why the "
                                                  "referral is closed.")
        _end(referral, actor, ReferralStatus.CLOSED, text)
        case_event(case=case, actor=actor, kind="referral_closed",
                   params={"referral": referral.pk})
        _audit(actor, Action.STATUS, "referral", referral, case,
               detail={"to": ReferralStatus.CLOSED})
        if receiving:
            others = [referral.referred_by, case.assigned_to]
        elif referral.receiving_agency_id:
            others = [*_agency_staff(referral.receiving_agency_id, supervisors_only=True),
                      referral.assigned_to]
        else:
            others = []
        _notify(others, kind="referral_closed", obj=referral,
                message=f"Referral #{referral.pk} was closed.")
        case_derive_tasks(case)
        return referral


def referral_withdraw(*, actor: Any, referral_id: Any, reason: Any) -> Referral:
    """The referring agency withdraws a pending or accepted referral; access ends."""
    text = clean_text(reason, field="reason", required=True, max_length=5000)
    with transaction.atomic():
        case, referral = _owned_referral(actor, referral_id)
        if referral.status not in OPEN_REFERRAL_STATUSES:
            raise DomainError(_ALREADY.get(ReferralStatus(referral.status),
                                           "This referral cannot be withdrawn."))
        was = referral.status
        _end(referral, actor, ReferralStatus.WITHDRAWN, text)
        case_event(case=case, actor=actor, kind="referral_withdrawn",
                   params={"referral": referral.pk})
        _audit(actor, Action.STATUS, "referral", referral, case, reason=text,
               detail={"to": ReferralStatus.WITHDRAWN})
        if referral.receiving_agency_id:
            extra = [referral.assigned_to] if was == ReferralStatus.ACCEPTED else []
            _notify(_agency_staff(referral.receiving_agency_id, supervisors_only=True) + extra,
                    kind="referral_withdrawn", obj=referral,
                    message=f"Referral #{referral.pk} was withdrawn by the referring agency.")
        case_derive_tasks(case)
        return referral


@dataclass(frozen=True)
class SweepResult:
    expired: int
    cases_rederived: int


def referrals_sweep(*, now: datetime | None = None) -> SweepResult:
    """The periodic job (idempotent): referrals whose access period or consent has run
    out become EXPIRED (access already stopped at that moment: the grant reads the dates;
    this keeps the lists true), and cases with an overdue referral response or an
    unreviewed consent withdrawal get their tasks derived."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ended_q = (Q(access_until__lt=today) | Q(consent__valid_until__lt=today)
               | Q(consent__withdrawn_at__isnull=False))
    case_ids: set[int] = set()
    expired = 0
    with transaction.atomic():
        for referral in (Referral.objects.select_for_update(of=("self",))
                         .filter(ended_q, status__in=OPEN_REFERRAL_STATUSES)
                         .select_related("case").order_by("pk")):
            _end(referral, None, ReferralStatus.EXPIRED, "Access period or consent ended.")
            case_event(case=referral.case, actor=None, kind="referral_expired",
                       params={"referral": referral.pk})
            audit_record(actor=None, action=Action.STATUS, object_type="referral",
                         object_id=referral.pk, child_id=referral.case.child_id,
                         case_id=referral.case_id, detail={"to": ReferralStatus.EXPIRED})
            case_ids.add(referral.case_id)
            expired += 1
    overdue = Referral.objects.filter(status=ReferralStatus.PENDING, respond_by__lte=now)
    case_ids.update(overdue.values_list("case_id", flat=True))
    case_ids.update(Consent.objects.filter(withdrawn_at__isnull=False,
                                           withdrawal_reviewed_at__isnull=True)
                    .values_list("case_id", flat=True))
    for case in Case.objects.filter(pk__in=case_ids).select_related("child", "assigned_to"):
        with transaction.atomic():
            case_derive_tasks(case)
    return SweepResult(expired=expired, cases_rederived=len(case_ids))
