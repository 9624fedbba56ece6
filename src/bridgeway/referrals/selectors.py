"""Reads for consent, referrals, transfers, break-glass and notifications.

Every selector takes the acting user and applies ``access.policy``. What a receiving
agency is shown about a referral it has not accepted is deliberately thin — who refers,
for what, which categories, by when — and never the child's identity: the case itself
stays invisible to it until it accepts (``policy.case_for`` raises ``NotFound``).

``shared_case_record`` is the view of a case a receiving user gets: the record's fields
grouped by data category (the one field-to-category map, ``access.fields``), only for the
categories ``policy.categories_for`` grants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from bridgeway.access import fields, policy
from bridgeway.access.policy import Category, Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.models import Case
from bridgeway.core.errors import NotAllowed, NotFound
from bridgeway.referrals import grants
from bridgeway.referrals.models import (
    BreakGlass,
    Consent,
    Notification,
    Referral,
    ReferralStatus,
    ServiceReport,
    Transfer,
    TransferStatus,
)
from bridgeway.registry import age
from bridgeway.registry.models import Child

LIST_LIMIT = 200


def _owner(actor: Any, case: Case) -> bool:
    return bool(actor.agency_id and case.owning_agency_id == actor.agency_id)


# --- consent ---------------------------------------------------------------------------------

def consents_for_case(*, actor: Any, case_id: int) -> QuerySet[Consent]:
    """The case's consent records, for its owning agency (they name the representative and
    carry the child's views, so receiving agencies do not get them)."""
    case = policy.case_for(actor, pk=case_id)
    if not _owner(actor, case):
        raise NotAllowed("Consent records are kept by the owning agency.")
    return Consent.objects.filter(case_id=case.pk).select_related(
        "receiving_agency", "recorded_by", "withdrawn_recorded_by")


def consents_usable(*, actor: Any, case_id: int, kind: str = "referral") -> QuerySet[Consent]:
    """Consents valid today that a new referral (or transfer) could rest on."""
    return consents_for_case(actor=actor, case_id=case_id).filter(
        Q(kind=kind), withdrawn_at__isnull=True, consented_on__lte=timezone.localdate(),
        valid_until__gte=timezone.localdate())


# --- referrals ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReferralSummary:
    """What either side may know of a referral. ``case_number`` is filled only for users
    who can see the case; no child data at all."""

    id: int
    status: str
    from_agency: str
    receiver: str
    receiving_agency_id: int | None
    service_name: str
    plan_action_id: str
    categories: tuple[str, ...]
    purpose: str
    created_at: datetime
    respond_by: datetime
    overdue: bool
    access_until: date
    assigned_to: str | None
    consent_valid: bool
    case_number: str | None


def _withdrawn_from(referral: Referral, *, receiving: bool) -> bool:
    """Whether the receiving side no longer gets the referral's words: once the consent is
    withdrawn (or the referring agency withdraws the referral) the purpose — child data the
    referrer wrote for the receiver — goes with the rest of the shared information; the
    receiver keeps the referral's existence, dates and status for its own records."""
    return receiving and (referral.status == ReferralStatus.WITHDRAWN
                          or referral.consent.withdrawn_at is not None)


def _summary(referral: Referral, visible_case_ids: set[int], *,
             receiving: bool = False) -> ReferralSummary:
    return ReferralSummary(
        id=referral.pk, status=referral.status, from_agency=referral.from_agency.name,
        receiver=referral.receiver_label, receiving_agency_id=referral.receiving_agency_id,
        service_name=referral.service_name, plan_action_id=referral.plan_action_id,
        categories=tuple(referral.categories),
        purpose="" if _withdrawn_from(referral, receiving=receiving) else referral.purpose,
        created_at=referral.created_at, respond_by=referral.respond_by,
        overdue=referral.is_overdue(), access_until=referral.access_until,
        assigned_to=referral.assigned_to.username if referral.assigned_to else None,
        consent_valid=referral.consent.is_valid_now(),
        case_number=referral.case.case_number if referral.case_id in visible_case_ids
        else None)


def _referral_qs() -> QuerySet[Referral]:
    return Referral.objects.select_related("from_agency", "receiving_agency", "assigned_to",
                                           "consent", "case")


def _visible_ids(actor: Any, case_ids: set[int]) -> set[int]:
    return set(policy.cases_visible_to(actor).filter(pk__in=case_ids)
               .values_list("pk", flat=True))


def referrals_for_case(*, actor: Any, case_id: int) -> list[ReferralSummary]:
    """The owning agency sees all referrals of the case; another agency that sees the case
    (through a referral) sees only the referrals addressed to it."""
    case = policy.case_for(actor, pk=case_id)
    qs = _referral_qs().filter(case_id=case.pk)
    if not _owner(actor, case):
        qs = qs.filter(receiving_agency_id=actor.agency_id)
    return [_summary(r, {case.pk}, receiving=not _owner(actor, case)) for r in qs[:LIST_LIMIT]]


def referrals_incoming(*, actor: Any, status: str | None = None) -> list[ReferralSummary]:
    """Referrals addressed to the actor's agency: supervisors see all of them; caseworkers
    the pending ones (any of them may accept) and those assigned to them."""
    if not grants._agency_user(actor):
        return []
    qs = _referral_qs().filter(receiving_agency_id=actor.agency_id)
    if actor.role != "supervisor":
        qs = qs.filter(Q(status=ReferralStatus.PENDING) | Q(assigned_to_id=actor.pk))
    if status:
        if status not in ReferralStatus.values:
            return []
        qs = qs.filter(status=status)
    rows = list(qs.order_by("status", "respond_by", "pk")[:LIST_LIMIT])
    visible = _visible_ids(actor, {r.case_id for r in rows})
    return [_summary(r, visible, receiving=True) for r in rows]


def referrals_outgoing(*, actor: Any, status: str | None = None) -> list[ReferralSummary]:
    """Referrals made from the actor's agency on cases the actor can see."""
    if not grants._agency_user(actor):
        return []
    qs = _referral_qs().filter(from_agency_id=actor.agency_id,
                               case__in=policy.cases_visible_to(actor))
    if status:
        qs = qs.filter(status=status)
    rows = list(qs[:LIST_LIMIT])
    return [_summary(r, {r.case_id for r in rows}) for r in rows]


@dataclass(frozen=True)
class ConsentSummary:
    given_by: str
    consented_on: date
    valid_until: date
    withdrawn: bool
    categories: tuple[str, ...]
    purpose: str


@dataclass(frozen=True)
class ReferralDetail:
    referral: ReferralSummary
    consent: ConsentSummary
    service_reports: list[ServiceReport]
    decline_reason: str
    end_note: str
    may_accept: bool
    may_decline: bool
    may_assign: bool
    may_report_service: bool
    may_close: bool
    may_withdraw: bool


def referral_detail(*, actor: Any, referral_id: int) -> ReferralDetail:
    """One referral, for the owning agency (who may see the case) or the receiving
    agency's caseworkers and supervisors; NotFound for everyone else."""
    referral = _referral_qs().filter(pk=referral_id).first()
    if referral is None:
        raise NotFound()
    receiving = (grants._agency_user(actor)
                 and referral.receiving_agency_id == actor.agency_id
                 and (actor.role == "supervisor" or referral.status == ReferralStatus.PENDING
                      or referral.assigned_to_id == actor.pk))
    owner = (_owner(actor, referral.case) and policy.can(actor, Perm.VIEW, referral.case))
    if not (receiving or owner):
        raise NotFound()
    visible = {referral.case_id} if policy.can(actor, Perm.VIEW, referral.case) else set()
    consent = referral.consent
    pending = referral.status == ReferralStatus.PENDING
    accepted = referral.status == ReferralStatus.ACCEPTED
    granting = receiving and grants.referrals_granting(actor).filter(pk=referral.pk).exists()
    editor = owner and policy.can(actor, Perm.EDIT, referral.case)
    return ReferralDetail(
        referral=_summary(referral, visible, receiving=not owner),
        consent=ConsentSummary(given_by=consent.given_by, consented_on=consent.consented_on,
                               valid_until=consent.valid_until,
                               withdrawn=consent.withdrawn_at is not None,
                               categories=tuple(consent.categories),
                               purpose="" if _withdrawn_from(referral, receiving=not owner)
                               else consent.purpose),
        service_reports=list(referral.service_reports.select_related("reported_by")),
        decline_reason=referral.decline_reason, end_note=referral.end_note,
        may_accept=bool(receiving and pending and consent.is_valid_now()),
        may_decline=bool(receiving and pending),
        may_assign=bool(receiving and accepted and actor.role == "supervisor"),
        may_report_service=bool(granting),
        may_close=bool(accepted and (granting or editor)),
        may_withdraw=bool(editor and referral.status in (ReferralStatus.PENDING,
                                                         ReferralStatus.ACCEPTED)),
    )


# --- the shared record -----------------------------------------------------------------------

@dataclass(frozen=True)
class SharedRecord:
    """A case as one user may see it: ``sections`` maps each granted category to its
    fields; categories not granted are absent (not empty, not masked: absent)."""

    case_id: int
    case_number: str
    categories: frozenset[Category]
    via: tuple[str, ...]  # the grant sources, e.g. ("referral:12",)
    sections: dict[Category, dict[str, Any]] = field(default_factory=dict)


def _child_values(child: Child) -> dict[str, Any]:
    """Related rows and derived values of the child, by their name in
    ``access.fields.CHILD_FIELDS``; the other fields are read as attributes."""
    today = timezone.localdate()
    birthday = age.eighteenth_birthday(child.youngest_birth_date)
    return {
        "names": [{"kind": n.kind, "value": n.value, "latin": n.latin}
                  for n in child.names.all()],
        "aliases": [{"type": a.alias_type, "value": a.value, "latin": a.latin}
                    for a in child.aliases.all()],
        "identifiers": [{"type": i.id_type, "value": i.value, "issuer": i.issuer}
                        for i in child.identifiers.all()],
        "age_assessments": [{"method": a.method, "claimed_age_years": a.claimed_age_years,
                             "assessed_min_years": a.assessed_min_years,
                             "assessed_max_years": a.assessed_max_years,
                             "assessed_on": a.assessed_on, "pending": a.pending}
                            for a in child.age_assessments.all()],
        "age": age.age_on(child.youngest_birth_date, today),
        "turned_18_on": birthday if birthday and birthday <= today else None,
        "nationalities": list(child.nationalities),
        "languages": list(child.languages),
    }


def _child_section(child: Child, category: Category) -> dict[str, Any]:
    derived = _child_values(child)
    return {name: derived[name] if name in derived else getattr(child, name)
            for name in fields.fields_of(fields.CHILD_FIELDS, category)
            if name != "family"}


def _members(child: Child, category: Category) -> list[dict[str, Any]]:
    """The family members' fields of one category; the relationship labels each row."""
    names = ("relationship", *(n for n in fields.fields_of(fields.FAMILY_MEMBER_FIELDS,
                                                           category)
                               if n != "relationship"))
    return [{name: getattr(f, name) for name in names} for f in child.family.all()]


def _case_section(case: Case, category: Category) -> dict[str, Any]:
    out = fields.pick(case, fields.CASE_FIELDS, category)
    if "assigned_to" in out:
        out["assigned_to"] = case.assigned_to.username if case.assigned_to else None
    if category == Category.CASE_MANAGEMENT:
        out["owning_agency"] = case.owning_agency.name
    return out


def shared_case_record(*, actor: Any, case_id: int, audit: bool = True) -> SharedRecord:
    """The case's registry and case fields the actor is entitled to, by category.

    Health, psychosocial, education and protection-concern detail lives in form
    submissions (``forms``), which filter by the same ``policy.categories_for``; the
    sections here cover the child's identity, family, contact details, association
    history, the justice field of the case and case management."""
    case = policy.case_for(actor, pk=case_id)
    categories = policy.categories_for(actor, case)
    via = tuple(g.source for g in policy.grants_for(actor, case))
    child = (Child.objects.filter(pk=case.child_id)
             .prefetch_related("names", "aliases", "identifiers", "family",
                               "age_assessments").get())
    builders: dict[Category, Any] = {
        Category.IDENTITY: lambda: _child_section(child, Category.IDENTITY),
        Category.FAMILY: lambda: {"members": _members(child, Category.FAMILY)},
        Category.CONTACT_LOCATION: lambda: {
            "family_contacts": _members(child, Category.CONTACT_LOCATION)},
        **{cat: (lambda cat=cat: _case_section(case, cat)) for cat in (
            Category.ASSOCIATION_HISTORY, Category.JUSTICE, Category.CASE_MANAGEMENT)},
    }
    sections = {cat: build() for cat, build in builders.items() if cat in categories}
    if audit:
        audit_record(actor=actor, action=Action.VIEW, object_type="case",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     detail={"view": "shared_record", "categories": sorted(categories),
                             "via": list(via)})
    return SharedRecord(case_id=case.pk, case_number=case.case_number,
                        categories=categories, via=via, sections=sections)


# --- transfers ------------------------------------------------------------------------------

def transfers_for_case(*, actor: Any, case_id: int) -> QuerySet[Transfer]:
    """A case's transfer history (with events), for whoever may see the case and belongs
    to one of the agencies involved."""
    case = policy.case_for(actor, pk=case_id)
    qs = (Transfer.objects.filter(case_id=case.pk)
          .select_related("from_agency", "to_agency", "proposed_by", "decided_by")
          .prefetch_related("events"))
    if not _owner(actor, case):
        qs = qs.filter(Q(from_agency_id=actor.agency_id) | Q(to_agency_id=actor.agency_id))
    return qs


@dataclass(frozen=True)
class IncomingTransfer:
    id: int
    from_agency: str
    reason: str
    proposed_at: datetime
    proposed_by: str
    retain_access: bool
    retained_categories: tuple[str, ...]
    retained_until: date | None


def transfers_incoming(*, actor: Any) -> list[IncomingTransfer]:
    """Proposed transfers awaiting the actor's agency (supervisors only). Like pending
    referrals: no child data before acceptance."""
    if not grants._agency_user(actor) or actor.role != "supervisor":
        return []
    rows = (Transfer.objects.filter(to_agency_id=actor.agency_id,
                                    status=TransferStatus.PROPOSED)
            .select_related("from_agency", "proposed_by").order_by("proposed_at", "pk"))
    return [IncomingTransfer(id=t.pk, from_agency=t.from_agency.name, reason=t.reason,
                             proposed_at=t.proposed_at, proposed_by=t.proposed_by.username,
                             retain_access=t.retain_access,
                             retained_categories=tuple(t.retained_categories),
                             retained_until=t.retained_until)
            for t in rows[:LIST_LIMIT]]


# --- break-glass ----------------------------------------------------------------------------

def break_glass_uses(*, actor: Any, active_only: bool = False, unreviewed_only: bool = False,
                     user_id: int | None = None, case_id: int | None = None,
                     audit: bool = True) -> QuerySet[BreakGlass]:
    """Every break-glass use, for review. Auditors see all of them; a supervisor sees the
    uses on cases their agency owned at the time; anyone else is refused. Newest first."""
    qs = BreakGlass.objects.select_related("user", "agency", "owning_agency", "case",
                                           "reviewed_by")
    if policy.may_read_audit(actor):
        pass
    elif (getattr(actor, "role", "") == "supervisor" and getattr(actor, "agency_id", None)
          and actor.is_active):
        qs = qs.filter(owning_agency_id=actor.agency_id)
    else:
        raise NotAllowed("Only auditors and supervisors review break-glass uses.")
    now = timezone.now()
    if active_only:
        qs = qs.filter(ended_at__isnull=True, started_at__lte=now, expires_at__gt=now)
    if unreviewed_only:
        qs = qs.filter(reviewed_at__isnull=True)
    if user_id is not None:
        qs = qs.filter(user_id=user_id)
    if case_id is not None:
        qs = qs.filter(case_id=case_id)
    if audit:
        audit_record(actor=actor, action=Action.AUDIT_VIEW, object_type="break_glass",
                     detail={"active_only": active_only, "user_id": user_id,
                             "case_id": case_id})
    return qs.order_by("-started_at", "-pk")


def break_glass_mine(*, actor: Any) -> QuerySet[BreakGlass]:
    """The actor's own break-glass uses (the active ones are what they can still read)."""
    if not getattr(actor, "pk", None):
        return BreakGlass.objects.none()
    return (BreakGlass.objects.filter(user_id=actor.pk)
            .select_related("case", "owning_agency").order_by("-started_at", "-pk"))


# --- notifications --------------------------------------------------------------------------

def notifications_for(*, actor: Any, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient_id=getattr(actor, "pk", None))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-pk")


# --- a case's sharing, as its pages show it ----------------------------------------------------

@dataclass(frozen=True)
class CaseSharing:
    """Everything about sharing one case that the actor may see: the owning agency gets
    the consents, every referral and the transfer history; a receiving agency only the
    referrals and transfers addressed to it."""

    case: Case
    owner: bool  # the actor belongs to the owning agency
    may_edit: bool  # may record consent, refer, withdraw (Perm.EDIT as owner)
    is_supervisor: bool  # a supervisor of the owning agency (transfers, overrides)
    consents: list[Consent]
    referrals: list[ReferralSummary]
    transfers: list[Transfer]
    #: When the actor's own active break-glass access to the case ends (None: none),
    #: for the banner the case page shows all along the emergency access.
    emergency_until: datetime | None = None


def _emergency_until(actor: Any, case: Case) -> datetime | None:
    if not getattr(actor, "pk", None):
        return None
    now = timezone.now()
    return (BreakGlass.objects.filter(user_id=actor.pk, case_id=case.pk,
                                      ended_at__isnull=True, started_at__lte=now,
                                      expires_at__gt=now)
            .order_by("-expires_at").values_list("expires_at", flat=True).first())


def case_sharing(*, actor: Any, case_id: int, audit: bool = True) -> CaseSharing:
    """The sharing overview of a case; NotFound when the actor may not see the case.
    Audited as a view (consent records carry the child's views)."""
    case = policy.case_for(actor, pk=case_id)
    owner = _owner(actor, case)
    consents = list(consents_for_case(actor=actor, case_id=case.pk)) if owner else []
    sharing = CaseSharing(
        case=case, owner=owner, may_edit=owner and policy.can(actor, Perm.EDIT, case),
        is_supervisor=owner and actor.role == "supervisor", consents=consents,
        referrals=referrals_for_case(actor=actor, case_id=case.pk),
        transfers=list(transfers_for_case(actor=actor, case_id=case.pk)[:LIST_LIMIT]),
        emergency_until=_emergency_until(actor, case))
    if audit:
        audit_record(actor=actor, action=Action.VIEW, object_type="case",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     detail={"view": "sharing", "consents": [c.pk for c in consents]})
    return sharing
