"""The care pages: overview, status changes, services, reviews, decisions. Access as the
rest of the case; a fixed number of queries whatever the size of the plan."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bridgeway.audit.models import AuditEntry
from bridgeway.care.models import PlanAction, PlanReview, ServiceDelivered
from bridgeway.care.services import PSYCHOSOCIAL_FIRST, service_record
from bridgeway.forms.models import FormRecord
from tests.care.conftest import action_named, iso, plan_values, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client: Any) -> Any:
    def login(user: Any) -> Any:
        client.force_login(user)
        return client

    return login


def page(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_overview_for_the_caseworker(as_user: Any, builtin: Any, case: Any,
                                     people: Any) -> None:
    response = as_user(people.caseworker).get(f"/care/cases/{case.pk}/")
    assert response.status_code == 200
    text = page(response)
    assert 'id="psychosocial-first"' in text
    for form_id in ("bw_initial_assessment", "bw_psychosocial_assessment",
                    "bw_reintegration_plan", "bw_bid_panel", "bw_case_closure"):
        assert f'href="/forms/cases/{case.pk}/{form_id}/new/"' in text
    assert 'id="service-form"' in text
    entry = AuditEntry.objects.filter(object_type="care", action="view").last()
    assert (entry.actor, entry.case_id) == (people.caseworker, case.pk)


def test_the_case_page_links_to_the_care_overview(as_user: Any, case: Any,
                                                  people: Any) -> None:
    text = page(as_user(people.caseworker).get(f"/cases/{case.pk}/"))
    assert f'href="/care/cases/{case.pk}/"' in text


@pytest.mark.parametrize("who", ["outsider", "outsider_supervisor", "analyst",
                                 "other_caseworker", "police_officer", "auditor"])
def test_outsiders_get_404(as_user: Any, case: Any, people: Any, who: str) -> None:
    client = as_user(getattr(people, who))
    assert client.get(f"/care/cases/{case.pk}/").status_code == 404
    assert client.post(f"/care/cases/{case.pk}/services/", {
        "service_type": "education", "provider_name": "x",
        "start_date": iso(today())}).status_code == 404
    assert not ServiceDelivered.objects.exists()


def test_anonymous_is_sent_to_login(client: Any, case: Any) -> None:
    response = client.get(f"/care/cases/{case.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def _grow(fill: Any, case: Any, people: Any, n: int) -> None:
    goals = [{"goal_domain": "education", "goal_text": f"Goal {i}", "goal_status": "not_started",
              "action": [{"action_text": f"Action {i}.{j}", "responsible_agency": "Agency A",
                          "due_date": iso(today() + timedelta(days=5)),
                          "action_status": "not_started"} for j in range(3)]}
             for i in range(n)]
    fill("bw_reintegration_plan", case, values=plan_values(goals=goals))
    fill("bw_follow_up_visit", case)
    fill("bw_bid_panel", case)
    for i in range(n):
        service_record(actor=people.caseworker, case_id=case.pk, data={
            "service_type": "education", "provider_name": f"School {i}",
            "start_date": iso(today()), "outcome": "ok"})


def test_overview_queries_do_not_grow(as_user: Any, fill: Any, case: Any,
                                      people: Any) -> None:
    fill("bw_psychosocial_assessment", case)
    _grow(fill, case, people, 1)
    client = as_user(people.supervisor)
    client.get(f"/care/cases/{case.pk}/")  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/care/cases/{case.pk}/").status_code == 200
    _grow(fill, case, people, 6)
    with CaptureQueriesContext(connection) as large:
        response = client.get(f"/care/cases/{case.pk}/")
    assert "Action 5.2" in page(response)
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_record_a_service_and_bad_input(as_user: Any, case: Any, people: Any) -> None:
    client = as_user(people.caseworker)
    url = f"/care/cases/{case.pk}/services/"
    bad = {"service_type": "education", "provider_name": "SD Negeri 3",
           "start_date": iso(today()), "end_date": iso(today() - timedelta(days=3)),
           "outcome": "Enrolled"}
    response = client.post(url, bad)
    assert response.status_code == 400
    text = page(response)
    assert "End date: Ends before it starts." in text
    assert 'value="SD Negeri 3"' in text  # what was typed is kept
    assert not ServiceDelivered.objects.exists()
    response = client.post(url, {**bad, "end_date": "",
                                 "provider_agency": str(people.agency_health.pk)})
    assert response.status_code == 302
    service = ServiceDelivered.objects.get()
    assert service.provider_agency == people.agency_health and service.end_date is None
    assert people.agency_health.name in page(client.get(f"/care/cases/{case.pk}/"))


def test_change_an_action_status(as_user: Any, fill: Any, case: Any, people: Any,
                                 register: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    action = action_named("Meet the head teacher", goal__record=plan)
    client = as_user(people.caseworker)
    text = page(client.get(f"/care/cases/{case.pk}/"))
    assert f'action="/care/cases/{case.pk}/actions/{action.pk}/status/"' in text
    response = client.post(f"/care/cases/{case.pk}/actions/{action.pk}/status/",
                           {"status": "done"})
    assert response.status_code == 302
    assert PlanAction.objects.get(pk=action.pk).status == "done"
    response = client.post(f"/care/cases/{case.pk}/actions/{action.pk}/status/",
                           {"status": "whenever"})
    assert response.status_code == 400 and "Status: Must be one of" in page(response)
    # An action addressed under another case is not found.
    other = register(actor=people.caseworker, names=[{"kind": "given", "value": "Nur"}])
    assert client.post(f"/care/cases/{other.pk}/actions/{action.pk}/status/",
                       {"status": "delayed"}).status_code == 404
    assert PlanAction.objects.get(pk=action.pk).status == "done"


def test_supervisor_approves_from_the_overview(as_user: Any, fill: Any, case: Any,
                                               people: Any) -> None:
    bid = fill("bw_bid_panel", case)
    text = page(as_user(people.caseworker).get(f"/care/cases/{case.pk}/"))
    assert "I want to go back to school and live with my aunt." in text
    assert 'name="decision" value="approve"' not in text  # a caseworker does not decide

    client = as_user(people.supervisor)
    text = page(client.get(f"/care/cases/{case.pk}/"))
    assert f'action="/care/records/{bid.pk}/decision/"' in text
    assert 'name="decision" value="approve"' in text
    response = client.post(f"/care/records/{bid.pk}/decision/",
                           {"decision": "return", "comment": "", "version": "1"})
    assert response.status_code == 400
    assert "Say what needs to change" in page(response)
    assert FormRecord.objects.get(pk=bid.pk).status == "submitted"
    response = client.post(f"/care/records/{bid.pk}/decision/",
                           {"decision": "approve", "version": "1"})
    assert response.status_code == 302 and response["Location"] == f"/care/cases/{case.pk}/"
    assert FormRecord.objects.get(pk=bid.pk).status == "approved"


def test_decision_page_shows_the_childs_views(as_user: Any, fill: Any, case: Any,
                                              people: Any) -> None:
    closure = fill("bw_case_closure", case)
    response = as_user(people.supervisor).get(f"/care/records/{closure.pk}/decision/")
    text = page(response)
    assert response.status_code == 200
    assert "The plan starts with school enrolment, as the child asked." in text
    assert 'id="decide-form"' in text
    # The caseworker sees the views and history, not the decision form.
    text = page(as_user(people.caseworker).get(f"/care/records/{closure.pk}/decision/"))
    assert "I want to go back to school" in text and 'id="decide-form"' not in text
    assert as_user(people.outsider_supervisor).get(
        f"/care/records/{closure.pk}/decision/").status_code == 404
    # Not a decision record: no decision page.
    initial = fill("bw_initial_assessment", case)
    assert as_user(people.supervisor).get(
        f"/care/records/{initial.pk}/decision/").status_code == 404


def test_own_record_shows_no_decision_form(as_user: Any, fill: Any, case: Any,
                                           people: Any) -> None:
    bid = fill("bw_bid_panel", case, actor=people.supervisor)
    client = as_user(people.supervisor)
    text = page(client.get(f"/care/records/{bid.pk}/decision/"))
    assert 'id="decide-form"' not in text and "another supervisor decides" in text
    response = client.post(f"/care/records/{bid.pk}/decision/", {"decision": "approve"})
    assert response.status_code == 403
    assert FormRecord.objects.get(pk=bid.pk).status == "submitted"


def test_sending_a_plan_before_the_psychosocial_assessment(as_user: Any, fill: Any,
                                                          case: Any, people: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    client = as_user(people.caseworker)
    text = page(client.get(f"/care/cases/{case.pk}/"))
    assert f'action="/care/cases/{case.pk}/records/{plan.pk}/approval-request/"' in text
    response = client.post(f"/care/cases/{case.pk}/records/{plan.pk}/approval-request/")
    assert response.status_code == 400
    assert PSYCHOSOCIAL_FIRST in page(response)
    fill("bw_psychosocial_assessment", case)
    response = client.post(f"/care/cases/{case.pk}/records/{plan.pk}/approval-request/")
    assert response.status_code == 302


def test_record_a_review(as_user: Any, approved_plan: Any, case: Any, people: Any) -> None:
    client = as_user(people.caseworker)
    text = page(client.get(f"/care/cases/{case.pk}/"))
    assert 'id="review-form"' in text
    assert (today() + timedelta(days=60)).isoformat() in text  # next review due
    data = {"reviewed_on": iso(today()), "summary": "Good progress.",
            "child_views": "", "child_views_weight": "Weighed."}
    response = client.post(f"/care/cases/{case.pk}/reviews/", data)
    assert response.status_code == 400
    assert "What the child said: This field is required." in page(response)
    assert not PlanReview.objects.exists()
    response = client.post(f"/care/cases/{case.pk}/reviews/",
                           {**data, "child_views": "Happy at school."})
    assert response.status_code == 302
    assert PlanReview.objects.get().plan_change_needed is False


def test_sending_a_record_under_another_case_is_404_and_sends_nothing(
        as_user: Any, fill: Any, case: Any, people: Any, register: Any) -> None:
    from bridgeway.care.models import Approval

    plan = fill("bw_reintegration_plan", case)
    fill("bw_psychosocial_assessment", case)  # the plan may now go for approval
    other = register(actor=people.caseworker, names=[{"kind": "given", "value": "Rahim"}])
    client = as_user(people.caseworker)
    before = (Approval.objects.count(), FormRecord.objects.get(pk=plan.pk).version,
              AuditEntry.objects.filter(case_id=case.pk).count())
    response = client.post(f"/care/cases/{other.pk}/records/{plan.pk}/approval-request/")
    assert response.status_code == 404
    assert (Approval.objects.count(), FormRecord.objects.get(pk=plan.pk).version,
            AuditEntry.objects.filter(case_id=case.pk).count()) == before
    response = client.post(f"/care/cases/{case.pk}/records/{plan.pk}/approval-request/")
    assert response.status_code == 302
    assert Approval.objects.count() == before[0] + 1
