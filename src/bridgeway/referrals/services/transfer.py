"""Transfers of case ownership between agencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from bridgeway.access.policy import Category
from bridgeway.accounts.models import Agency
from bridgeway.audit.models import Action
from bridgeway.cases.events import case_event
from bridgeway.cases.models import Case, Status
from bridgeway.cases.tasks import case_derive_tasks
from bridgeway.core.coerce import Errors, add, to_bool, to_date, to_int
from bridgeway.core.errors import DomainError, NotFound, ValidationFailed
from bridgeway.core.text import clean_text
from bridgeway.referrals import grants
from bridgeway.referrals.models import (
    Consent,
    ConsentPurpose,
    Transfer,
    TransferEvent,
    TransferStatus,
)
from bridgeway.referrals.services._common import (
    _agency_staff,
    _assignable,
    _audit,
    _categories,
    _int_id,
    _notify,
    _owner_case,
    _sorted,
)


def _transfer_event(transfer: Transfer, actor: Any, kind: str, **params: Any) -> None:
    TransferEvent.objects.create(transfer=transfer, kind=kind, actor=actor,
                                 at=timezone.now(), params=params)


def _open_case_elsewhere(case: Case, agency_id: int) -> bool:
    return (Case.objects.filter(child_id=case.child_id, owning_agency_id=agency_id)
            .exclude(status=Status.CLOSED).exclude(pk=case.pk).exists())


@dataclass(frozen=True)
class TransferInput:
    consent_id: Any
    to_agency_id: Any
    reason: Any
    retain_access: Any = False
    retained_categories: Any = None
    retained_until: Any = None


def transfer_propose(*, actor: Any, case_id: int, data: TransferInput) -> Transfer:
    """A supervisor of the owning agency proposes to move the case to another agency,
    under a transfer consent naming that agency. Optionally the owning agency keeps read
    access to chosen categories until a date (never beyond the consent)."""
    errors: Errors = {}
    reason = clean_text(data.reason, field="reason", required=True, max_length=5000,
                        errors=errors)
    agency_id = to_int(data.to_agency_id, field="to_agency_id", errors=errors, required=True,
                       minimum=1, maximum=2**62)
    consent_id = to_int(data.consent_id, field="consent_id", errors=errors, required=True,
                        minimum=1, maximum=2**62)
    retain = to_bool(data.retain_access, field="retain_access", errors=errors)
    retained: frozenset[Category] = frozenset()
    retained_until = None
    if retain:
        retained = _categories(data.retained_categories, field="retained_categories",
                               errors=errors)
        retained_until = to_date(data.retained_until, field="retained_until", errors=errors,
                                 required=True, allow_future=True)
    today = timezone.localdate()
    with transaction.atomic():
        case = _owner_case(actor, case_id, supervisor_only=True)
        if case.status in (Status.CLOSED, Status.CLOSURE_REQUESTED):
            raise DomainError("The case is closed or awaiting closure approval.")
        agency = (Agency.objects.filter(pk=agency_id, active=True).first()
                  if agency_id else None)
        if agency_id and agency is None:
            add(errors, "to_agency_id", "Unknown or inactive agency.")
        elif agency is not None and agency.pk == case.owning_agency_id:
            add(errors, "to_agency_id", "This agency already owns the case.")
        consent = (Consent.objects.select_for_update().filter(pk=consent_id, case_id=case.pk)
                   .first() if consent_id else None)
        if consent_id and consent is None:
            add(errors, "consent_id", "No such consent for this case.")
        if consent is not None:
            if consent.kind != ConsentPurpose.TRANSFER:
                add(errors, "consent_id", "This consent does not cover a transfer.")
            elif not consent.is_valid_on(today):
                add(errors, "consent_id", "This consent is withdrawn or not valid today.")
            elif agency is not None and consent.receiving_agency_id != agency.pk:
                add(errors, "to_agency_id", "The consent names another agency.")
            if retained_until and retained_until > consent.valid_until:
                add(errors, "retained_until", "Later than the consent allows "
                    f"({consent.valid_until.isoformat()}).")
        if retained_until and retained_until < today:
            add(errors, "retained_until", "Already past.")
        if errors:
            raise ValidationFailed(errors)
        assert agency is not None and consent is not None
        if _open_case_elsewhere(case, agency.pk):
            raise DomainError(f"{agency.name} already has an open case for this child; "
                              "coordinate with them instead of transferring.")
        if Transfer.objects.filter(case_id=case.pk, status=TransferStatus.PROPOSED).exists():
            raise DomainError("A transfer of this case is already awaiting a decision.")
        try:
            with transaction.atomic():
                transfer = Transfer.objects.create(
                    case=case, consent=consent, from_agency_id=case.owning_agency_id,
                    to_agency=agency, reason=reason, proposed_by=actor,
                    proposed_at=timezone.now(), retain_access=retain,
                    retained_categories=_sorted(retained), retained_until=retained_until)
        except IntegrityError as exc:
            raise DomainError("A transfer of this case is already awaiting a "
                              "decision.") from exc
        _transfer_event(transfer, actor, "proposed", to=agency.code,
                        retain_access=retain, retained_categories=transfer.retained_categories)
        case_event(case=case, actor=actor, kind="transfer_proposed",
                   params={"transfer": transfer.pk, "to": agency.code})
        _audit(actor, Action.CREATE, "transfer", transfer, case, reason=reason,
               detail={"to": agency.code, "consent": consent.pk, "retain_access": retain,
                       "retained_categories": transfer.retained_categories})
        _notify(_agency_staff(agency.pk, supervisors_only=True), kind="transfer_proposed",
                obj=transfer,
                message=f"{case.owning_agency.name} proposes to transfer a case to your "
                        f"agency (transfer #{transfer.pk}). Please accept or decline.")
        return transfer


def _incoming_transfer(actor: Any, transfer_id: Any) -> Transfer:
    pk = _int_id(transfer_id)
    if not grants._agency_user(actor) or actor.role != "supervisor":
        raise NotFound()
    transfer = Transfer.objects.filter(pk=pk, to_agency_id=actor.agency_id).first()
    if transfer is None:
        raise NotFound()
    return transfer


def transfer_accept(*, actor: Any, transfer_id: Any, assign_to_id: Any = None) -> Transfer:
    """The receiving agency's supervisor accepts: the case's owning agency changes, its
    open tasks follow the new assignee, and the history stays (transfer events and case
    events). Refused if the consent is no longer valid or the receiving agency already
    has an open case for the child (one open case per child per agency)."""
    with transaction.atomic():
        found = _incoming_transfer(actor, transfer_id)
        case = (Case.objects.select_for_update(of=("self",))
                .select_related("child", "owning_agency").get(pk=found.case_id))
        transfer = (Transfer.objects.select_for_update(of=("self",))
                    .select_related("consent", "from_agency").get(pk=found.pk))
        if transfer.status != TransferStatus.PROPOSED:
            raise DomainError({TransferStatus.ACCEPTED: "This transfer was already accepted.",
                               TransferStatus.DECLINED: "This transfer was declined.",
                               TransferStatus.CANCELLED: "This transfer was cancelled.",
                               }.get(TransferStatus(transfer.status), "Not possible."))
        if not transfer.consent.is_valid_now():
            raise DomainError("The consent for this transfer is no longer valid.")
        if case.owning_agency_id != transfer.from_agency_id or case.status == Status.CLOSED:
            raise DomainError("The case changed since the transfer was proposed (closed or "
                              "already moved); ask the owning agency to propose again.")
        if _open_case_elsewhere(case, actor.agency_id):
            raise DomainError("Your agency already has an open case for this child; the "
                              "two cannot both be open. Decline, or close yours first.")
        assignee = (_assignable(actor.agency_id, assign_to_id)
                    if assign_to_id not in (None, "") else None)
        former_agency, former_assignee = case.owning_agency, case.assigned_to
        case.owning_agency_id, case.assigned_to = actor.agency_id, assignee
        case.version += 1
        try:
            with transaction.atomic():
                case.save(update_fields=["owning_agency", "assigned_to", "version",
                                         "updated_at"])
        except IntegrityError as exc:
            raise DomainError("Your agency already has an open case for this child.") from exc
        case.tasks.filter(status="open", assigned_to__isnull=False).update(
            assigned_to=assignee)
        now = timezone.now()
        transfer.status, transfer.decided_by, transfer.decided_at = (TransferStatus.ACCEPTED,
                                                                     actor, now)
        transfer.former_assignee = former_assignee
        transfer.save(update_fields=["status", "decided_by", "decided_at", "former_assignee"])
        _transfer_event(transfer, actor, "accepted", to=actor.agency.code,
                        from_agency=former_agency.code,
                        assigned_to=assignee.username if assignee else None)
        case_event(case=case, actor=actor, kind="transferred",
                   params={"transfer": transfer.pk, "from": former_agency.code,
                           "to": actor.agency.code})
        _audit(actor, Action.STATUS, "transfer", transfer, case,
               detail={"to": TransferStatus.ACCEPTED, "from_agency": former_agency.code,
                       "to_agency": actor.agency.code})
        _notify([*_agency_staff(former_agency.pk, supervisors_only=True), former_assignee],
                kind="transfer_accepted", obj=transfer,
                message=f"Transfer #{transfer.pk} of case {case.case_number} was accepted by "
                        f"{actor.agency.name}."
                        + (" Your agency keeps read access as agreed." if transfer.retain_access
                           else " Your agency no longer has access to it."))
        case_derive_tasks(case)
        return transfer


def transfer_decline(*, actor: Any, transfer_id: Any, reason: Any) -> Transfer:
    text = clean_text(reason, field="reason", required=True, max_length=5000)
    with transaction.atomic():
        found = _incoming_transfer(actor, transfer_id)
        transfer = (Transfer.objects.select_for_update(of=("self",)).select_related("case")
                    .get(pk=found.pk))
        if transfer.status != TransferStatus.PROPOSED:
            raise DomainError("Only a proposed transfer can be declined.")
        transfer.status, transfer.decided_by = TransferStatus.DECLINED, actor
        transfer.decided_at, transfer.decision_note = timezone.now(), text
        transfer.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _transfer_event(transfer, actor, "declined")
        case_event(case=transfer.case, actor=actor, kind="transfer_declined",
                   params={"transfer": transfer.pk, "by": actor.agency.code})
        _audit(actor, Action.STATUS, "transfer", transfer, transfer.case, reason=text,
               detail={"to": TransferStatus.DECLINED})
        _notify([*_agency_staff(transfer.from_agency_id, supervisors_only=True),
                 transfer.proposed_by], kind="transfer_declined", obj=transfer,
                message=f"Transfer #{transfer.pk} of case {transfer.case.case_number} was "
                        f"declined by {actor.agency.name}.")
        return transfer


def transfer_cancel(*, actor: Any, transfer_id: Any, reason: Any) -> Transfer:
    """The owning agency's supervisor withdraws a proposed transfer."""
    text = clean_text(reason, field="reason", required=True, max_length=5000)
    pk = _int_id(transfer_id)
    with transaction.atomic():
        case_id = Transfer.objects.filter(pk=pk).values_list("case_id", flat=True).first()
        if case_id is None:
            raise NotFound()
        case = _owner_case(actor, case_id, supervisor_only=True)
        transfer = Transfer.objects.select_for_update().get(pk=pk)
        if transfer.status != TransferStatus.PROPOSED:
            raise DomainError("Only a proposed transfer can be cancelled.")
        transfer.status, transfer.decided_by = TransferStatus.CANCELLED, actor
        transfer.decided_at, transfer.decision_note = timezone.now(), text
        transfer.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _transfer_event(transfer, actor, "cancelled")
        case_event(case=case, actor=actor, kind="transfer_cancelled",
                   params={"transfer": transfer.pk})
        _audit(actor, Action.STATUS, "transfer", transfer, case, reason=text,
               detail={"to": TransferStatus.CANCELLED})
        _notify(_agency_staff(transfer.to_agency_id, supervisors_only=True),
                kind="transfer_cancelled", obj=transfer,
                message=f"Transfer #{transfer.pk} was cancelled by the proposing agency.")
        return transfer
