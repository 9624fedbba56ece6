"""Audit completeness, API half: every endpoint that touches child data leaves its audit
entries, written through the API channel, naming the user, the record and the action."""

from __future__ import annotations

from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.audit.services import audit_verify
from bridgeway.cases.models import Case
from tests.api.conftest import client_with_token
from tests.conftest import child_payload

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


class Recorder:
    """Runs one request and returns the audit entries it appended."""

    def __init__(self) -> None:
        self.last = self._head()

    @staticmethod
    def _head() -> int:
        entry = AuditEntry.objects.order_by("-seq").first()
        return entry.seq if entry else 0

    def __call__(self, response: Any, status: int) -> list[AuditEntry]:
        assert response.status_code == status, response.content
        entries = list(AuditEntry.objects.filter(seq__gt=self.last).order_by("seq"))
        self.last = self._head()
        return entries


def _summary(entries: list[AuditEntry]) -> list[tuple[str, str]]:
    return [(e.action, e.object_type) for e in entries]


def test_every_child_data_endpoint_is_audited_through_the_api_channel(people, register):
    worker, supervisor = client_with_token(people.caseworker), client_with_token(
        people.supervisor)
    record = Recorder()

    created = worker.post(CASES, {"child": child_payload(), "case": {"risk_level": "high"}},
                          format="json")
    entries = record(created, 201)
    assert _summary(entries) == [("create", "child"), ("create", "case")]
    case = Case.objects.get(pk=created.json()["id"])
    url = f"{CASES}{case.pk}/"

    steps: list[tuple[str, Any, int, list[tuple[str, str]]]] = [
        ("list", lambda: worker.get(CASES), 200, [("list", "case")]),
        ("search", lambda: worker.get(CASES, {"q": "عائشة"}), 200, [("search", "case")]),
        ("duplicates", lambda: worker.post(CASES + "duplicates/", child_payload(),
                                           format="json"), 200, [("search", "child")]),
        ("detail", lambda: worker.get(url), 200, [("view", "case")]),
        ("patch", lambda: worker.patch(url, {"version": 1, "risk_level": "low"},
                                       format="json"), 200, [("update", "case")]),
        ("put child", lambda: worker.put(url + "child/", {**child_payload(), "version": 1},
                                         format="json"), 200, [("update", "child")]),
        ("note", lambda: worker.post(url + "notes/", {"body": "Visit."}, format="json"),
         201, [("note", "case_note")]),
        ("status", lambda: worker.post(url + "status/", {"status": "assessment",
                                                         "version": 2}, format="json"),
         200, [("status", "case")]),
        ("closure", lambda: worker.post(url + "closure/", {"reason": "goals_met"},
                                        format="json"), 200, [("close_request", "case")]),
        ("return", lambda: supervisor.post(url + "closure/decision/",
                                           {"decision": "return", "comment": "Not yet."},
                                           format="json"), 200, [("close_reject", "case")]),
        ("closure again", lambda: worker.post(url + "closure/", {"reason": "goals_met"},
                                              format="json"), 200,
         [("close_request", "case")]),
        ("approve", lambda: supervisor.post(url + "closure/decision/",
                                            {"decision": "approve"}, format="json"), 200,
         [("close_approve", "case")]),
        ("reopen", lambda: supervisor.post(url + "reopen/", {"reason": "New concerns."},
                                           format="json"), 200, [("reopen", "case")]),
        ("assign", lambda: supervisor.post(url + "assign/",
                                           {"assigned_to": people.other_caseworker.pk},
                                           format="json"), 200, [("assign", "case")]),
    ]
    for name, call, status, expected in steps:
        entries = record(call(), status)
        assert _summary(entries) == expected, name
        for entry in entries:
            assert entry.channel == "api", name
            assert entry.ip == "127.0.0.1", name
            assert entry.actor_username in ("caseworker", "supervisor"), name
            assert entry.agency_code == "agency-a", name
            if name not in ("list", "search", "duplicates"):
                assert (entry.case_id, entry.child_id) == (case.pk, case.child_id), name

    assert audit_verify(record=False).ok


def test_list_and_duplicate_entries_name_what_was_returned(people, register):
    case = register()
    client = client_with_token(people.caseworker)
    record = Recorder()
    [listed] = record(client.get(CASES, {"risk": "high"}), 200)
    assert listed.detail["case_ids"] == [case.pk]
    assert listed.detail["filters"] == {"risk": "high"}
    [checked] = record(client.post(CASES + "duplicates/", child_payload(), format="json"),
                       200)
    assert checked.detail == {"purpose": "duplicate_check", "child_ids": [case.child_id]}


def test_users_without_records_are_audited_too_and_see_nothing(people, register):
    register()
    analyst = client_with_token(people.analyst)  # issuing the token is audited too
    record = Recorder()
    [entry] = record(analyst.get(CASES), 200)
    assert (entry.action, entry.actor_username, entry.detail["case_ids"]) == (
        "list", "analyst", [])


def test_refused_requests_record_no_access_and_change_nothing(people, register):
    case = register()
    outsider = client_with_token(people.outsider)
    record = Recorder()
    granted = {"view", "update", "create", "note"}
    entries = record(outsider.get(f"{CASES}{case.pk}/"), 404)
    entries += record(outsider.patch(f"{CASES}{case.pk}/", {"version": 1, "risk_level": "low"},
                                     format="json"), 404)
    entries += record(client_with_token(people.caseworker).post(
        CASES, {"child": child_payload(names=[])}, format="json"), 400)
    assert not [e for e in entries if e.action in granted]
    assert Case.objects.get(pk=case.pk).version == 1


def test_an_edit_over_a_stale_version_is_audited_on_its_own(people, register):
    """409 on PATCH (and on the step change): one conflict entry naming the versions and
    the fields tried (never their values), through the API channel; nothing else changes
    and nothing else is written."""
    case = register()
    worker, supervisor = client_with_token(people.caseworker), client_with_token(
        people.supervisor)
    url = f"{CASES}{case.pk}/"
    record = Recorder()
    assert _summary(record(worker.patch(url, {"version": 1, "risk_level": "low"},
                                        format="json"), 200)) == [("update", "case")]

    [entry] = record(supervisor.patch(url, {"version": 1, "risk_level": "none",
                                            "alleged_offence": "Overwrite attempt"},
                                      format="json"), 409)
    assert (entry.action, entry.object_type, entry.object_id) == (
        "conflict", "case", case.case_number)
    assert (entry.case_id, entry.child_id, entry.channel) == (case.pk, case.child_id, "api")
    assert entry.actor_username == "supervisor"
    assert entry.detail == {"expected": 1, "current": 2,
                            "fields": ["alleged_offence", "risk_level"]}
    assert "Overwrite attempt" not in str(entry.detail)

    [step] = record(supervisor.post(url + "status/", {"status": "assessment", "version": 1},
                                    format="json"), 409)
    assert (step.action, step.detail) == ("conflict", {"expected": 1, "current": 2,
                                                       "status": "assessment"})
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.version, fresh.risk_level, fresh.status, fresh.alleged_offence) == (
        2, "low", "registration", "")
    assert audit_verify(record=False).ok
