"""Consent records: recording, withdrawal and its best-interests review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from bridgeway.access import policy, sectors
from bridgeway.access.policy import ALL_CATEGORIES, Perm
from bridgeway.accounts.models import Agency
from bridgeway.audit.models import Action
from bridgeway.cases.events import case_event
from bridgeway.cases.models import Status
from bridgeway.cases.tasks import case_derive_tasks
from bridgeway.core.coerce import Errors, add, to_bool, to_choice, to_date, to_int
from bridgeway.core.errors import DomainError, NotFound, ValidationFailed
from bridgeway.core.text import clean_text
from bridgeway.referrals import grants
from bridgeway.referrals.models import (
    OPEN_REFERRAL_STATUSES,
    Consent,
    ConsentGiver,
    ConsentPurpose,
    Referral,
    ReferralStatus,
    Transfer,
    TransferEvent,
    TransferStatus,
)
from bridgeway.referrals.services._common import (
    CASE_WORKER_ROLES,
    CONSENT_AGE,
    _agency_staff,
    _audit,
    _categories,
    _int_id,
    _notify,
    _owner_case,
    _reason,
    _sorted,
    consent_max_days,
    min_reason_length,
)
from bridgeway.registry import age
from bridgeway.registry.models import FamilyMember, Relationship


@dataclass(frozen=True)
class ConsentInput:
    """Raw consent input from a form or the API (see ``consent_record``)."""

    given_by: Any
    categories: Any
    purpose: Any
    valid_until: Any
    kind: Any = ConsentPurpose.REFERRAL
    receiving_agency_id: Any = None
    receiving_service: Any = ""
    consented_on: Any = None
    family_member_id: Any = None
    child_assent: Any = None
    child_views: Any = ""
    caregiver_involvement: Any = ""
    override_reason: Any = ""


def is_guardian(member: FamilyMember) -> bool:
    """Who may consent for a child under 13: a family member *recorded* as the child's
    legal guardian (the ``is_legal_guardian`` flag, or the relationship "legal guardian").

    A mother or father who is not marked as legal guardian is refused on purpose: for
    children associated with armed or criminal groups a parent may have lost custody, be
    absent, or be involved with the group; the registry records guardianship explicitly
    and the caseworker corrects it there when it is wrong."""
    return bool(member.is_legal_guardian or member.relationship == Relationship.LEGAL_GUARDIAN)


def consent_record(*, actor: Any, case_id: int, data: ConsentInput) -> Consent:
    """Record a consent for sharing the case (referral) or moving it (transfer).

    The child's lowest plausible age on the day of consent decides who consents (age
    unknown counts as under 13 — the more protective rule):

    * under 13: ``given_by="representative"`` — a family member recorded as the child's
      legal guardian — with the child's assent (``child_assent=True``) and views;
    * 13 and over: ``given_by="child"``, the child's own informed consent, with the
      caregiver's involvement noted (``caregiver_involvement``);
    * any age: ``given_by="best_interests"`` — a supervisor of the owning agency decides
      in the child's best interests, with a written reason (and the child's views).

    A child under 13 who does not assent is not overruled by a representative: only a
    supervisor's best-interests decision can then allow sharing."""
    errors: Errors = {}
    kind = to_choice(data.kind, ConsentPurpose, field="kind", errors=errors,
                     default=ConsentPurpose.REFERRAL)
    given_by = to_choice(data.given_by, ConsentGiver, field="given_by", errors=errors)
    purpose = clean_text(data.purpose, field="purpose", required=True, max_length=2000,
                         errors=errors)
    if kind == ConsentPurpose.TRANSFER and data.categories in (None, "", []):
        categories = ALL_CATEGORIES  # the whole record moves to the new owner
    else:
        categories = _categories(data.categories, field="categories", errors=errors)
    today = timezone.localdate()
    consented_on = (to_date(data.consented_on, field="consented_on", errors=errors)
                    if data.consented_on not in (None, "") else today)
    valid_until = to_date(data.valid_until, field="valid_until", errors=errors,
                          required=True, allow_future=True)
    service = clean_text(data.receiving_service, field="receiving_service", max_length=200,
                         errors=errors)
    child_views = clean_text(data.child_views, field="child_views", max_length=5000,
                             errors=errors)
    involvement = clean_text(data.caregiver_involvement, field="caregiver_involvement",
                             max_length=5000, errors=errors)
    assent = (None if data.child_assent in (None, "")
              else to_bool(data.child_assent, field="child_assent", errors=errors))
    override = ""
    if given_by == ConsentGiver.BEST_INTERESTS:
        override = _reason(data.override_reason, field="override_reason", errors=errors,
                           minimum=min_reason_length())
    agency_id = to_int(data.receiving_agency_id, field="receiving_agency_id", errors=errors,
                       minimum=1, maximum=2**62)
    member_id = to_int(data.family_member_id, field="family_member_id", errors=errors,
                       minimum=1, maximum=2**62)
    if consented_on and valid_until:
        if valid_until < consented_on:
            add(errors, "valid_until", "Ends before the consent was given.")
        elif valid_until < today:
            add(errors, "valid_until", "This consent has already lapsed.")
        elif valid_until > consented_on + timedelta(days=consent_max_days()):
            add(errors, "valid_until",
                f"A consent lasts at most {consent_max_days()} days; record a new one then.")

    with transaction.atomic():
        case = _owner_case(actor, case_id, supervisor_only=given_by ==
                           ConsentGiver.BEST_INTERESTS)
        if case.status == Status.CLOSED:
            raise DomainError("The case is closed.")
        agency = None
        if agency_id is not None:
            agency = Agency.objects.filter(pk=agency_id, active=True).first()
            if agency is None:
                add(errors, "receiving_agency_id", "Unknown or inactive agency.")
            elif agency.pk == case.owning_agency_id:
                add(errors, "receiving_agency_id", "This agency already owns the case.")
        if kind == ConsentPurpose.TRANSFER and agency_id is None:
            add(errors, "receiving_agency_id", "Name the agency the case moves to.")
        if kind == ConsentPurpose.REFERRAL and agency_id is None and not service:
            add(errors, "receiving_agency_id",
                "Name the receiving agency or the service outside Bridgeway.")
        if kind == ConsentPurpose.REFERRAL and agency is not None and categories:
            outside = categories - sectors.rule_for_sector(agency.sector).ceiling
            if outside:
                add(errors, "categories",
                    f"The {agency.get_sector_display()} sector may never receive: "
                    f"{', '.join(_sorted(outside))}.")
        child_age = age.age_on(case.child.youngest_birth_date, consented_on or today)
        member = None
        if member_id is not None:
            member = FamilyMember.objects.filter(pk=member_id, child_id=case.child_id).first()
            if member is None:
                add(errors, "family_member_id", "Not a family member recorded for this child.")
        under_13 = child_age is None or child_age < CONSENT_AGE
        if given_by == ConsentGiver.REPRESENTATIVE:
            if not under_13:
                add(errors, "given_by", f"The child is {child_age}: from {CONSENT_AGE} the "
                    "child gives their own informed consent.")
            if member_id is None:
                add(errors, "family_member_id", "Choose the legal guardian who consents.")
            elif member is not None and not is_guardian(member):
                add(errors, "family_member_id",
                    "This person is not recorded as the child's legal guardian and cannot "
                    "consent for the child.")
            if assent is None:
                add(errors, "child_assent", "Record whether the child assents.")
            elif assent is False:
                add(errors, "child_assent",
                    "The child does not assent. Only a supervisor's best-interests decision "
                    "can allow sharing now.")
            if not child_views:
                add(errors, "child_views", "Record the child's views.")
        elif given_by == ConsentGiver.CHILD:
            if under_13:
                add(errors, "given_by",
                    f"The child is under {CONSENT_AGE} (or the age is unknown): the legal "
                    "guardian consents, with the child's assent.")
            if not involvement:
                add(errors, "caregiver_involvement",
                    "Note how the caregiver was involved (or why not).")
        elif given_by == ConsentGiver.BEST_INTERESTS and not child_views:
            add(errors, "child_views", "Record the child's views (or why they could not be "
                                       "heard).")
        if errors:
            raise ValidationFailed(errors)
        assert consented_on is not None and valid_until is not None  # errors otherwise
        consent = Consent.objects.create(
            case=case, kind=kind, given_by=given_by, family_member=member,
            representative_name=member.name if member else "",
            representative_relationship=member.relationship if member else "",
            child_age=child_age, child_assent=assent, child_views=child_views,
            caregiver_involvement=involvement, override_reason=override,
            categories=_sorted(categories), purpose=purpose, receiving_agency=agency,
            receiving_service=service, consented_on=consented_on, valid_until=valid_until,
            recorded_by=actor, recorded_at=timezone.now())
        case_event(case=case, actor=actor, kind="consent_recorded",
                   params={"consent": consent.pk, "kind": kind, "given_by": given_by,
                           "categories": consent.categories,
                           "valid_until": valid_until.isoformat()})
        _audit(actor, Action.CREATE, "consent", consent, case, reason=override,
               detail={"given_by": given_by, "kind": kind, "categories": consent.categories,
                       "receiving_agency": agency.code if agency else ""})
        return consent


def _consent_withdrawal_allowed(actor: Any, consent: Consent) -> bool:
    """The owning agency's caseworkers and supervisors who see the case, and a receiving
    user whose access rests on this consent (the child may tell the clinic), record a
    withdrawal. Withdrawing only ever reduces sharing, so the bar is low on purpose."""
    case = consent.case
    if not policy.can(actor, Perm.VIEW, case):
        return False
    if actor.agency_id == case.owning_agency_id and actor.role in CASE_WORKER_ROLES:
        return True
    return grants.referrals_granting(actor).filter(consent_id=consent.pk).exists()


def consent_withdraw(*, actor: Any, consent_id: Any, reason: Any,
                     withdrawn_on: Any = None) -> Consent:
    """The child or guardian withdraws consent. Every access resting on it ends at once:
    its pending and accepted referrals become withdrawn, a proposed transfer is cancelled,
    access a former owner kept after a transfer stops. A supervisor then reviews the
    withdrawal in the child's best interests (a task until done)."""
    errors: Errors = {}
    text = _reason(reason, field="reason", errors=errors)
    on = (to_date(withdrawn_on, field="withdrawn_on", errors=errors)
          if withdrawn_on not in (None, "") else timezone.localdate())
    pk = _int_id(consent_id)
    with transaction.atomic():
        found = Consent.objects.select_related("case").filter(pk=pk).first()
        if found is None or not _consent_withdrawal_allowed(actor, found):
            raise NotFound()
        if found.case.owning_agency_id == actor.agency_id:
            case = policy.case_for(actor, pk=found.case_id, for_update=True)
        else:
            case = found.case
        consent = Consent.objects.select_for_update().get(pk=pk)
        if consent.withdrawn_at is not None:
            raise DomainError("This consent was already withdrawn on "
                              f"{(consent.withdrawn_on or consent.withdrawn_at.date()).isoformat()}.")
        if on and on < consent.consented_on:
            add(errors, "withdrawn_on", "Before the consent was given.")
        if errors:
            raise ValidationFailed(errors)
        now = timezone.now()
        consent.withdrawn_at, consent.withdrawn_on = now, on
        consent.withdrawn_reason, consent.withdrawn_recorded_by = text, actor
        consent.save(update_fields=["withdrawn_at", "withdrawn_on", "withdrawn_reason",
                                    "withdrawn_recorded_by"])
        ended = list(Referral.objects.select_for_update().filter(
            consent_id=consent.pk, status__in=OPEN_REFERRAL_STATUSES).order_by("pk"))
        for referral in ended:
            was = referral.status
            referral.status, referral.ended_at, referral.ended_by = (ReferralStatus.WITHDRAWN,
                                                                     now, actor)
            referral.end_note = "Consent withdrawn."
            referral.version += 1
            referral.save(update_fields=["status", "ended_at", "ended_by", "end_note",
                                         "version"])
            if was == ReferralStatus.ACCEPTED and referral.receiving_agency_id:
                recipients = [*_agency_staff(referral.receiving_agency_id,
                                             supervisors_only=True), referral.assigned_to]
            elif referral.receiving_agency_id:
                recipients = _agency_staff(referral.receiving_agency_id,
                                           supervisors_only=True)
            else:
                recipients = []
            _notify(recipients, kind="referral_withdrawn", obj=referral,
                    message=f"Referral #{referral.pk} was withdrawn: the consent it rested on "
                            "was withdrawn. Access to the shared information has ended.")
        transfers = list(Transfer.objects.select_for_update().filter(
            consent_id=consent.pk, status__in=[TransferStatus.PROPOSED,
                                               TransferStatus.ACCEPTED]).order_by("pk"))
        for transfer in transfers:
            if transfer.status == TransferStatus.PROPOSED:
                transfer.status, transfer.decided_at = TransferStatus.CANCELLED, now
                transfer.decision_note = "Consent withdrawn."
                transfer.save(update_fields=["status", "decided_at", "decision_note"])
                TransferEvent.objects.create(transfer=transfer, kind="cancelled", actor=actor,
                                             at=now, params={"why": "consent_withdrawn"})
                _notify(_agency_staff(transfer.to_agency_id, supervisors_only=True),
                        kind="transfer_cancelled", obj=transfer,
                        message=f"Transfer #{transfer.pk} was cancelled: consent withdrawn.")
            elif transfer.retain_access:
                TransferEvent.objects.create(transfer=transfer, kind="retained_access_ended",
                                             actor=actor, at=now,
                                             params={"why": "consent_withdrawn"})
                _notify([*_agency_staff(transfer.from_agency_id, supervisors_only=True),
                         transfer.former_assignee], kind="transfer_access_ended",
                        obj=transfer,
                        message=f"Read access kept after transfer #{transfer.pk} has ended: "
                                "consent withdrawn.")
        case_event(case=case, actor=actor, kind="consent_withdrawn",
                   params={"consent": consent.pk, "referrals": [r.pk for r in ended],
                           "transfers": [t.pk for t in transfers]})
        _audit(actor, Action.UPDATE, "consent", consent, case, reason=text,
               detail={"withdrawn": True, "referrals_ended": [r.pk for r in ended],
                       "transfers": [t.pk for t in transfers]})
        case_derive_tasks(case)
        return consent


def consent_review_withdrawal(*, actor: Any, consent_id: Any, note: Any) -> Consent:
    """A supervisor of the owning agency records the best-interests review of a
    withdrawal (STANDARDS.md: "withdrawal is … reviewed in the child's best interests")."""
    text = clean_text(note, field="note", required=True, max_length=5000)
    pk = _int_id(consent_id)
    with transaction.atomic():
        found = Consent.objects.filter(pk=pk).values_list("case_id", flat=True).first()
        if found is None:
            raise NotFound()
        case = _owner_case(actor, found, supervisor_only=True)
        consent = Consent.objects.select_for_update().get(pk=pk)
        if consent.withdrawn_at is None:
            raise DomainError("This consent has not been withdrawn.")
        if consent.withdrawal_reviewed_at is not None:
            raise DomainError("The withdrawal was already reviewed.")
        consent.withdrawal_reviewed_at = timezone.now()
        consent.withdrawal_reviewed_by, consent.withdrawal_review_note = actor, text
        consent.save(update_fields=["withdrawal_reviewed_at", "withdrawal_reviewed_by",
                                    "withdrawal_review_note"])
        case_event(case=case, actor=actor, kind="consent_withdrawal_reviewed",
                   params={"consent": consent.pk})
        _audit(actor, Action.UPDATE, "consent", consent, case, detail={"reviewed": True})
        case_derive_tasks(case)
        return consent
