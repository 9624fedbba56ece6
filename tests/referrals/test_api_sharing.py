"""The sharing API (/api/v1/sharing/): the same operations as the pages, the same access
policy (404 for what a user may not see), shape checks (unknown keys and wrong JSON
types are 400 with field paths), the domain's refusals as 400, and the audit entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bridgeway.referrals import services as svc
from bridgeway.referrals.models import BreakGlass, Consent, Notification, Referral
from tests.referrals.conftest import (
    MARK_ASSOC,
    MARK_FAMILY,
    MARK_OFFENCE,
    MARK_PHONE,
    born_years_ago,
    child_consent,
)
from tests.referrals.sharing_support import REASON, entries_since, last_seq

pytestmark = pytest.mark.django_db
BASE = "/api/v1/sharing"
MARKERS = (MARK_FAMILY, MARK_PHONE, MARK_ASSOC, MARK_OFFENCE)


def until(days: int = 60) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_anonymous_is_401(client):
    for url in (f"{BASE}/referrals/incoming/", f"{BASE}/notifications/",
                f"{BASE}/break-glass/", f"{BASE}/cases/1/consents/"):
        assert client.get(url).status_code in (401, 403)


def test_consents_list_and_record(people, api_as, sensitive_case, consent):
    url = f"{BASE}/cases/{sensitive_case.pk}/consents/"
    listed = api_as(people.caseworker).get(url)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [consent.pk]
    assert listed.json()["items"][0]["receiving_agency"] == "health-clinic"
    assert api_as(people.outsider).get(url).status_code == 404
    seq = last_seq()
    made = api_as(people.caseworker).post(url, {
        "given_by": "child", "categories": ["identity"], "purpose": "school enrolment",
        "valid_until": until(), "receiving_agency_id": people.agency_b.pk,
        "caregiver_involvement": "Aunt present"}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["categories"] == ["identity"] and made.json()["valid_now"] is True
    assert [e.object_type for e in entries_since(seq, action="create")] == ["consent"]
    # a receiver sees the case but not the owner's consent records
    svc.referral_accept(actor=people.health_worker,
                        referral_id=svc.referral_create(
                            actor=people.caseworker, case_id=sensitive_case.pk,
                            data=svc.ReferralInput(consent_id=consent.pk,
                                                   categories=["health"], purpose="x",
                                                   receiving_agency_id=people.agency_health.pk)
                        ).pk)
    assert api_as(people.health_worker).get(url).status_code == 403


def test_consent_shape_and_domain_errors(people, api_as, register):
    case = register(actor=people.caseworker, date_of_birth=born_years_ago(9), family=[
        {"relationship": "father", "name": "Yusuf", "is_legal_guardian": False}])
    url = f"{BASE}/cases/{case.pk}/consents/"
    shape = api_as(people.caseworker).post(url, {
        "given_by": "representative", "purpose": 5, "valid_until": until(),
        "colour": "red"}, format="json")
    assert shape.status_code == 400
    assert set(shape.json()["errors"]) >= {"purpose", "colour"}
    father = case.child.family.get()
    refused = api_as(people.caseworker).post(url, {
        "given_by": "representative", "family_member_id": father.pk, "child_assent": True,
        "child_views": "ok", "categories": ["health"], "purpose": "care",
        "valid_until": until(), "receiving_agency_id": people.agency_health.pk},
        format="json")
    assert refused.status_code == 400
    assert "legal guardian" in refused.json()["errors"]["family_member_id"][0]
    assert not Consent.objects.filter(case=case).exists()


def test_withdrawal_and_review(people, api_as, sensitive_case, consent, accepted):
    url = f"{BASE}/consents/{consent.pk}/withdrawal/"
    assert api_as(people.outsider).post(url, {"reason": "x"}, format="json"
                                        ).status_code == 404
    assert api_as(people.caseworker).post(url, {"reason": ""}, format="json"
                                          ).status_code == 400
    done = api_as(people.caseworker).post(url, {"reason": "She changed her mind."},
                                          format="json")
    assert done.status_code == 200 and done.json()["withdrawn_at"]
    assert api_as(people.health_worker).get(
        f"{BASE}/cases/{sensitive_case.pk}/shared-record/").status_code == 404
    twice = api_as(people.caseworker).post(url, {"reason": "again"}, format="json")
    assert twice.status_code == 400 and "already withdrawn" in twice.json()["errors"][
        "__all__"][0]
    review = f"{BASE}/consents/{consent.pk}/withdrawal-review/"
    assert api_as(people.caseworker).post(review, {"note": "ok"}, format="json"
                                          ).status_code == 403
    assert api_as(people.supervisor).post(review, {"note": "Reviewed."}, format="json"
                                          ).json()["withdrawal_reviewed_at"]


def test_referral_without_consent_and_beyond_consent(people, api_as, sensitive_case, consent):
    url = f"{BASE}/cases/{sensitive_case.pk}/referrals/"
    missing = api_as(people.caseworker).post(url, {
        "categories": ["health"], "purpose": "care",
        "receiving_agency_id": people.agency_health.pk}, format="json")
    assert missing.status_code == 400 and "consent_id" in missing.json()["errors"]
    wrong_type = api_as(people.caseworker).post(url, {
        "consent_id": str(consent.pk), "categories": "health", "purpose": "care"},
        format="json")
    assert wrong_type.status_code == 400
    assert set(wrong_type.json()["errors"]) >= {"consent_id", "categories"}
    beyond = api_as(people.caseworker).post(url, {
        "consent_id": consent.pk, "categories": ["health", "justice"], "purpose": "care",
        "receiving_agency_id": people.agency_health.pk}, format="json")
    assert beyond.status_code == 400
    assert "justice" in " ".join(beyond.json()["errors"]["categories"])
    assert not Referral.objects.exists()
    made = api_as(people.caseworker).post(url, {
        "consent_id": consent.pk, "categories": ["identity", "health"], "purpose": "care",
        "receiving_agency_id": people.agency_health.pk}, format="json")
    assert made.status_code == 201 and made.json()["status"] == "pending"
    assert api_as(people.police_officer).post(url, {
        "consent_id": consent.pk, "categories": ["health"], "purpose": "care"},
        format="json").status_code == 404


def test_receiving_side_lists_detail_accept_twice(people, more, api_as, sensitive_case,
                                                  referral):
    incoming = api_as(people.health_worker).get(f"{BASE}/referrals/incoming/").json()
    assert [r["id"] for r in incoming["items"]] == [referral.pk]
    assert incoming["items"][0]["case_number"] is None
    assert "Aisyah" not in str(incoming)
    assert api_as(people.health_worker).get(f"{BASE}/referrals/incoming/?status=zzz"
                                            ).json()["items"] == []
    assert api_as(people.health_worker).get(f"{BASE}/referrals/incoming/?colour=red"
                                            ).status_code == 400
    assert api_as(people.police_officer).get(f"{BASE}/referrals/incoming/").json() == {
        "items": []}
    detail = f"{BASE}/referrals/{referral.pk}/"
    assert api_as(people.health_worker).get(detail).json()["may_accept"] is True
    for user in (people.outsider, people.police_officer, people.auditor, more.teacher):
        assert api_as(user).get(detail).status_code == 404
    seq = last_seq()
    ok = api_as(people.health_worker).post(detail + "accept/", {}, format="json")
    assert ok.status_code == 200 and ok.json()["assigned_to"] == "health_worker"
    assert entries_since(seq, object_type="referral")[0].detail["to"] == "accepted"
    twice = api_as(more.health_supervisor).post(detail + "accept/", {}, format="json")
    assert twice.status_code == 400
    assert "already accepted" in twice.json()["errors"]["__all__"][0]
    record = api_as(people.health_worker).get(
        f"{BASE}/cases/{sensitive_case.pk}/shared-record/").json()
    assert record["categories"] == ["health", "identity"]
    assert set(record["sections"]) == {"identity"}
    assert not any(m in str(record) for m in MARKERS)
    full = api_as(people.supervisor).get(f"{BASE}/cases/{sensitive_case.pk}/shared-record/")
    assert all(m in full.content.decode() for m in MARKERS)


def test_assign_report_close_and_decline(people, more, api_as, sensitive_case, consent,
                                         accepted):
    detail = f"{BASE}/referrals/{accepted.pk}/"
    assert api_as(people.health_worker).post(detail + "assign/", {
        "user_id": more.health_worker_2.pk}, format="json").status_code == 403
    moved = api_as(more.health_supervisor).post(detail + "assign/", {
        "user_id": more.health_worker_2.pk}, format="json")
    assert moved.json()["assigned_to"] == "health_worker_2"
    bad = api_as(more.health_worker_2).post(detail + "service-reports/", {
        "service_type": "check", "delivered_on": "2010-02-30", "outcome": "x"},
        format="json")
    assert bad.status_code == 400 and "delivered_on" in bad.json()["errors"]
    report = api_as(more.health_worker_2).post(detail + "service-reports/", {
        "service_type": "check", "delivered_on": timezone.localdate().isoformat(),
        "outcome": "Fine."}, format="json")
    assert report.status_code == 201 and report.json()["reported_by"] == "health_worker_2"
    closed = api_as(more.health_worker_2).post(detail + "close/", {}, format="json")
    assert closed.json()["status"] == "closed"
    second = svc.referral_create(actor=people.caseworker, case_id=sensitive_case.pk,
                                 data=svc.ReferralInput(
                                     consent_id=consent.pk, categories=["health"],
                                     purpose="again",
                                     receiving_agency_id=people.agency_health.pk))
    url = f"{BASE}/referrals/{second.pk}/decline/"
    assert api_as(more.health_supervisor).post(url, {}, format="json").status_code == 400
    assert api_as(more.health_supervisor).post(url, {"reason": "Full."}, format="json"
                                               ).json()["status"] == "declined"
    third = svc.referral_create(actor=people.caseworker, case_id=sensitive_case.pk,
                                data=svc.ReferralInput(
                                    consent_id=consent.pk, categories=["health"],
                                    purpose="third",
                                    receiving_agency_id=people.agency_health.pk))
    withdraw = f"{BASE}/referrals/{third.pk}/withdraw/"
    assert api_as(more.health_supervisor).post(withdraw, {"reason": "x"}, format="json"
                                               ).status_code == 404
    assert api_as(people.caseworker).post(withdraw, {"reason": "Not needed."}, format="json"
                                          ).json()["status"] == "withdrawn"
    outgoing = api_as(people.caseworker).get(f"{BASE}/referrals/outgoing/?status=withdrawn")
    assert [r["id"] for r in outgoing.json()["items"]] == [third.pk]
    case_list = api_as(people.caseworker).get(f"{BASE}/cases/{sensitive_case.pk}/referrals/")
    assert len(case_list.json()["items"]) == 3


def test_transfers(people, api_as, sensitive_case):
    tc = child_consent(people.caseworker, sensitive_case, people.agency_b, None,
                       kind="transfer", purpose="moving")
    url = f"{BASE}/cases/{sensitive_case.pk}/transfers/"
    body = {"consent_id": tc.pk, "to_agency_id": people.agency_b.pk, "reason": "Moved."}
    assert api_as(people.caseworker).post(url, body, format="json").status_code == 403
    made = api_as(people.supervisor).post(url, body, format="json")
    assert made.status_code == 201 and made.json()["events"][0]["kind"] == "proposed"
    tid = made.json()["id"]
    assert api_as(people.outsider_supervisor).get(f"{BASE}/transfers/incoming/").json()[
        "items"][0]["id"] == tid
    assert api_as(people.outsider).get(f"{BASE}/transfers/incoming/").json() == {"items": []}
    assert api_as(people.outsider).post(f"{BASE}/transfers/{tid}/accept/", {},
                                        format="json").status_code == 404
    ok = api_as(people.outsider_supervisor).post(f"{BASE}/transfers/{tid}/accept/", {},
                                                 format="json")
    assert ok.json()["status"] == "accepted"
    twice = api_as(people.outsider_supervisor).post(f"{BASE}/transfers/{tid}/accept/", {},
                                                    format="json")
    assert twice.status_code == 400
    history = api_as(people.outsider_supervisor).get(url).json()["items"]
    assert [e["kind"] for e in history[0]["events"]] == ["proposed", "accepted"]
    assert api_as(people.supervisor).get(url).status_code == 404  # moved away, nothing kept


def test_break_glass_open_expire_end_and_review(people, api_as, sensitive_case, clock):
    url = f"{BASE}/break-glass/"
    assert api_as(people.caseworker).post(url, {"case_id": sensitive_case.pk,
                                                "reason": REASON}, format="json"
                                          ).status_code == 403
    short = api_as(people.outsider_supervisor).post(url, {"case_id": sensitive_case.pk,
                                                          "reason": "now"}, format="json")
    assert short.status_code == 400 and "reason" in short.json()["errors"]
    assert api_as(people.outsider_supervisor).post(url, {"case_number": "BW-0000-000000",
                                                         "reason": REASON}, format="json"
                                                   ).status_code == 404
    opened = api_as(people.outsider_supervisor).post(url, {
        "case_number": sensitive_case.case_number, "reason": REASON}, format="json")
    assert opened.status_code == 201 and opened.json()["active"] is True
    assert api_as(people.outsider_supervisor).get(
        f"/api/v1/cases/{sensitive_case.pk}/").status_code == 200
    clock.advance(hours=3, minutes=1)
    assert api_as(people.outsider_supervisor).get(
        f"/api/v1/cases/{sensitive_case.pk}/").status_code == 404
    mine = api_as(people.outsider_supervisor).get(url).json()["items"]
    assert mine[0]["active"] is False
    use_id = mine[0]["id"]
    ended = api_as(people.outsider_supervisor).delete(f"{url}{use_id}/")
    assert ended.status_code == 400
    assert api_as(people.supervisor).delete(f"{url}{use_id}/").status_code == 404
    review_list = f"{url}review/"
    assert api_as(people.caseworker).get(review_list).status_code == 403
    listed = api_as(people.auditor).get(review_list + "?unreviewed=true").json()["items"]
    assert [u["id"] for u in listed] == [use_id] and listed[0]["reason"] == REASON
    assert api_as(people.supervisor).post(f"{url}{use_id}/review/", {"note": "ok"},
                                          format="json").status_code == 404
    done = api_as(people.auditor).post(f"{url}{use_id}/review/", {"note": "Justified."},
                                       format="json")
    assert done.json()["reviewed_by"] == "auditor"
    assert BreakGlass.objects.get().review_note == "Justified."


def test_ending_break_glass_early_by_api(people, api_as, sensitive_case):
    use = svc.break_glass_open(actor=people.outsider_supervisor, case_id=sensitive_case.pk,
                               reason=REASON)
    ended = api_as(people.outsider_supervisor).delete(f"{BASE}/break-glass/{use.pk}/")
    assert ended.status_code == 200 and ended.json()["ended_at"]
    assert api_as(people.outsider_supervisor).get(
        f"/api/v1/cases/{sensitive_case.pk}/").status_code == 404


def test_notifications(people, more, api_as, referral):
    got = api_as(more.health_supervisor).get(f"{BASE}/notifications/").json()
    assert got["unread"] == 1 and "Aisyah" not in str(got)
    note_id = got["items"][0]["id"]
    url = f"{BASE}/notifications/read/"
    assert api_as(people.caseworker).post(url, {"ids": [note_id]}, format="json"
                                          ).status_code == 404
    assert api_as(more.health_supervisor).post(url, {}, format="json").status_code == 400
    assert api_as(more.health_supervisor).post(url, {"ids": [note_id]}, format="json"
                                               ).json() == {"marked": 1}
    assert not Notification.objects.filter(pk=note_id, read_at__isnull=True).exists()
    assert api_as(more.health_supervisor).post(url, {"all": True}, format="json"
                                               ).json() == {"marked": 0}
