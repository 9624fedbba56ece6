"""The care API: the same access policy and audit as the pages (the assigned caseworker and
the supervisor 2xx; another agency, an analyst, a colleague not assigned: 404), strict
shapes, domain errors as 400 with field paths, nothing stored on a refusal."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.care.models import PlanAction, PlanGoal, PlanReview, ServiceDelivered
from bridgeway.care.services import PSYCHOSOCIAL_FIRST
from bridgeway.forms.models import FormRecord
from tests.api.conftest import client_with_token
from tests.care.conftest import (
    action_named,
    bid_values,
    initial_values,
    iso,
    plan_values,
    psychosocial_values,
    today,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/care"


class Calls:
    """One request and the audit entries it appended."""

    def __init__(self) -> None:
        self.seq = self._head()

    @staticmethod
    def _head() -> int:
        entry = AuditEntry.objects.order_by("-seq").first()
        return entry.seq if entry else 0

    def entries(self) -> list[AuditEntry]:
        found = list(AuditEntry.objects.filter(seq__gt=self.seq).order_by("seq"))
        self.seq = self._head()
        return found


@pytest.fixture
def api_as(people: Any) -> Any:
    clients: dict[str, Any] = {}

    def get(user: Any) -> Any:
        if user.username not in clients:
            clients[user.username] = client_with_token(user)
        return clients[user.username]

    return get


@pytest.fixture
def world(fill: Any, case: Any, people: Any) -> dict[str, Any]:
    """A case with an initial and psychosocial assessment, a plan and a BID waiting."""
    fill("bw_initial_assessment", case)
    fill("bw_psychosocial_assessment", case)
    plan = fill("bw_reintegration_plan", case)
    bid = fill("bw_bid_panel", case)
    return {"plan": plan, "bid": bid,
            "action": action_named("Meet the head teacher", goal__record=plan),
            "goal": PlanGoal.objects.get(record=plan, position=1)}


def test_list_and_get_assessments(api_as: Any, world: Any, case: Any, people: Any) -> None:
    client = api_as(people.caseworker)  # issuing its token is audited: before recording
    calls = Calls()
    response = client.get(f"{BASE}/cases/{case.pk}/assessments/")
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [i["form_id"] for i in items] == ["bw_bid_panel", "bw_reintegration_plan",
                                             "bw_psychosocial_assessment",
                                             "bw_initial_assessment"]
    bid = items[0]
    assert bid["purpose"] == "bid_panel" and bid["approval"]["decision"] == "pending"
    assert bid["data"]["child_views"].startswith("I want to go back to school")
    assert items[3]["approval"] is None
    [entry] = calls.entries()
    assert (entry.action, entry.object_type, entry.channel, entry.actor) == (
        "list", "form_record", "api", people.caseworker)
    assert sorted(entry.detail["record_ids"]) == sorted(i["id"] for i in items)

    response = api_as(people.caseworker).get(f"{BASE}/cases/{case.pk}/assessments/",
                                             {"purpose": "reintegration_plan"})
    assert [i["id"] for i in response.json()["items"]] == [world["plan"].pk]
    response = api_as(people.caseworker).get(f"{BASE}/cases/{case.pk}/assessments/",
                                             {"purpose": "haircut"})
    assert response.status_code == 400 and "purpose" in response.json()["errors"]

    supervisor = api_as(people.supervisor)
    calls.entries()
    response = supervisor.get(f"{BASE}/assessments/{world['plan'].pk}/")
    assert response.status_code == 200
    body = response.json()
    assert [g["goal_text"] for g in body["data"]["goal"]] == [
        "Enrol in the local school", "Weekly visits to the mother"]
    [entry] = calls.entries()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "view", "form_record", str(world["plan"].pk))


def test_submit_a_form(api_as: Any, builtin: Any, case: Any, people: Any) -> None:
    client = api_as(people.caseworker)
    instance = f"uuid:{uuid.uuid4()}"
    response = client.post(f"{BASE}/cases/{case.pk}/assessments/", {
        "form_id": "bw_initial_assessment", "values": initial_values(risk="medium"),
        "instance_id": instance}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["instance_id"], body["purpose"]) == (
        "submitted", instance, "initial_assessment")
    case.refresh_from_db()
    assert case.risk_level == "medium" and case.first_assessment_done_at is not None
    assert AuditEntry.objects.filter(object_type="form_record", action="create",
                                     channel="api", object_id=str(body["id"])).exists()
    # The same instance id again returns the stored record (idempotent).
    again = client.post(f"{BASE}/cases/{case.pk}/assessments/", {
        "form_id": "bw_initial_assessment", "values": initial_values(risk="medium"),
        "instance_id": instance}, format="json")
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert FormRecord.objects.count() == 1


@pytest.mark.parametrize(("body", "fields"), [
    ({"form_id": "bw_initial_assessment", "values": {"risk_level": "extreme"}},
     {"risk_level", "assessment_date", "consent_basis"}),
    ({"form_id": "no_such_form", "values": {}}, {"form_id"}),
    ({"form_id": "bw_initial_assessment", "version": "1999", "values": {}}, {"version"}),
    ({"form_id": "bw_initial_assessment", "values": "x"}, {"values"}),
    ({"form_id": "bw_initial_assessment", "values": {}, "colour": "red"}, {"colour"}),
    ({"form_id": 7, "values": {}}, {"form_id"}),
    ({"form_id": "bw_initial_assessment", "values": {}, "instance_id": "abc"},
     {"instance_id"}),
    ({"form_id": "bw_reintegration_plan",
      "values": {**plan_values(), "goal": [{"goal_domain": "family", "goal_text": "Visits",
                                            "goal_status": "not_started",
                                            "action": [{"action_text": "Bus", "responsible_agency": "A",
                                                        "due_date": "2001-01-01",
                                                        "action_status": "not_started"}]}]}},
     {"goal[1].action[1].due_date"}),
])
def test_submit_refuses_bad_input(api_as: Any, builtin: Any, case: Any, people: Any,
                                  body: dict[str, Any], fields: set[str]) -> None:
    # The psychosocial assessment exists, so the plan is judged on its answers.
    if body["form_id"] == "bw_reintegration_plan":
        api_as(people.caseworker).post(f"{BASE}/cases/{case.pk}/assessments/", {
            "form_id": "bw_psychosocial_assessment",
            "values": psychosocial_values()},
            format="json")
    before = FormRecord.objects.count()
    response = api_as(people.caseworker).post(f"{BASE}/cases/{case.pk}/assessments/", body,
                                              format="json")
    assert response.status_code == 400, response.content
    assert fields <= set(response.json()["errors"]), response.json()
    assert FormRecord.objects.count() == before


def test_a_plan_before_the_psychosocial_assessment_is_refused(api_as: Any, builtin: Any,
                                                              case: Any, people: Any) -> None:
    client = api_as(people.caseworker)
    response = client.post(f"{BASE}/cases/{case.pk}/assessments/", {
        "form_id": "bw_reintegration_plan", "values": plan_values()}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"__all__": [PSYCHOSOCIAL_FIRST]}}
    assert not FormRecord.objects.exists() and not PlanGoal.objects.exists()
    # A draft may be saved.
    response = client.post(f"{BASE}/cases/{case.pk}/assessments/", {
        "form_id": "bw_reintegration_plan", "values": plan_values(), "draft": True},
        format="json")
    assert response.status_code == 201 and response.json()["status"] == "draft"


def test_plan_and_status_changes(api_as: Any, world: Any, case: Any, people: Any) -> None:
    client = api_as(people.caseworker)
    calls = Calls()
    response = client.get(f"{BASE}/cases/{case.pk}/plan/")
    assert response.status_code == 200
    plan = response.json()
    assert plan["record"]["id"] == world["plan"].pk
    assert plan["approval"]["decision"] == "pending" and plan["in_force"] is None
    assert plan["next_review_due"] is None
    assert [(g["domain"], len(g["actions"])) for g in plan["goals"]] == [
        ("education", 2), ("family", 1)]
    assert plan["goals"][0]["actions"][0]["responsible_agency"]["code"] == "agency-a"
    [entry] = calls.entries()
    assert (entry.action, entry.object_type) == ("view", "plan")

    action = world["action"]
    response = client.patch(f"{BASE}/plan-actions/{action.pk}/",
                            {"action_status": "in_progress"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_progress"
    assert [(e.action, e.object_type) for e in calls.entries()] == [("update", "plan_action")]
    for bad in ({"action_status": "finished"}, {"status": "done"}, {"action_status": 1}, {}):
        response = client.patch(f"{BASE}/plan-actions/{action.pk}/", bad, format="json")
        assert response.status_code == 400, bad
    assert PlanAction.objects.get(pk=action.pk).status == "in_progress"

    response = client.patch(f"{BASE}/plan-goals/{world['goal'].pk}/",
                            {"goal_status": "achieved"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "achieved"
    assert len(response.json()["actions"]) == 2


def test_decisions(api_as: Any, world: Any, case: Any, people: Any) -> None:
    bid = world["bid"]
    url = f"{BASE}/assessments/{bid.pk}/decision/"
    assert api_as(people.caseworker).post(url, {"decision": "approve"},
                                          format="json").status_code == 403
    response = api_as(people.supervisor).post(url, {"decision": "maybe"}, format="json")
    assert response.status_code == 400 and "decision" in response.json()["errors"]
    response = api_as(people.supervisor).post(url, {"decision": "return"}, format="json")
    assert response.status_code == 400 and "comment" in response.json()["errors"]
    response = api_as(people.supervisor).post(url, {"decision": "approve", "version": 9},
                                              format="json")
    assert response.status_code == 409 and response.json()["current_version"] == 1
    calls = Calls()
    response = api_as(people.supervisor).post(url, {"decision": "approve", "version": 1},
                                              format="json")
    assert response.status_code == 200, response.content
    assert response.json()["decision"] == "approved"
    assert FormRecord.objects.get(pk=bid.pk).status == "approved"
    assert [(e.action, e.object_type, e.channel) for e in calls.entries()] == [
        ("status", "form_record", "api")]

    # The plan: returned, then sent again with a note.
    plan_url = f"{BASE}/assessments/{world['plan'].pk}/"
    api_as(people.supervisor).post(plan_url + "decision/",
                                   {"decision": "return", "comment": "Add health."},
                                   format="json")
    response = api_as(people.caseworker).post(plan_url + "approval-request/",
                                              {"note": "Health goal added."}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["decision"], response.json()["request_note"]) == (
        "pending", "Health goal added.")
    response = api_as(people.caseworker).post(plan_url + "approval-request/", {},
                                              format="json")
    assert response.status_code == 400  # already waiting


def test_services_and_reviews(api_as: Any, world: Any, case: Any, people: Any) -> None:
    client = api_as(people.caseworker)
    bad = client.post(f"{BASE}/cases/{case.pk}/services/", {
        "service_type": "education", "provider_name": "SD 3", "start_date": iso(today()),
        "end_date": iso(today() - timedelta(days=1))}, format="json")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["end_date"]
    shape = client.post(f"{BASE}/cases/{case.pk}/services/", {
        "service_type": "education", "provider_agency": "3", "start_date": 20250101},
        format="json")
    assert shape.status_code == 400
    assert set(shape.json()["errors"]) == {"provider_agency", "start_date"}
    assert not ServiceDelivered.objects.exists()
    response = client.post(f"{BASE}/cases/{case.pk}/services/", {
        "service_type": "education", "provider_agency": people.agency_a.pk,
        "start_date": iso(today()), "action": world["action"].pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["provider_agency"]["code"] == "agency-a"
    assert response.json()["action_id"] == world["action"].pk
    listed = client.get(f"{BASE}/cases/{case.pk}/services/").json()["items"]
    assert [s["id"] for s in listed] == [response.json()["id"]]

    review = {"reviewed_on": iso(today()), "summary": "On track.",
              "child_views": "Happy.", "child_views_weight": "Kept the goals."}
    response = client.post(f"{BASE}/cases/{case.pk}/reviews/", review, format="json")
    assert response.status_code == 400  # no approved plan yet
    api_as(people.supervisor).post(f"{BASE}/assessments/{world['plan'].pk}/decision/",
                                   {"decision": "approve"}, format="json")
    response = client.post(f"{BASE}/cases/{case.pk}/reviews/", review, format="json")
    assert response.status_code == 201, response.content
    assert PlanReview.objects.count() == 1
    plan = client.get(f"{BASE}/cases/{case.pk}/plan/").json()
    assert plan["in_force"]["record_id"] == world["plan"].pk
    assert len(plan["reviews"]) == 1
    assert client.get(f"{BASE}/cases/{case.pk}/reviews/").json()["items"][0]["summary"] == \
        "On track."


def _endpoints(case: Any, world: Any) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("get", f"{BASE}/cases/{case.pk}/assessments/", None),
        ("post", f"{BASE}/cases/{case.pk}/assessments/",
         {"form_id": "bw_bid_panel", "values": bid_values()}),
        ("get", f"{BASE}/assessments/{world['plan'].pk}/", None),
        ("get", f"{BASE}/cases/{case.pk}/plan/", None),
        ("patch", f"{BASE}/plan-actions/{world['action'].pk}/", {"action_status": "delayed"}),
        ("patch", f"{BASE}/plan-goals/{world['goal'].pk}/", {"goal_status": "in_progress"}),
        ("get", f"{BASE}/cases/{case.pk}/services/", None),
        ("post", f"{BASE}/cases/{case.pk}/services/",
         {"service_type": "health", "provider_name": "Clinic", "start_date": iso(today())}),
        ("get", f"{BASE}/cases/{case.pk}/reviews/", None),
    ]


@pytest.mark.parametrize("who", ["caseworker", "supervisor"])
def test_the_case_team_may(api_as: Any, world: Any, case: Any, people: Any, who: str) -> None:
    client = api_as(getattr(people, who))
    for method, url, body in _endpoints(case, world):
        calls = Calls()
        response = getattr(client, method)(url, body, format="json") if body else \
            getattr(client, method)(url)
        assert response.status_code in (200, 201), (method, url, response.content)
        entries = calls.entries()
        assert entries and all(e.channel == "api" and e.actor == getattr(people, who)
                               and e.case_id == case.pk for e in entries), (method, url)


@pytest.mark.parametrize("who", ["outsider", "outsider_supervisor", "analyst",
                                 "other_caseworker", "police_officer", "health_worker",
                                 "auditor", "sysadmin"])
def test_everybody_else_gets_404(api_as: Any, world: Any, case: Any, people: Any,
                                 who: str) -> None:
    client = api_as(getattr(people, who))
    counts = (FormRecord.objects.count(), ServiceDelivered.objects.count())
    extra = [("post", f"{BASE}/assessments/{world['bid'].pk}/decision/",
              {"decision": "approve"}),
             ("post", f"{BASE}/assessments/{world['plan'].pk}/approval-request/", {}),
             ("post", f"{BASE}/cases/{case.pk}/reviews/",
              {"reviewed_on": iso(today()), "summary": "x", "child_views": "x",
               "child_views_weight": "x"})]
    for method, url, body in [*_endpoints(case, world), *extra]:
        response = getattr(client, method)(url, body, format="json") if body is not None \
            else getattr(client, method)(url)
        assert response.status_code == 404, (who, method, url, response.status_code)
        assert response.json() == {"detail": "Not found."}
    assert (FormRecord.objects.count(), ServiceDelivered.objects.count()) == counts
    assert PlanAction.objects.get(pk=world["action"].pk).status == "not_started"


def test_anonymous_gets_401(client: Any, world: Any, case: Any) -> None:
    assert client.get(f"{BASE}/cases/{case.pk}/plan/").status_code == 401


def test_unknown_ids_are_404(api_as: Any, builtin: Any, case: Any, people: Any) -> None:
    client = api_as(people.supervisor)
    for url in (f"{BASE}/cases/{10**9}/plan/", f"{BASE}/assessments/{10**9}/",
                f"{BASE}/cases/{'9' * 30}/plan/"):
        assert client.get(url).status_code == 404, url
    assert client.patch(f"{BASE}/plan-actions/{10**9}/", {"action_status": "done"},
                        format="json").status_code == 404
