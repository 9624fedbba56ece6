"""The sharing pages: a case's consents, referrals and transfers; recording consent;
referring; the receiving agency's list and referral page; the shared record. Who gets
200, 403 or 404, what bad input does (nothing saved, the input kept, the message by its
field), and the audit entries written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bridgeway.referrals import services as svc
from bridgeway.referrals.models import Consent, Referral, ReferralStatus
from tests.referrals.conftest import (
    MARK_ASSOC,
    MARK_FAMILY,
    MARK_OFFENCE,
    MARK_PHONE,
    born_years_ago,
    make_referral,
)
from tests.referrals.sharing_support import entries_since, last_seq, text

pytestmark = pytest.mark.django_db
MARKERS = (MARK_FAMILY, MARK_PHONE, MARK_ASSOC, MARK_OFFENCE)


def until(days: int = 60) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# --- the case's sharing page ----------------------------------------------------------------------

def test_owner_sees_consents_referrals_and_transfers(people, web, sensitive_case, referral):
    seq = last_seq()
    response = web(people.caseworker).get(f"/sharing/cases/{sensitive_case.pk}/")
    body = text(response)
    assert response.status_code == 200
    assert 'id="consent-' in body and "health care" in body  # the consent's purpose
    assert f'href="/sharing/referrals/{referral.pk}/"' in body
    assert f'href="/sharing/cases/{sensitive_case.pk}/referrals/new/"' in body
    assert "Propose a transfer" not in body  # caseworkers do not propose transfers
    entry = entries_since(seq, action="view")[-1]
    assert (entry.case_id, entry.detail["view"]) == (sensitive_case.pk, "sharing")
    sup = text(web(people.supervisor).get(f"/sharing/cases/{sensitive_case.pk}/"))
    assert "Propose a transfer" in sup


def test_sharing_page_is_404_for_whoever_cannot_see_the_case(people, more, web,
                                                            sensitive_case, referral):
    for user in (people.outsider, people.outsider_supervisor, people.police_officer,
                 people.health_worker, more.health_supervisor, people.analyst,
                 people.auditor, people.sysadmin, people.other_caseworker):
        response = web(user).get(f"/sharing/cases/{sensitive_case.pk}/")
        assert response.status_code == 404, user.username
        assert not any(m in text(response) for m in MARKERS)
    assert web(people.caseworker).get("/sharing/cases/999999999/").status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, sensitive_case):
    for url in (f"/sharing/cases/{sensitive_case.pk}/", "/sharing/referrals/incoming/",
                "/sharing/break-glass/", "/sharing/notifications/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_case_page_has_the_sharing_card_and_the_menu_has_its_entries(
        people, more, web, sensitive_case, referral):
    body = text(web(people.caseworker).get(f"/cases/{sensitive_case.pk}/"))
    assert 'id="sharing"' in body and f'href="/sharing/cases/{sensitive_case.pk}/"' in body
    assert f"Referral #{referral.pk}" in body
    assert 'href="/sharing/referrals/incoming/"' in body  # menu
    assert 'id="nav-notifications"' in body
    assert 'href="/sharing/break-glass/"' not in body  # caseworkers may not break glass
    sup = text(web(more.health_supervisor).get("/"))
    assert 'href="/sharing/break-glass/"' in sup and 'href="/sharing/transfers/incoming/"' in sup
    assert '<span class="tag">1<span class="sr">' in sup  # the unread referral notice
    analyst = text(web(people.analyst).get("/"))
    assert 'href="/sharing/referrals/incoming/"' not in analyst


# --- recording consent ----------------------------------------------------------------------------

def consent_form(**overrides):
    data = {"kind": "referral", "given_by": "child", "categories": ["identity", "health"],
            "purpose": "Dental care at the clinic", "valid_until": until(),
            "caregiver_involvement": "Aunt present", "receiving_agency_id": ""}
    data.update(overrides)
    return data


def test_recording_a_childs_consent(people, web, sensitive_case):
    seq = last_seq()
    url = f"/sharing/cases/{sensitive_case.pk}/consents/new/"
    assert web(people.caseworker).get(url).status_code == 200
    response = web(people.caseworker).post(url, consent_form(
        receiving_agency_id=people.agency_health.pk))
    assert response.status_code == 302
    assert response["Location"] == f"/sharing/cases/{sensitive_case.pk}/"
    made = Consent.objects.get(case=sensitive_case)
    assert (made.given_by, made.categories) == ("child", ["health", "identity"])
    assert [e.object_type for e in entries_since(seq, action="create")] == ["consent"]


def test_consent_by_a_person_not_recorded_as_guardian_is_refused_and_input_kept(
        people, web, register):
    case = register(actor=people.caseworker, date_of_birth=born_years_ago(9), family=[
        {"relationship": "father", "name": "Yusuf Rahman", "is_legal_guardian": False},
        {"relationship": "mother", "name": "Siti Rahman", "is_legal_guardian": True}])
    father = case.child.family.get(name="Yusuf Rahman")
    url = f"/sharing/cases/{case.pk}/consents/new/"
    page = text(web(people.caseworker).get(url))
    assert "Yusuf Rahman" in page and "The child is 9" in page
    response = web(people.caseworker).post(url, consent_form(
        given_by="representative", family_member_id=father.pk, child_assent="true",
        child_views="Wants to see a dentist", receiving_agency_id=people.agency_health.pk,
        purpose="Kept purpose text 7Q"))
    body = text(response)
    assert response.status_code == 400
    assert "not recorded as the child&#x27;s legal guardian" in body
    assert 'id="f-family_member_id-e"' in body  # the message sits by its field
    assert "Kept purpose text 7Q" in body and "Wants to see a dentist" in body
    assert f'<option value="{father.pk}" selected>' in body
    assert 'value="health" checked' in body
    assert not Consent.objects.filter(case=case).exists()


def test_consent_pages_are_403_for_a_receiver_and_404_for_outsiders(
        people, web, sensitive_case, accepted):
    url = f"/sharing/cases/{sensitive_case.pk}/consents/new/"
    assert web(people.health_worker).get(url).status_code == 403
    assert web(people.health_worker).post(url, consent_form()).status_code == 403
    assert web(people.outsider).get(url).status_code == 404
    assert web(people.police_officer).post(url, consent_form()).status_code == 404
    assert Consent.objects.filter(case=sensitive_case).count() == 1


def test_withdrawing_consent_on_the_page_ends_access_at_once(people, web, sensitive_case,
                                                             consent, accepted):
    assert web(people.health_worker).get(f"/cases/{sensitive_case.pk}/").status_code == 200
    url = f"/sharing/consents/{consent.pk}/withdraw/"
    assert web(people.caseworker).post(url, {"reason": ""}).status_code == 400
    response = web(people.caseworker).post(url, {"reason": "The child changed her mind."})
    assert response.status_code == 302
    for path in (f"/cases/{sensitive_case.pk}/", f"/sharing/cases/{sensitive_case.pk}/shared/",
                 f"/care/cases/{sensitive_case.pk}/"):
        assert web(people.health_worker).get(path).status_code == 404
    accepted.refresh_from_db()
    assert accepted.status == ReferralStatus.WITHDRAWN
    again = web(people.caseworker).post(url, {"reason": "again"})
    assert again.status_code == 400 and "already withdrawn" in text(again)


def test_the_receiver_may_record_the_childs_withdrawal(people, more, web, sensitive_case,
                                                       consent, accepted):
    url = f"/sharing/consents/{consent.pk}/withdraw/"
    assert web(people.outsider).get(url).status_code == 404
    assert web(people.police_officer).get(url).status_code == 404
    assert web(more.health_worker_2).get(url).status_code == 404  # not assigned
    assert web(people.health_worker).get(url).status_code == 200
    done = web(people.health_worker).post(url, {"reason": "Told us at the clinic."})
    assert done.status_code == 302 and done["Location"] == "/sharing/referrals/incoming/"
    assert web(people.health_worker).get(f"/cases/{sensitive_case.pk}/").status_code == 404


# --- referring ------------------------------------------------------------------------------------

def test_referral_without_consent_is_refused_on_the_page(people, web, sensitive_case):
    url = f"/sharing/cases/{sensitive_case.pk}/referrals/new/"
    assert 'id="no-consent"' in text(web(people.caseworker).get(url))
    response = web(people.caseworker).post(url, {
        "consent_id": "", "categories": ["health"], "purpose": "Kept purpose 5R",
        "receiving_agency_id": people.agency_health.pk})
    body = text(response)
    assert response.status_code == 400
    assert "A referral needs the consent it rests on." in body
    assert "Kept purpose 5R" in body
    assert not Referral.objects.exists()


def test_referring_under_a_consent(people, web, sensitive_case, consent):
    url = f"/sharing/cases/{sensitive_case.pk}/referrals/new/"
    prefilled = text(web(people.caseworker).get(url + f"?consent={consent.pk}"))
    assert f'<option value="{consent.pk}" selected>' in prefilled
    assert f'<option value="{people.agency_health.pk}" selected>' in prefilled
    outside = web(people.caseworker).post(url, {
        "consent_id": consent.pk, "categories": ["health", "family"], "purpose": "care",
        "receiving_agency_id": people.agency_health.pk})
    assert outside.status_code == 400 and "Outside the consent" in text(outside)
    seq = last_seq()
    response = web(people.caseworker).post(url, {
        "consent_id": consent.pk, "categories": ["identity", "health"], "purpose": "care",
        "receiving_agency_id": people.agency_health.pk})
    made = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sharing/referrals/{made.pk}/"
    assert [e.object_type for e in entries_since(seq, action="create")] == ["referral"]
    for user in (people.health_worker, people.outsider, people.police_officer):
        assert web(user).post(url, {"consent_id": consent.pk}).status_code in (403, 404)


# --- the receiving side -------------------------------------------------------------------------------

def test_incoming_list_shows_no_child_data_before_acceptance(people, more, web, referral):
    for user in (people.health_worker, more.health_supervisor):
        body = text(web(user).get("/sharing/referrals/incoming/"))
        assert f'href="/sharing/referrals/{referral.pk}/"' in body
        assert "Aisyah" not in body and referral.case.case_number not in body
        assert not any(m in body for m in MARKERS)
    for user in (people.police_officer, people.outsider, people.analyst, people.auditor):
        body = text(web(user).get("/sharing/referrals/incoming/"))
        assert f'href="/sharing/referrals/{referral.pk}/"' not in body


def test_referral_page_permissions(people, more, web, referral):
    url = f"/sharing/referrals/{referral.pk}/"
    for user in (people.caseworker, people.supervisor, people.health_worker,
                 more.health_supervisor):
        assert web(user).get(url).status_code == 200, user.username
    for user in (people.outsider, people.outsider_supervisor, people.police_officer,
                 people.analyst, people.auditor, people.sysadmin, more.teacher):
        assert web(user).get(url).status_code == 404, user.username
    assert web(people.health_worker).post(url + "explode/").status_code == 404
    assert web(people.health_worker).get("/sharing/referrals/999999/").status_code == 404


def test_accepting_and_accepting_twice(people, more, web, sensitive_case, referral):
    url = f"/sharing/referrals/{referral.pk}/"
    page = text(web(people.health_worker).get(url))
    assert 'id="a-accept"' in page and 'id="a-decline"' in page
    seq = last_seq()
    done = web(people.health_worker).post(url + "accept/")
    assert done.status_code == 302 and done["Location"] == url
    referral.refresh_from_db()
    assert (referral.status, referral.assigned_to) == ("accepted", people.health_worker)
    assert [e.detail["to"] for e in entries_since(seq, object_type="referral")] == ["accepted"]
    twice = web(more.health_supervisor).post(url + "accept/")
    assert twice.status_code == 400 and "already accepted" in text(twice)
    accepted_page = text(web(people.health_worker).get(url))
    assert f'href="/sharing/cases/{sensitive_case.pk}/shared/"' in accepted_page
    assert 'id="a-report"' in accepted_page and 'id="a-close"' in accepted_page


def test_declining_needs_a_reason(people, more, web, referral):
    url = f"/sharing/referrals/{referral.pk}/decline/"
    empty = web(more.health_supervisor).post(url, {"reason": "  "})
    assert empty.status_code == 400 and "This field is required." in text(empty)
    done = web(more.health_supervisor).post(url, {"reason": "No dentist this month."})
    assert done.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason) == ("declined",
                                                          "No dentist this month.")
    # the caseworker who may no longer open it is sent back to the list
    pending = make_referral(people.caseworker, referral.case, referral.consent, ["health"])
    gone = web(people.health_worker).post(f"/sharing/referrals/{pending.pk}/decline/",
                                          {"reason": "Full."})
    assert gone["Location"] == "/sharing/referrals/incoming/"


def test_reporting_a_service_and_closing(people, web, sensitive_case, accepted):
    url = f"/sharing/referrals/{accepted.pk}/"
    bad = web(people.health_worker).post(url + "report/", {
        "service_type": "dental check", "delivered_on": "not a date", "outcome": "Kept 9X"})
    assert bad.status_code == 400
    assert "Not a valid date" in text(bad) and "Kept 9X" in text(bad)
    assert web(people.health_worker).post(url + "report/", {
        "service_type": "dental check", "delivered_on": timezone.localdate().isoformat(),
        "outcome": "Two fillings."}).status_code == 302
    assert "Two fillings." in text(web(people.caseworker).get(url))
    assert web(people.health_worker).post(url + "close/", {"note": ""}).status_code == 302
    accepted.refresh_from_db()
    assert accepted.status == ReferralStatus.CLOSED
    assert web(people.health_worker).get(f"/cases/{sensitive_case.pk}/").status_code == 404


def test_the_referring_agency_withdraws_a_referral(people, web, sensitive_case, accepted):
    url = f"/sharing/referrals/{accepted.pk}/withdraw/"
    # the receiver sees the case but is not its owner; an outsider does not see it
    assert web(people.health_worker).post(url, {"reason": "x"}).status_code == 403
    assert web(people.outsider).post(url, {"reason": "x"}).status_code == 404
    assert web(people.caseworker).post(url, {"reason": ""}).status_code == 400
    assert web(people.caseworker).post(url, {"reason": "Served elsewhere."}).status_code == 302
    assert web(people.health_worker).get(f"/cases/{sensitive_case.pk}/").status_code == 404


def test_shared_record_shows_only_the_granted_categories(people, more, web, sensitive_case,
                                                         accepted):
    url = f"/sharing/cases/{sensitive_case.pk}/shared/"
    seq = last_seq()
    body = text(web(people.health_worker).get(url))
    assert "Aisyah" in body and 'id="s-identity"' in body
    assert not any(m in body for m in MARKERS)
    for hidden in ('id="s-family"', 'id="s-association_history"', 'id="s-justice"'):
        assert hidden not in body
    entry = entries_since(seq, action="view")[-1]
    assert entry.detail["view"] == "shared_record"
    assert entry.detail["categories"] == ["health", "identity"]
    full = text(web(people.supervisor).get(url))
    assert all(m in full for m in MARKERS)
    for user in (more.health_worker_2, people.police_officer, people.outsider):
        assert web(user).get(url).status_code == 404


def test_outgoing_list(people, web, referral):
    body = text(web(people.caseworker).get("/sharing/referrals/outgoing/"))
    assert f'href="/sharing/referrals/{referral.pk}/"' in body
    assert referral.case.case_number in body
    assert web(people.caseworker).get("/sharing/referrals/outgoing/?status=bogus"
                                      ).status_code == 200
    assert f"/sharing/referrals/{referral.pk}/" not in text(
        web(people.outsider).get("/sharing/referrals/outgoing/"))


def test_supervisor_reviews_a_withdrawal_on_the_sharing_page(people, web, sensitive_case,
                                                             consent):
    svc.consent_withdraw(actor=people.caseworker, consent_id=consent.pk, reason="changed")
    page = text(web(people.supervisor).get(f"/sharing/cases/{sensitive_case.pk}/"))
    assert f'action="/sharing/consents/{consent.pk}/review/"' in page
    url = f"/sharing/consents/{consent.pk}/review/"
    empty = web(people.supervisor).post(url, {"note": ""})
    assert empty.status_code == 400 and f'id="review-{consent.pk}-note-e"' in text(empty)
    assert web(people.caseworker).post(url, {"note": "ok"}).status_code == 403
    assert web(people.supervisor).post(url, {"note": "Reviewed with the child."}
                                       ).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawal_reviewed_by == people.supervisor


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_cost_the_same_for_one_row_or_many(people, more, web, api_as,
                                                      sensitive_case, consent):
    make_referral(people.caseworker, sensitive_case, consent, ["health"])
    pages = {more.health_supervisor: ["/sharing/referrals/incoming/",
                                      "/sharing/notifications/"],
             people.caseworker: ["/sharing/referrals/outgoing/",
                                 f"/sharing/cases/{sensitive_case.pk}/"]}
    apis = {more.health_supervisor: ["/api/v1/sharing/referrals/incoming/",
                                     "/api/v1/sharing/notifications/"],
            people.caseworker: ["/api/v1/sharing/referrals/outgoing/"]}
    for user, urls in pages.items():
        for url in urls:
            _queries(web(user), url)  # warm (session, content types)
    for user, urls in apis.items():
        for url in urls:
            _queries(api_as(user), url)  # warm (the token's first use is recorded)
    few = {(u.pk, url): _queries(web(u), url) for u, urls in pages.items() for url in urls}
    few |= {(u.pk, url): _queries(api_as(u), url) for u, urls in apis.items() for url in urls}
    for _ in range(6):
        make_referral(people.caseworker, sensitive_case, consent, ["health"])
    many = {(u.pk, url): _queries(web(u), url) for u, urls in pages.items() for url in urls}
    many |= {(u.pk, url): _queries(api_as(u), url) for u, urls in apis.items()
             for url in urls}
    assert many == few


def test_best_interests_override_is_for_supervisors_with_a_reason(people, web, register):
    case = register(actor=people.caseworker, date_of_birth=born_years_ago(9))
    url = f"/sharing/cases/{case.pk}/consents/new/"
    form = consent_form(given_by="best_interests", receiving_agency_id=people.agency_health.pk,
                        child_views="Too unwell to be heard today.",
                        override_reason="Urgent treatment needed")
    by_caseworker = web(people.caseworker).post(url, form)
    assert by_caseworker.status_code == 403
    assert "supervisor" in text(by_caseworker) and "Urgent treatment needed" in text(
        by_caseworker)  # the page again, with what was typed
    short = web(people.supervisor).post(url, {**form, "override_reason": "urgent"})
    assert short.status_code == 400 and "at least 20 characters" in text(short)
    done = web(people.supervisor).post(url, {
        **form, "override_reason": "Urgent treatment; the guardian cannot be reached."})
    assert done.status_code == 302
    made = Consent.objects.get(case=case)
    assert (made.given_by, made.recorded_by) == ("best_interests", people.supervisor)


def test_sharing_pages_have_no_inline_script_or_style(people, more, web, sensitive_case,
                                                      consent, accepted):
    """The Content Security Policy forbids inline scripts and styles."""
    import re

    pages = {
        people.caseworker: [f"/sharing/cases/{sensitive_case.pk}/",
                            f"/sharing/cases/{sensitive_case.pk}/consents/new/",
                            f"/sharing/cases/{sensitive_case.pk}/referrals/new/",
                            f"/sharing/consents/{consent.pk}/withdraw/",
                            f"/sharing/cases/{sensitive_case.pk}/export/",
                            f"/sharing/cases/{sensitive_case.pk}/corrections/",
                            "/sharing/referrals/outgoing/", f"/cases/{sensitive_case.pk}/"],
        people.supervisor: [f"/sharing/cases/{sensitive_case.pk}/transfers/new/",
                            "/sharing/break-glass/review/"],
        people.health_worker: ["/sharing/referrals/incoming/",
                               f"/sharing/referrals/{accepted.pk}/",
                               f"/sharing/cases/{sensitive_case.pk}/shared/",
                               "/sharing/notifications/"],
        more.health_supervisor: ["/sharing/break-glass/", "/sharing/transfers/incoming/"],
        people.auditor: ["/audit/"],
    }
    for user, urls in pages.items():
        for url in urls:
            response = web(user).get(url)
            body = text(response)
            assert response.status_code == 200, (user.username, url)
            assert "Content-Security-Policy" in response.headers
            assert not re.search(r"<script(?![^>]*\bsrc=)", body), url
            assert not re.search(r"\sstyle=|<style", body), url
            assert not re.search(r"\son[a-z]+=", body), url
