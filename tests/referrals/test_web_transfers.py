"""Transfer pages: proposing (supervisors of the owning agency, under a transfer consent),
the receiving agency's list with accept and decline, cancelling; who gets what, bad input,
and the audit entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bridgeway.referrals import services as svc
from bridgeway.referrals.models import Transfer, TransferStatus
from tests.referrals.conftest import MARK_FAMILY, child_consent
from tests.referrals.sharing_support import entries_since, last_seq, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def transfer_consent(people, sensitive_case):
    return child_consent(people.caseworker, sensitive_case, people.agency_b, None,
                         kind="transfer", purpose="the family moves to agency B's area")


def proposal(consent, people, **extra):
    data = {"consent_id": consent.pk, "to_agency_id": people.agency_b.pk,
            "reason": "The family moved to the north."}
    data.update(extra)
    return data


def test_only_the_owning_supervisor_gets_the_transfer_form(people, web, sensitive_case,
                                                           transfer_consent):
    url = f"/sharing/cases/{sensitive_case.pk}/transfers/new/"
    assert web(people.caseworker).get(url).status_code == 403
    assert web(people.outsider_supervisor).get(url).status_code == 404
    assert web(people.police_officer).post(url, proposal(transfer_consent, people)
                                           ).status_code == 404
    page = text(web(people.supervisor).get(url + f"?consent={transfer_consent.pk}"))
    assert f'<option value="{transfer_consent.pk}" selected>' in page
    assert not Transfer.objects.exists()


def test_bad_transfer_input_changes_nothing_and_is_kept(people, web, sensitive_case,
                                                       transfer_consent):
    url = f"/sharing/cases/{sensitive_case.pk}/transfers/new/"
    response = web(people.supervisor).post(url, proposal(
        transfer_consent, people, to_agency_id=people.agency_health.pk, retain_access="true",
        retained_categories=["identity"], retained_until="",
        reason="Kept reason 4T"))
    body = text(response)
    assert response.status_code == 400
    assert "The consent names another agency." in body
    assert "This field is required." in body  # retained_until, with retain_access
    assert "Kept reason 4T" in body and 'value="identity" checked' in body
    assert not Transfer.objects.exists()


def test_propose_accept_and_history(people, web, sensitive_case, transfer_consent):
    url = f"/sharing/cases/{sensitive_case.pk}/transfers/new/"
    seq = last_seq()
    done = web(people.supervisor).post(url, proposal(transfer_consent, people))
    assert done.status_code == 302
    transfer = Transfer.objects.get()
    assert [e.object_type for e in entries_since(seq, action="create")] == ["transfer"]
    incoming = text(web(people.outsider_supervisor).get("/sharing/transfers/incoming/"))
    assert f'id="transfer-{transfer.pk}"' in incoming
    assert "The family moved to the north." in incoming
    assert "Aisyah" not in incoming and MARK_FAMILY not in incoming  # nothing before acceptance
    assert f'id="transfer-{transfer.pk}"' not in text(
        web(people.outsider).get("/sharing/transfers/incoming/"))  # caseworkers: no
    assert web(people.outsider).post(f"/sharing/transfers/{transfer.pk}/accept/"
                                     ).status_code == 404
    accepted = web(people.outsider_supervisor).post(
        f"/sharing/transfers/{transfer.pk}/accept/", {"assign_to": people.outsider.pk})
    assert accepted.status_code == 302
    assert accepted["Location"] == f"/cases/{sensitive_case.pk}/"
    sensitive_case.refresh_from_db()
    assert sensitive_case.owning_agency == people.agency_b
    assert sensitive_case.assigned_to == people.outsider
    twice = web(people.outsider_supervisor).post(f"/sharing/transfers/{transfer.pk}/accept/")
    assert twice.status_code == 400 and "already accepted" in text(twice)
    history = text(web(people.outsider_supervisor).get(f"/sharing/cases/{sensitive_case.pk}/"))
    assert f'id="transfer-{transfer.pk}"' in history and "accepted" in history
    assert web(people.supervisor).get(f"/cases/{sensitive_case.pk}/").status_code == 404


def test_decline_and_cancel(people, web, sensitive_case, transfer_consent):
    transfer = svc.transfer_propose(actor=people.supervisor, case_id=sensitive_case.pk,
                                    data=svc.TransferInput(**proposal(transfer_consent,
                                                                      people)))
    empty = web(people.outsider_supervisor).post(f"/sharing/transfers/{transfer.pk}/decline/",
                                                 {"reason": ""})
    assert empty.status_code == 400 and f'id="decline-{transfer.pk}-reason-e"' in text(empty)
    assert web(people.outsider_supervisor).post(f"/sharing/transfers/{transfer.pk}/decline/",
                                                {"reason": "No capacity."}).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.DECLINED
    again = svc.transfer_propose(actor=people.supervisor, case_id=sensitive_case.pk,
                                 data=svc.TransferInput(**proposal(transfer_consent, people)))
    page = text(web(people.supervisor).get(f"/sharing/cases/{sensitive_case.pk}/"))
    assert f'action="/sharing/transfers/{again.pk}/cancel/"' in page
    url = f"/sharing/transfers/{again.pk}/cancel/"
    assert web(people.caseworker).post(url, {"reason": "x"}).status_code == 403
    assert web(people.outsider_supervisor).post(url, {"reason": "x"}).status_code == 404
    blank = web(people.supervisor).post(url, {"reason": ""})
    assert blank.status_code == 400 and f'id="cancel-{again.pk}-reason-e"' in text(blank)
    assert web(people.supervisor).post(url, {"reason": "Family stays."}).status_code == 302
    again.refresh_from_db()
    assert again.status == TransferStatus.CANCELLED
    assert web(people.supervisor).post(f"/sharing/transfers/{again.pk}/explode/"
                                       ).status_code == 404


def test_withdrawn_transfer_consent_cannot_be_accepted(people, web, sensitive_case,
                                                      transfer_consent):
    transfer = svc.transfer_propose(actor=people.supervisor, case_id=sensitive_case.pk,
                                    data=svc.TransferInput(**proposal(transfer_consent,
                                                                      people)))
    svc.consent_withdraw(actor=people.caseworker, consent_id=transfer_consent.pk,
                         reason="The child does not want to move.")
    response = web(people.outsider_supervisor).post(f"/sharing/transfers/{transfer.pk}/accept/")
    assert response.status_code == 400 and "cancelled" in text(response)
    sensitive_case.refresh_from_db()
    assert sensitive_case.owning_agency == people.agency_a


def test_transfer_consent_period_is_checked(people, web, sensitive_case):
    url = f"/sharing/cases/{sensitive_case.pk}/consents/new/"
    response = web(people.supervisor).post(url, {
        "kind": "transfer", "given_by": "child", "purpose": "moving",
        "receiving_agency_id": people.agency_b.pk, "caregiver_involvement": "Aunt agrees",
        "valid_until": (timezone.localdate() - timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert "Ends before the consent was given." in text(response)
