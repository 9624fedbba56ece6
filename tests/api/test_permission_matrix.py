"""The API half of the permission matrix.

Every persona x every kind of case (own agency and assigned to the persona, own agency and
assigned to a colleague, own agency and unassigned, another agency) x every record
endpoint. The expectations are written out here by hand, from the rules in the issue —
not derived from ``access.policy`` — so a change in the policy breaks this test:

* a caseworker sees and edits the cases of their agency assigned to them;
* a supervisor sees and does everything on all cases of their agency;
* analysts, auditors, system and agency admins, and everyone from another agency see no
  individual record: 404, with the same body as for a case that does not exist.

A user who may see a case but not do an action on it gets 403 (the case's existence is
no secret to them). Lists, searches and the duplicate check return exactly the visible
cases and no counts.
"""

from __future__ import annotations

from typing import Any

import pytest

from bridgeway.accounts.models import User
from bridgeway.cases.models import Case
from bridgeway.cases.services import case_decide_closure, case_request_closure
from tests.api.conftest import client_with_token
from tests.conftest import child_payload

pytestmark = pytest.mark.django_db

PERSONAS = ["caseworker", "other_caseworker", "supervisor", "outsider", "outsider_supervisor",
            "health_worker", "police_officer", "analyst", "auditor", "sysadmin",
            "agency_admin"]
# Case kinds, each opened by (registering persona) in that persona's agency.
KINDS = {
    "a_assigned_caseworker": "caseworker",         # agency A, assigned to caseworker
    "a_assigned_colleague": "other_caseworker",    # agency A, assigned to other_caseworker
    "a_unassigned": "supervisor",                  # agency A, nobody assigned
    "b_other_agency": "outsider",                  # agency B
}
VISIBLE: dict[str, set[str]] = {
    "caseworker": {"a_assigned_caseworker"},
    "other_caseworker": {"a_assigned_colleague"},
    "supervisor": {"a_assigned_caseworker", "a_assigned_colleague", "a_unassigned"},
    "outsider": {"b_other_agency"},
    "outsider_supervisor": {"b_other_agency"},
}
SUPERVISOR_SIDE = {"a_assigned_caseworker": "supervisor", "a_assigned_colleague": "supervisor",
                   "a_unassigned": "supervisor", "b_other_agency": "outsider_supervisor"}
# What each role may do on a case it sees (by hand, from the issue).
CASEWORKER_ACTIONS = {"detail", "patch", "put_child", "note", "status", "closure"}
ROLE_ACTIONS = {"caseworker": CASEWORKER_ACTIONS,
                "supervisor": CASEWORKER_ACTIONS | {"decision", "reopen", "assign"}}
NOT_FOUND = {"detail": "Not found."}


def _request(client: Any, endpoint: str, case_id: int, people: Any, kind: str,
             case: Case | None) -> Any:
    url = f"/api/v1/cases/{case_id}/"
    version = case.version if case else 1
    child_version = case.child.version if case else 1
    target = people.outsider if kind.startswith("b") else people.other_caseworker
    calls = {
        "detail": lambda: client.get(url),
        "patch": lambda: client.patch(url, {"version": version, "risk_level": "low"},
                                      format="json"),
        "put_child": lambda: client.put(url + "child/",
                                        {**child_payload(), "version": child_version},
                                        format="json"),
        "note": lambda: client.post(url + "notes/", {"body": "Visited."}, format="json"),
        "status": lambda: client.post(url + "status/", {"status": "assessment",
                                                        "version": version}, format="json"),
        "closure": lambda: client.post(url + "closure/", {"reason": "goals_met"},
                                       format="json"),
        "decision": lambda: client.post(url + "closure/decision/", {"decision": "approve"},
                                        format="json"),
        "reopen": lambda: client.post(url + "reopen/", {"reason": "New concerns."},
                                      format="json"),
        "assign": lambda: client.post(url + "assign/", {"assigned_to": target.pk},
                                      format="json"),
    }
    return calls[endpoint]()


def _prepare(endpoint: str, case: Case, people: Any, kind: str) -> Case:
    """Put the case in the state the endpoint acts on (through services)."""
    supervisor = getattr(people, SUPERVISOR_SIDE[kind])
    if endpoint in ("decision", "reopen"):
        # Requested by a second supervisor of the agency: nobody decides on their own
        # closure request (four eyes, tested in tests/care/test_four_eyes.py).
        second = User.objects.create_user(username=f"second_{supervisor.username}",
                                          agency=supervisor.agency, role="supervisor")
        case_request_closure(actor=second, case_id=case.pk, reason="goals_met")
    if endpoint == "reopen":
        case_decide_closure(actor=supervisor, case_id=case.pk, approve=True)
    return Case.objects.select_related("child").get(pk=case.pk)


def _expected(persona: str, kind: str, endpoint: str) -> int:
    if kind not in VISIBLE.get(persona, set()):
        return 404
    role = "supervisor" if "supervisor" in persona else "caseworker"
    return 200 if endpoint in ROLE_ACTIONS[role] else 403


@pytest.mark.parametrize("endpoint", ["detail", "patch", "put_child", "note", "status",
                                      "closure", "decision", "reopen", "assign"])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_record_endpoint(people, register, persona, kind, endpoint):
    case = register(actor=getattr(people, KINDS[kind]))
    case = _prepare(endpoint, case, people, kind)
    before = (case.version, case.child.version, case.status, case.notes.count())
    client = client_with_token(getattr(people, persona))

    response = _request(client, endpoint, case.pk, people, kind, case)
    expected = _expected(persona, kind, endpoint)
    got = response.status_code if response.status_code not in (200, 201) else 200
    assert got == expected, (persona, kind, endpoint, response.status_code, response.content)

    case.refresh_from_db()
    case.child.refresh_from_db()
    after = (case.version, case.child.version, case.status, case.notes.count())
    if expected == 200 and endpoint != "detail":
        assert after != before
    else:
        assert after == before  # refused: nothing changed
    if expected == 404:
        # Indistinguishable from a case that does not exist.
        missing = _request(client, endpoint, case.pk + 10_000, people, kind, None)
        assert missing.status_code == 404
        assert response.json() == missing.json() == NOT_FOUND
        assert dict(response.headers).keys() == dict(missing.headers).keys()


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_list_search_and_duplicates(people, register, persona, kind):
    case = register(actor=getattr(people, KINDS[kind]),
                    names=[{"kind": "given", "value": "Zainab"},
                           {"kind": "family", "value": "Haddad"}])
    client = client_with_token(getattr(people, persona))
    visible = kind in VISIBLE.get(persona, set())

    for params in ({}, {"q": "Zainab Haddad"}, {"q": "عائشة"}, {"q": case.case_number},
                   {"q": "3201-1234-5678"}, {"status": "registration"}, {"risk": "high"}):
        response = client.get("/api/v1/cases/", params)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"items", "next_cursor"}  # no totals, no counts
        assert [item["id"] for item in body["items"]] == ([case.pk] if visible else []), params
        assert body["next_cursor"] is None

    duplicates = client.post("/api/v1/cases/duplicates/",
                             child_payload(names=[{"kind": "given", "value": "Zaynab"},
                                                  {"kind": "family", "value": "Hadad"}]),
                             format="json")
    assert duplicates.status_code == 200
    found = [item["public_id"] for item in duplicates.json()["items"]]
    assert found == ([str(case.child.public_id)] if visible else [])
    if not visible:
        assert case.case_number not in duplicates.content.decode()
        assert case.case_number not in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_register(people, persona):
    client = client_with_token(getattr(people, persona))
    response = client.post("/api/v1/cases/", {"child": child_payload()}, format="json")
    may = persona in ("caseworker", "other_caseworker", "supervisor", "outsider",
                      "outsider_supervisor", "health_worker", "police_officer")
    assert response.status_code == (201 if may else 403), response.content
    assert Case.objects.count() == (1 if may else 0)
