"""Transfers of case ownership: consent, acceptance by the receiving supervisor, history,
and the former owner's access only when the transfer keeps it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import ALL_CATEGORIES, Category, Perm
from bridgeway.cases.models import Case
from bridgeway.cases.services import CaseFields, case_open
from bridgeway.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.referrals import selectors as sel
from bridgeway.referrals import services as svc
from bridgeway.referrals.models import Notification, TransferStatus
from tests.referrals.conftest import child_consent

pytestmark = pytest.mark.django_db


def sees(user, case) -> bool:
    return policy.cases_visible_to(user).filter(pk=case.pk).exists()


@pytest.fixture
def transfer_consent(people, sensitive_case):
    return child_consent(people.caseworker, sensitive_case, people.agency_b, None,
                         kind="transfer", purpose="the family moves to agency B's area")


def propose(people, case, consent, **extra):
    data = {"consent_id": consent.pk if consent else None,
            "to_agency_id": people.agency_b.pk, "reason": "The family moved."}
    data.update(extra)
    return svc.transfer_propose(actor=people.supervisor, case_id=case.pk,
                                data=svc.TransferInput(**data))


def test_transfer_without_consent_is_refused(people, sensitive_case):
    with pytest.raises(ValidationFailed) as exc:
        propose(people, sensitive_case, None)
    assert "consent_id" in exc.value.errors
    referral_consent = child_consent(people.caseworker, sensitive_case, people.agency_b,
                                     ["identity"])
    with pytest.raises(ValidationFailed) as kind:
        propose(people, sensitive_case, referral_consent)
    assert "does not cover a transfer" in kind.value.errors["consent_id"][0]


def test_consent_naming_another_agency_does_not_cover_the_transfer(people, sensitive_case):
    consent = child_consent(people.caseworker, sensitive_case, people.agency_health, None,
                            kind="transfer")
    with pytest.raises(ValidationFailed) as exc:
        propose(people, sensitive_case, consent)
    assert "another agency" in exc.value.errors["to_agency_id"][0]


def test_only_the_owning_supervisor_proposes(people, sensitive_case, transfer_consent):
    with pytest.raises(NotAllowed):
        svc.transfer_propose(actor=people.caseworker, case_id=sensitive_case.pk,
                             data=svc.TransferInput(consent_id=transfer_consent.pk,
                                                    to_agency_id=people.agency_b.pk,
                                                    reason="x"))
    with pytest.raises(NotFound):
        svc.transfer_propose(actor=people.outsider_supervisor, case_id=sensitive_case.pk,
                             data=svc.TransferInput(consent_id=transfer_consent.pk,
                                                    to_agency_id=people.agency_b.pk,
                                                    reason="x"))


def test_accepted_transfer_moves_ownership_and_keeps_history(people, sensitive_case,
                                                            transfer_consent):
    transfer = propose(people, sensitive_case, transfer_consent)
    assert not sees(people.outsider_supervisor, sensitive_case)  # not before acceptance
    assert [t.id for t in sel.transfers_incoming(actor=people.outsider_supervisor)] == [
        transfer.pk]
    assert sel.transfers_incoming(actor=people.outsider) == []
    with pytest.raises(NotFound):  # a caseworker does not accept transfers
        svc.transfer_accept(actor=people.outsider, transfer_id=transfer.pk)
    with pytest.raises(NotFound):  # nor does another agency's supervisor
        svc.transfer_accept(actor=people.supervisor, transfer_id=transfer.pk)
    svc.transfer_accept(actor=people.outsider_supervisor, transfer_id=transfer.pk,
                        assign_to_id=people.outsider.pk)
    case = Case.objects.get(pk=sensitive_case.pk)
    assert case.owning_agency == people.agency_b and case.assigned_to == people.outsider
    assert case.version == sensitive_case.version + 1
    assert policy.categories_for(people.outsider_supervisor, case) == ALL_CATEGORIES
    assert policy.can(people.outsider, Perm.EDIT, case)
    # the former owner keeps nothing: the transfer did not say so
    for user in (people.supervisor, people.caseworker):
        assert not sees(user, case)
        with pytest.raises(NotFound):
            policy.case_for(user, pk=case.pk)
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.ACCEPTED
    assert transfer.former_assignee == people.caseworker
    assert [e.kind for e in transfer.events.all()] == ["proposed", "accepted"]
    kinds = set(case.events.values_list("kind", flat=True))
    assert {"opened", "consent_recorded", "transfer_proposed", "transferred"} <= kinds
    assert case.tasks.filter(status="open").exclude(assigned_to=people.outsider).filter(
        assigned_to__isnull=False).count() == 0
    history = sel.transfers_for_case(actor=people.outsider_supervisor, case_id=case.pk)
    assert [t.pk for t in history] == [transfer.pk]
    with pytest.raises(DomainError, match="already accepted"):
        svc.transfer_accept(actor=people.outsider_supervisor, transfer_id=transfer.pk)
    assert Notification.objects.filter(kind="transfer_accepted",
                                       recipient=people.supervisor).exists()


def test_former_owner_keeps_read_access_only_as_granted(people, sensitive_case,
                                                        transfer_consent, clock):
    until = timezone.localdate() + timedelta(days=10)
    with pytest.raises(ValidationFailed):  # beyond the consent
        propose(people, sensitive_case, transfer_consent, retain_access=True,
                retained_categories=["case_management"],
                retained_until=(transfer_consent.valid_until + timedelta(days=1)).isoformat())
    transfer = propose(people, sensitive_case, transfer_consent, retain_access=True,
                       retained_categories=["identity", "case_management"],
                       retained_until=until.isoformat())
    svc.transfer_accept(actor=people.outsider_supervisor, transfer_id=transfer.pk)
    case = Case.objects.get(pk=sensitive_case.pk)
    for user in (people.supervisor, people.caseworker):  # the caseworker was assigned
        assert sees(user, case)
        assert policy.categories_for(user, case) == {Category.IDENTITY,
                                                     Category.CASE_MANAGEMENT}
        assert policy.perms_for(user, case) == {Perm.VIEW}
    assert not sees(people.other_caseworker, sensitive_case)
    clock.advance(days=11)
    assert not sees(people.supervisor, sensitive_case)


def test_consent_withdrawal_ends_the_retained_access(people, sensitive_case,
                                                     transfer_consent):
    transfer = propose(people, sensitive_case, transfer_consent, retain_access=True,
                       retained_categories=["identity"],
                       retained_until=transfer_consent.valid_until.isoformat())
    svc.transfer_accept(actor=people.outsider_supervisor, transfer_id=transfer.pk)
    assert sees(people.supervisor, sensitive_case)
    svc.consent_withdraw(actor=people.outsider_supervisor, consent_id=transfer_consent.pk,
                         reason="The child asks that the old agency no longer sees it.")
    assert not sees(people.supervisor, sensitive_case)
    assert sees(people.outsider_supervisor, sensitive_case)  # the owner is unaffected
    assert [e.kind for e in transfer.events.all()][-1] == "retained_access_ended"


def test_withdrawn_consent_cancels_a_proposed_transfer(people, sensitive_case,
                                                       transfer_consent):
    transfer = propose(people, sensitive_case, transfer_consent)
    svc.consent_withdraw(actor=people.caseworker, consent_id=transfer_consent.pk,
                         reason="The child wants to stay with agency A.")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED
    with pytest.raises(DomainError):
        svc.transfer_accept(actor=people.outsider_supervisor, transfer_id=transfer.pk)
    assert Case.objects.get(pk=sensitive_case.pk).owning_agency == people.agency_a


def test_one_open_case_per_child_per_agency(people, sensitive_case, transfer_consent):
    transfer = propose(people, sensitive_case, transfer_consent)
    # agency B opens its own case for the same child meanwhile
    case_open(actor=people.outsider_supervisor, child=sensitive_case.child,
              fields=CaseFields(), opened_at=timezone.now())
    with pytest.raises(DomainError, match="already has an open case"):
        svc.transfer_accept(actor=people.outsider_supervisor, transfer_id=transfer.pk)
    assert Case.objects.get(pk=sensitive_case.pk).owning_agency == people.agency_a
    svc.transfer_cancel(actor=people.supervisor, transfer_id=transfer.pk, reason="B has one")
    with pytest.raises(DomainError, match="already has an open case"):
        propose(people, sensitive_case, transfer_consent)


def test_decline_and_cancel(people, sensitive_case, transfer_consent):
    transfer = propose(people, sensitive_case, transfer_consent)
    with pytest.raises(DomainError, match="already awaiting"):
        propose(people, sensitive_case, transfer_consent)
    with pytest.raises(ValidationFailed):
        svc.transfer_decline(actor=people.outsider_supervisor, transfer_id=transfer.pk,
                             reason="")
    svc.transfer_decline(actor=people.outsider_supervisor, transfer_id=transfer.pk,
                         reason="No capacity.")
    with pytest.raises(DomainError):
        svc.transfer_cancel(actor=people.supervisor, transfer_id=transfer.pk, reason="x")
    second = propose(people, sensitive_case, transfer_consent)
    with pytest.raises(NotFound):
        svc.transfer_cancel(actor=people.outsider_supervisor, transfer_id=second.pk,
                            reason="x")
    svc.transfer_cancel(actor=people.supervisor, transfer_id=second.pk, reason="Changed plan")
    assert [t.status for t in sel.transfers_for_case(actor=people.supervisor,
                                                     case_id=sensitive_case.pk)] == [
        TransferStatus.CANCELLED, TransferStatus.DECLINED]
