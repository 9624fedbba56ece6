"""The case endpoints doing their job: register, read, list, search, edit, workflow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import Category
from bridgeway.cases.models import Case, Task
from bridgeway.cases.services import case_add_note, case_request_closure
from tests.conftest import child_payload

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


def test_caseworker_registers_a_child_and_the_case_is_theirs(people, api):
    response = api(people.caseworker).post(
        CASES, {"child": child_payload(), "case": {"risk_level": "high",
                                                   "group_type": "terrorist"}}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert body["case_number"] == case.case_number
    assert body["assigned_to"]["username"] == "caseworker"
    assert body["owning_agency"] == "agency-a"
    assert body["risk_level"] == "high" and body["group_type"] == "terrorist"
    assert body["version"] == 1 and body["child"]["version"] == 1
    assert body["child"]["display_name"] == "Aisyah Rahman"
    assert body["child"]["age"] in (13, 14)


def test_registration_without_case_details_uses_the_defaults(people, api):
    response = api(people.caseworker).post(CASES, {"child": child_payload()}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["risk_level"] == "medium"


def test_analyst_may_not_register(people, api):
    response = api(people.analyst).post(CASES, {"child": child_payload()}, format="json")
    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_detail_has_identity_versions_notes_tasks_and_permissions(people, api, register):
    case = register()
    case_add_note(actor=people.caseworker, case_id=case.pk, body="Met the mother at home.")
    body = api(people.caseworker).get(f"{CASES}{case.pk}/").json()
    assert body["case"]["id"] == case.pk and body["case"]["version"] == 1
    child = body["child"]
    assert child["version"] == 1
    assert [n["value"] for n in child["names"]] == ["Aisyah", "Rahman"]
    assert child["aliases"][0]["value"] == "عائشة"
    assert child["aliases"][0]["script"] == "Arab"
    assert child["identifiers"][0]["value"] == "3201-1234-5678"
    assert child["family"][0]["name"] == "Siti Rahman"
    assert [n["body"] for n in body["notes"]] == ["Met the mother at home."]
    assert [t["title"] for t in body["tasks"]] == ["Complete the first assessment"]
    assert {e["kind"] for e in body["events"]} >= {"opened", "note_added"}
    assert body["permissions"] == ["edit", "note", "request_closure", "view"]


def test_supervisor_sees_every_permission(people, api, register):
    case = register()
    body = api(people.supervisor).get(f"{CASES}{case.pk}/").json()
    assert set(body["permissions"]) == {p.value for p in policy.Perm}


def test_fields_outside_granted_categories_are_null(people, api, register, monkeypatch):
    case = register(case={"risk_level": "high", "alleged_offence": "Theft",
                          "group_type": "gang", "victim_status": "recognized"})
    # What a justice-sector grant carries: identity and justice only.
    limited = frozenset({Category.IDENTITY, Category.JUSTICE})
    monkeypatch.setattr(policy, "categories_for", lambda user, case: limited)
    body = api(people.caseworker).get(f"{CASES}{case.pk}/").json()
    assert body["case"]["alleged_offence"] == "Theft"
    # victim status is in the justice category: shown beside the alleged offence
    assert body["case"]["victim_status"] == "recognized"
    assert body["case"]["group_type"] is None
    assert body["case"]["risk_level"] is None and body["case"]["status"] is None
    assert body["case"]["case_number"] == case.case_number
    assert body["child"]["family"] is None
    assert body["notes"] is None and body["tasks"] is None and body["events"] is None
    assert [n["value"] for n in body["child"]["names"]] == ["Aisyah", "Rahman"]
    assert body["child"]["version"] == 1


def test_family_contact_details_need_their_own_category(people, api, register, monkeypatch):
    case = register()
    limited = frozenset({Category.IDENTITY, Category.FAMILY, Category.CASE_MANAGEMENT})
    monkeypatch.setattr(policy, "categories_for", lambda user, case: limited)
    family = api(people.caseworker).get(f"{CASES}{case.pk}/").json()["child"]["family"]
    assert family[0]["name"] == "Siti Rahman"
    assert (family[0]["phone"], family[0]["address"]) == (None, None)


def test_write_responses_follow_the_categories_too(people, api, register, monkeypatch):
    case = register(case={"alleged_offence": "Theft"})
    monkeypatch.setattr(policy, "categories_for",
                        lambda user, case: frozenset({Category.CASE_MANAGEMENT}))
    body = api(people.caseworker).patch(f"{CASES}{case.pk}/", {"version": 1,
                                                              "risk_level": "low"},
                                        format="json").json()
    assert body["risk_level"] == "low"
    assert body["alleged_offence"] is None
    assert body["child"]["display_name"] is None


def test_list_shows_newest_first_and_pages_with_a_cursor(people, api, register):
    cases = [register(names=[{"kind": "given", "value": f"Child{chr(65 + i % 26)}"}])
             for i in range(27)]
    client = api(people.caseworker)
    first = client.get(CASES).json()
    assert set(first) == {"items", "next_cursor"}
    assert len(first["items"]) == 25
    assert first["items"][0]["id"] == cases[-1].pk
    second = client.get(CASES, {"cursor": first["next_cursor"]}).json()
    assert second["next_cursor"] is None
    seen = [i["id"] for i in first["items"] + second["items"]]
    assert sorted(seen) == sorted(c.pk for c in cases)


def test_list_filters_by_status_risk_assignee_and_overdue(people, api, register):
    high = register(case={"risk_level": "high"})
    low = register(case={"risk_level": "low"},
                   names=[{"kind": "given", "value": "Budi"}])
    Task.objects.filter(case=high).update(due_at=timezone.now() - timedelta(days=1))
    client = api(people.supervisor)

    def ids(**params):
        response = client.get(CASES, params)
        assert response.status_code == 200, response.json()
        return {i["id"] for i in response.json()["items"]}

    assert ids(risk="high") == {high.pk}
    assert ids(risk="low") == {low.pk}
    assert ids(status="registration") == {high.pk, low.pk}
    assert ids(status="assessment") == set()
    assert ids(assigned_to=people.caseworker.pk) == {high.pk, low.pk}
    assert ids(assigned_to=people.other_caseworker.pk) == set()
    assert ids(overdue="true") == {high.pk}


@pytest.mark.parametrize("query", ["عائشة", "Aisha", "aisyah rahman", "3201 1234 5678"])
def test_search_by_alias_in_any_script_or_identifier(people, api, register, query):
    case = register()
    register(names=[{"kind": "given", "value": "Budi"}], aliases=[],
             identifiers=[{"id_type": "passport", "value": "X1234567"}])
    items = api(people.caseworker).get(CASES, {"q": query}).json()["items"]
    assert [i["id"] for i in items] == [case.pk]


def test_search_by_case_number(people, api, register):
    case = register()
    register(names=[{"kind": "given", "value": "Budi"}])
    items = api(people.caseworker).get(CASES, {"q": case.case_number}).json()["items"]
    assert [i["id"] for i in items] == [case.pk]


def test_duplicates_finds_the_same_child_across_scripts(people, api, register):
    case = register()
    payload = {"names": [{"kind": "given", "value": "عائشة"}]}
    response = api(people.caseworker).post(f"{CASES}duplicates/", payload, format="json")
    assert response.status_code == 200, response.json()
    items = response.json()["items"]
    assert [i["public_id"] for i in items] == [str(case.child.public_id)]
    assert items[0]["cases"][0]["case_number"] == case.case_number


def test_duplicates_by_identifier(people, api, register):
    case = register()
    payload = {"identifiers": [{"id_type": "national_id", "value": "320112345678"}]}
    items = api(people.caseworker).post(f"{CASES}duplicates/", payload,
                                        format="json").json()["items"]
    assert [i["public_id"] for i in items] == [str(case.child.public_id)]


def test_patch_changes_only_the_keys_sent(people, api, register):
    case = register(case={"risk_level": "high", "alleged_offence": "Theft"})
    response = api(people.caseworker).patch(
        f"{CASES}{case.pk}/", {"version": 1, "victim_status": "recognized"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["version"] == 2
    assert body["victim_status"] == "recognized"
    assert body["alleged_offence"] == "Theft"  # side by side, neither erases the other
    case.refresh_from_db()
    assert case.victim_status == "recognized" and case.risk_level == "high"


def test_put_child_replaces_identity_and_bumps_the_child_version(people, api, register):
    case = register()
    payload = child_payload(names=[{"kind": "given", "value": "Айгерим"}], aliases=[])
    response = api(people.caseworker).put(f"{CASES}{case.pk}/child/",
                                          {**payload, "version": 1}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["version"] == 2
    assert [(n["value"], n["script"]) for n in body["names"]] == [("Айгерим", "Cyrl")]
    assert body["names"][0]["latin"]
    assert body["aliases"] == []


def test_a_child_who_turned_18_during_the_case_keeps_an_editable_record(people, api, register):
    from datetime import date, timedelta

    from bridgeway.registry.models import Child

    born = date.today() - timedelta(days=365 * 17 + 30)
    case = register(date_of_birth=born.isoformat())
    shift = timedelta(days=365 * 2 + 1)  # two years pass: the child is 19 now
    child = Child.objects.get(pk=case.child_id)
    Child.objects.filter(pk=child.pk).update(
        registered_at=child.registered_at - shift, date_of_birth=born - shift,
        youngest_birth_date=child.youngest_birth_date - shift)
    client = api(people.caseworker)
    detail = client.get(f"{CASES}{case.pk}/").json()
    assert detail["child"]["turned_18_on"]
    payload = child_payload(names=[{"kind": "given", "value": "Aisya"}],
                            date_of_birth=(born - shift).isoformat())
    response = client.put(f"{CASES}{case.pk}/child/", {**payload, "version": 1},
                          format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["turned_18_on"]
    older = {**payload, "date_of_birth": (born - shift - timedelta(days=365 * 3)).isoformat(),
             "version": 2}
    refused = client.put(f"{CASES}{case.pk}/child/", older, format="json")
    assert refused.status_code == 400, refused.content
    assert "under 18" in " ".join(refused.json()["errors"]["__all__"])
    assert Child.objects.get(pk=case.child_id).version == 2


def test_note_status_closure_decision_reopen_assign_flow(people, api, register):
    case = register()
    worker, supervisor = api(people.caseworker), api(people.supervisor)
    url = f"{CASES}{case.pk}/"

    note = worker.post(url + "notes/", {"body": "Home visit done."}, format="json")
    assert note.status_code == 201 and note.json()["author"]["username"] == "caseworker"

    moved = worker.post(url + "status/", {"status": "assessment", "version": 1},
                        format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "assessment"

    requested = worker.post(url + "closure/", {"reason": "goals_met"}, format="json")
    assert requested.json()["status"] == "closure_requested"

    returned = supervisor.post(url + "closure/decision/",
                               {"decision": "return", "comment": "Plan review first."},
                               format="json")
    assert returned.json()["status"] == "follow_up"

    worker.post(url + "closure/", {"reason": "goals_met"}, format="json")
    approved = supervisor.post(url + "closure/decision/", {"decision": "approve"},
                               format="json")
    assert approved.json()["status"] == "closed"
    assert approved.json()["closed_at"]

    reopened = supervisor.post(url + "reopen/", {"reason": "New concerns reported."},
                               format="json")
    assert reopened.json()["status"] == "follow_up"

    assigned = supervisor.post(url + "assign/", {"assigned_to": people.other_caseworker.pk},
                               format="json")
    assert assigned.status_code == 200
    assert assigned.json()["assigned_to"]["username"] == "other_caseworker"
    # The previous caseworker no longer sees it.
    assert worker.get(url).status_code == 404


def test_returning_a_closure_needs_a_comment(people, api, register):
    case = register()
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="goals_met")
    response = api(people.supervisor).post(f"{CASES}{case.pk}/closure/decision/",
                                           {"decision": "return"}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()["errors"]
    case.refresh_from_db()
    assert case.status == "closure_requested"


def test_assigning_to_a_user_of_another_agency_is_refused(people, api, register):
    case = register()
    response = api(people.supervisor).post(f"{CASES}{case.pk}/assign/",
                                           {"assigned_to": people.outsider.pk}, format="json")
    assert response.status_code == 400
    assert "assigned_to" in response.json()["errors"]
    case.refresh_from_db()
    assert case.assigned_to == people.caseworker


@pytest.mark.parametrize("path", [
    "cases/abc/", "cases/99999999999999999999999/", "cases/1/unknown/", "nothing-here/",
])
def test_unknown_api_paths_answer_a_json_404(people, api, path):
    response = api(people.supervisor).get(f"/api/v1/{path}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_list_query_count_does_not_grow_with_the_number_of_cases(people, api, register):
    client = api(people.supervisor)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(CASES)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["items"])

    register()
    client.get(CASES)  # warm up: the token's first use records last_used_at
    few, listed_few = queries_for_list()
    for i in range(8):
        register(actor=people.other_caseworker if i % 2 else people.supervisor,
                 names=[{"kind": "given", "value": f"Nur{chr(65 + i)}"}])
    many, listed_many = queries_for_list()
    assert (listed_few, listed_many) == (1, 9)
    assert many == few


def test_search_query_count_does_not_grow_with_the_number_of_matches(people, api, register):
    client = api(people.supervisor)

    def queries_for_search() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(CASES, {"q": "Aisyah"})
        return len(ctx.captured_queries), len(response.json()["items"])

    register()
    client.get(CASES)  # warm up: the token's first use records last_used_at
    few, found_few = queries_for_search()
    for _ in range(5):
        register(actor=people.supervisor, identifiers=[])
    many, found_many = queries_for_search()
    assert (found_few, found_many) == (1, 6)
    assert many == few
