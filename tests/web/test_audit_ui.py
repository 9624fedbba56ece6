"""Audit completeness for the web interface (every page that touches child data leaves its
entries, with the case it concerns), and the auditor's audit-log page."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from django.test import Client
from django.urls import reverse

from bridgeway.accounts.models import User
from bridgeway.audit.models import AuditEntry
from bridgeway.audit.services import audit_record, audit_verify
from bridgeway.cases.models import Case
from bridgeway.cases.services import case_decide_closure
from bridgeway.web import fields
from tests.web.test_register import form as register_form

pytestmark = pytest.mark.django_db
AUDIT = reverse("web:audit_log")


class Recorder:
    """What one request added to the audit log."""

    def __init__(self) -> None:
        self.seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    def new(self) -> list[AuditEntry]:
        entries = list(AuditEntry.objects.filter(seq__gt=self.seq).order_by("seq"))
        if entries:
            self.seq = entries[-1].seq
        return entries


def step(recorder: Recorder, response, status: int, user, *expected: tuple[str, int | None]):
    assert response.status_code == status, response.content.decode()[:500]
    entries = recorder.new()
    got = [(e.action, e.case_id) for e in entries]
    for item in expected:
        assert item in got, (item, got)
    for e in entries:
        assert e.actor_id == user.pk and e.channel == "web" and e.ip == "127.0.0.1"
    return entries


def test_every_page_that_touches_child_data_is_audited(people, register, login):
    case = register(actor=people.supervisor)
    sup = people.supervisor
    client = login(sup)
    rec = Recorder()

    def url(name: str) -> str:
        return reverse(f"web:{name}", args=[case.pk])

    listed = step(rec, client.get(reverse("web:case_list")), 200, sup, ("list", None))
    assert listed[0].detail["case_ids"] == [case.pk]
    step(rec, client.get(reverse("web:case_list"), {"q": "Aisyah"}), 200, sup, ("search", None))
    step(rec, client.get(reverse("web:case_list"), {"q": "Aisyah"}, HTTP_HX_REQUEST="true"),
         200, sup, ("search", None))
    step(rec, client.get(url("case_detail")), 200, sup, ("view", case.pk))
    step(rec, client.get(url("case_edit")), 200, sup, ("view", case.pk))

    current = Case.objects.get(pk=case.pk)
    data = fields.child_values(current.child) | fields.case_values(current)
    data.update({"child_version": "1", "case_version": "1", "names[0].value": "Aisya",
                 "case.risk_level": "low"})
    updates = step(rec, client.post(url("case_edit"), data), 302, sup,
                   ("update", case.pk))
    assert {e.object_type for e in updates if e.action == "update"} == {"child", "case"}
    data["case.risk_level"] = "high"  # the same stale form, changed again
    step(rec, client.post(url("case_edit"), data), 409, sup, ("conflict", case.pk))
    step(rec, client.post(url("case_note"), {"body": "Home visit"}), 302, sup,
         ("note", case.pk))
    step(rec, client.post(url("case_note"), {"body": ""}), 400, sup, ("view", case.pk))
    version = Case.objects.get(pk=case.pk).version
    step(rec, client.post(url("case_status"), {"status": "assessment", "version": version}),
         302, sup, ("status", case.pk))
    step(rec, client.post(url("case_assign"), {"user_id": people.caseworker.pk}), 302, sup,
         ("assign", case.pk))
    step(rec, client.post(url("case_closure_request"), {"reason": "moved"}), 302, sup,
         ("close_request", case.pk))
    # Four eyes: a supervisor's own closure request is decided by another supervisor; the
    # refusal is audited.
    step(rec, client.post(url("case_closure_decide"), {"decision": "approve"}), 403, sup,
         ("refused", case.pk))
    second = User.objects.create_user(username="second_supervisor", agency=people.agency_a,
                                      role="supervisor", password="pw-second_supervisor")
    case_decide_closure(actor=second, case_id=case.pk, approve=False, comment="Not yet")
    worker, caseworker = Client(), people.caseworker
    worker.force_login(caseworker)
    rec.new()  # the other supervisor's decision and the caseworker's login
    step(rec, worker.post(url("case_closure_request"), {"reason": "moved"}), 302, caseworker,
         ("close_request", case.pk))
    step(rec, client.post(url("case_closure_decide"), {"decision": "return",
                                                       "comment": "Not yet"}),
         302, sup, ("close_reject", case.pk))
    step(rec, worker.post(url("case_closure_request"), {"reason": "moved"}), 302, caseworker,
         ("close_request", case.pk))
    step(rec, client.post(url("case_closure_decide"), {"decision": "approve"}), 302, sup,
         ("close_approve", case.pk))
    step(rec, client.post(url("case_reopen"), {"reason": "New concern"}), 302, sup,
         ("reopen", case.pk))
    reopened = [e for e in AuditEntry.objects.filter(action="reopen")]
    assert reopened[-1].reason == "New concern"

    # Registration: the duplicate check is a search; the confirmation creates child + case.
    new = register_form(**{"names[0].value": "Karim", "names[1].value": "Haddad",
                           "aliases[0].value": "", "aliases[0].latin": ""})
    checked = step(rec, client.post(reverse("web:register"), new), 200, sup, ("search", None))
    assert checked[0].detail["purpose"] == "duplicate_check"
    created = step(rec, client.post(reverse("web:register"), dict(
        new, confirm="1", checked=client.post(reverse("web:register"), new).context["checked"])),
        302, sup)
    new_case = Case.objects.latest("id")
    assert {(e.action, e.object_type) for e in created} >= {("create", "child"),
                                                            ("create", "case")}
    assert ("create", new_case.pk) in [(e.action, e.case_id) for e in created]
    assert audit_verify(record=False).ok


def test_sign_in_and_out_are_audited(people):
    client, rec = Client(), Recorder()
    client.post(reverse("web:login"), {"username": "supervisor", "password": "pw-supervisor"})
    client.post(reverse("web:logout"))
    client.post(reverse("web:login"), {"username": "supervisor", "password": "nope"})
    assert [e.action for e in rec.new()] == ["login", "logout", "login_failed"]


def test_auditor_reads_the_log_and_the_reading_is_logged(people, register, login):
    case = register()
    client = login(people.auditor)
    response = client.get(AUDIT)
    assert response.status_code == 200
    body = response.content.decode()
    assert case.case_number in body and "create" in body
    viewing = AuditEntry.objects.filter(action="audit_view", actor=people.auditor).get()
    assert response.context["page"].entries[0].seq == viewing.seq  # newest first


@pytest.mark.parametrize("params,expect", [
    ({"user": "supervisor"}, lambda e: e.actor_username == "supervisor"),
    ({"action": "create"}, lambda e: e.action == "create"),
    ({"case_id": "CASE"}, lambda e: e.case_id is not None),
    ({"child_id": "CHILD"}, lambda e: e.child_id is not None),
    ({"date_from": "TODAY", "date_to": "TODAY"}, lambda e: True),
])
def test_audit_log_filters(people, register, login, params, expect):
    first = register()
    register(actor=people.supervisor, names=[{"kind": "given", "value": "Omar"}])
    values = {k: v.replace("CASE", str(first.pk)).replace("CHILD", str(first.child_id))
              .replace("TODAY", date.today().isoformat()) for k, v in params.items()}
    page = login(people.auditor).get(AUDIT, values).context["page"]
    assert page.entries
    for entry in page.entries:
        assert expect(entry), entry
        if "case_id" in values:
            assert entry.case_id == first.pk
        if "child_id" in values:
            assert entry.child_id == first.child_id


def test_audit_log_dates_in_the_past_show_nothing(people, register, login):
    register()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    page = login(people.auditor).get(AUDIT, {"date_to": yesterday}).context["page"]
    assert page.entries == []


@pytest.mark.parametrize("params", [{"case_id": "abc"}, {"action": "steal"},
                                    {"date_from": "2024-13-01"},
                                    {"date_from": "2024-05-02", "date_to": "2024-05-01"}])
def test_audit_log_bad_filters_show_an_error_and_no_entries(people, login, params):
    response = login(people.auditor).get(AUDIT, params)
    assert response.status_code == 400 and response.context["page"] is None


def test_audit_log_pages_backwards_without_gaps(people, login):
    for i in range(60):
        audit_record(actor=people.caseworker, action="view", object_type="case",
                     object_id=f"BW-2026-{i:06d}", case_id=i + 1)
    client = login(people.auditor)
    first = client.get(AUDIT)
    page1 = first.context["page"].entries
    assert len(page1) == 50 and first.context["next_url"]
    page2 = client.get(AUDIT + first.context["next_url"]).context["page"].entries
    assert page2 and page2[0].seq == page1[-1].seq - 1
    assert all(a.seq > b.seq for a, b in pairwise(page2))


@pytest.mark.parametrize("persona", ["caseworker", "supervisor", "analyst", "sysadmin",
                                     "agency_admin", "outsider"])
def test_only_auditors_read_the_audit_log(people, login, persona):
    response = login(getattr(people, persona)).get(AUDIT, {"case_id": "x"})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="audit_view").exists()
