"""Audit review: the auditor's log filtered by user, child, case, action, date and
break-glass (its own entries and everything done under it); the break-glass uses to
review; the daily integrity check of the hash chain (task, command, the check's row, the
auditors told when it fails) and the latest checks shown to auditors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from bridgeway.audit.jobs import audit_daily_check, audit_integrity_check
from bridgeway.audit.models import AuditEntry, IntegrityCheck
from bridgeway.audit.selectors import AuditFilters, audit_log
from bridgeway.cases.selectors import case_detail
from bridgeway.core.errors import NotAllowed, ValidationFailed
from bridgeway.referrals import services as svc
from bridgeway.referrals.models import Notification
from tests.audit.test_chain import _without_triggers
from tests.referrals.conftest import Clock

pytestmark = pytest.mark.django_db
REASON = "Child brought unconscious to our emergency unit; need known allergies."


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def sensitive_case(people, register):
    """A case of agency A that agency B's supervisor may open only by breaking the glass."""
    return register(actor=people.caseworker)


@pytest.fixture
def auditor_client(people) -> Client:
    client = Client()
    client.force_login(people.auditor)
    return client


def seqs(filters: dict, actor) -> set[int]:
    page = audit_log(actor=actor, filters=AuditFilters.from_params(filters))
    return {e.seq for e in page.entries if e.action != "audit_view"}


def test_break_glass_filter_keeps_its_entries_and_what_was_done_under_it(
        people, register, sensitive_case, clock):
    other = register(actor=people.outsider_supervisor, names=[
        {"kind": "given", "value": "Lain"}])
    case_detail(actor=people.supervisor, case_id=sensitive_case.pk)  # before: not glass
    use = svc.break_glass_open(actor=people.outsider_supervisor, case_id=sensitive_case.pk,
                               reason=REASON)
    opened = AuditEntry.objects.get(action="break_glass")
    case_detail(actor=people.outsider_supervisor, case_id=sensitive_case.pk)
    under = AuditEntry.objects.order_by("-seq").first()
    case_detail(actor=people.outsider_supervisor, case_id=other.pk)  # own case: not glass
    own = AuditEntry.objects.order_by("-seq").first()
    case_detail(actor=people.supervisor, case_id=sensitive_case.pk)  # the owner, same time
    owner = AuditEntry.objects.order_by("-seq").first()
    svc.break_glass_end(actor=people.outsider_supervisor, break_glass_id=use.pk)
    ended = AuditEntry.objects.order_by("-seq").first()
    clock.advance(minutes=1)
    found = seqs({"break_glass": "1"}, people.auditor)
    assert found == {opened.seq, under.seq, ended.seq}
    assert not found & {own.seq, owner.seq}
    # combined with the other filters
    assert seqs({"break_glass": "1", "action": "view"}, people.auditor) == {under.seq}
    assert seqs({"break_glass": "on", "user": "supervisor"}, people.auditor) == set()
    assert seqs({"break_glass": "1", "case_id": str(other.pk)}, people.auditor) == set()
    assert seqs({"break_glass": "1", "child_id": str(sensitive_case.child_id)},
                people.auditor) >= {opened.seq, under.seq}


def test_access_after_expiry_is_not_counted_as_under_break_glass(people, sensitive_case,
                                                                 clock):
    svc.break_glass_open(actor=people.outsider_supervisor, case_id=sensitive_case.pk,
                         reason=REASON)
    clock.advance(hours=3, minutes=1)
    # a later entry by the same user on the same case (e.g. a refused attempt logged by
    # another channel) falls outside the window
    from bridgeway.audit.services import audit_record

    late = audit_record(actor=people.outsider_supervisor, action="view", object_type="case",
                        case_id=sensitive_case.pk, child_id=sensitive_case.child_id)
    assert late.seq not in seqs({"break_glass": "1"}, people.auditor)


def test_filters_by_user_child_case_action_and_date(people, register):
    first = register(actor=people.caseworker)
    second = register(actor=people.supervisor, names=[{"kind": "given", "value": "Lain"}])
    case_detail(actor=people.supervisor, case_id=first.pk)
    everything = seqs({}, people.auditor)
    by_user = seqs({"user": "supervisor"}, people.auditor)
    assert by_user and by_user < everything
    assert all(e.actor_username == "supervisor" for e in AuditEntry.objects.filter(
        seq__in=by_user))
    by_case = seqs({"case_id": str(second.pk)}, people.auditor)
    assert by_case and all(e.case_id == second.pk for e in AuditEntry.objects.filter(
        seq__in=by_case))
    by_child = seqs({"child_id": str(first.child_id)}, people.auditor)
    assert by_child and not by_child & by_case
    views = seqs({"action": "view"}, people.auditor)
    assert {e.action for e in AuditEntry.objects.filter(seq__in=views)} == {"view"}
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert seqs({"date_from": tomorrow}, people.auditor) == set()
    for bad in ({"action": "peek"}, {"child_id": "x"}, {"date_to": "2020-13-01"}):
        with pytest.raises(ValidationFailed):
            AuditFilters.from_params(bad)
    with pytest.raises(NotAllowed):
        audit_log(actor=people.supervisor, filters=AuditFilters())


def test_audit_page_has_the_filter_the_review_list_and_the_checks(
        people, sensitive_case, auditor_client, client):
    use = svc.break_glass_open(actor=people.outsider_supervisor, case_id=sensitive_case.pk,
                               reason=REASON)
    audit_integrity_check()
    page = auditor_client.get("/audit/", {"break_glass": "1"})
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="break_glass" type="checkbox" value="1" checked' in body
    assert 'id="break-glass-review"' in body and f'id="bg-{use.pk}"' in body
    assert REASON in body
    assert 'id="integrity-checks"' in body and "intact" in body
    rows = body.split("<tbody>")[1].split("</tbody>")[0]
    assert "<td>break_glass</td>" in rows
    assert "<td>audit_view</td>" not in rows  # filtered out, though this reading is logged
    reviewed = auditor_client.post(f"/sharing/break-glass/{use.pk}/review/",
                                   {"note": "Justified.", "next": "/audit/"})
    assert reviewed.status_code == 302 and reviewed["Location"] == "/audit/"
    assert f'id="bg-{use.pk}"' not in auditor_client.get("/audit/").content.decode()
    client.force_login(people.supervisor)
    assert client.get("/audit/").status_code == 403


def test_daily_check_records_a_row_each_run(people):
    svc.notification_send(recipients=[people.caseworker], kind="x", message="hello")
    from bridgeway.audit.services import audit_record

    audit_record(actor=people.caseworker, action="view", object_type="case")
    result = audit_daily_check.call()
    assert result["ok"] is True and result["checked"] >= 1
    again = audit_integrity_check()
    assert again.ok
    assert list(IntegrityCheck.objects.values_list("ok", flat=True)) == [True, True]
    assert not Notification.objects.filter(kind="audit_chain_broken").exists()


def test_broken_chain_notifies_every_auditor_and_fails_the_command(people, settings):
    from bridgeway.accounts.models import User
    from bridgeway.audit.services import audit_record

    second = User.objects.create_user(username="auditor2", password="pw-a2", role="auditor")
    User.objects.create_user(username="auditor3", password="pw-a3", role="auditor",
                             is_active=False)
    for i in range(4):
        audit_record(actor=people.caseworker, action="view", object_type="case",
                     object_id=str(i))
    _without_triggers("UPDATE audit_auditentry SET reason = 'edited' WHERE seq = 2")
    settings.TASKS = {"default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = audit_daily_check.enqueue()
    assert result.return_value["ok"] is False and result.return_value["first_bad_seq"] == 2
    check = IntegrityCheck.objects.order_by("-at", "-id").first()
    assert (check.ok, check.first_bad_seq) == (False, 2)
    told = Notification.objects.filter(kind="audit_chain_broken")
    assert {n.recipient for n in told} == {people.auditor, second}
    assert all("#2" in n.message for n in told)
    with pytest.raises(CommandError, match="BROKEN at #2"):
        call_command("audit_daily_check")
    assert IntegrityCheck.objects.filter(ok=False).count() == 2


def test_command_reports_ok_and_can_enqueue(people, capsys):
    call_command("audit_daily_check")
    assert "OK:" in capsys.readouterr().out
    assert IntegrityCheck.objects.filter(ok=True).count() == 1
    call_command("audit_daily_check", "--enqueue")
    assert "enqueued task" in capsys.readouterr().out
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path__endswith="audit_daily_check").exists()
