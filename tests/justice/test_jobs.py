"""The daily re-evaluation: it finds what became overdue, notifies the responsible users
once per new alert, and running it twice changes nothing the second time."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import Task
from bridgeway.justice import models as m
from bridgeway.justice import services
from bridgeway.justice.jobs import reevaluate_open_episodes, run_reevaluation
from tests.justice.conftest import ago, arrest_and_hold, episode_data, iso

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, Any]:
    return {
        "alerts": sorted(m.SafeguardAlert.objects.values_list(
            "case_id", "code", "subject", "status", "round", "notified_at")),
        "notifications": sorted(m.Notification.objects.values_list(
            "recipient_id", "alert_id", "round")),
        "tasks": sorted(Task.objects.values_list("case_id", "source_key", "status", "due_at")),
        "evaluations": sorted(m.SafeguardEvaluation.objects.values_list("case_id", "digest")),
    }


@pytest.fixture
def arrested(people: Any, justice_case: Any, jayapura: Any) -> Any:
    """Arrested 20 hours ago, in police custody since: every safeguard respected so far,
    but no appearance yet (due at 24 hours)."""
    arrest_and_hold(people, justice_case, jayapura, ago(hours=20))
    return justice_case


def test_job_finds_the_new_violation_and_notifies_once(people, arrested):
    assert not m.SafeguardAlert.objects.exists()
    later = ago(hours=-5)  # 25 hours after the arrest: the appearance is overdue

    first = run_reevaluation(now=later)
    alert = m.SafeguardAlert.objects.get()
    assert (alert.code, alert.status, alert.severity) == ("appearance_overdue", "open", "high")
    assert alert.notified_at == later
    recipients = set(m.Notification.objects.values_list("recipient__username", flat=True))
    # Assigned caseworker, the owning agency's supervisor, the involved police unit (no
    # supervisor there: its caseworker). Not the outsider, not the health worker.
    assert recipients == {"caseworker", "supervisor", "police_officer"}
    assert first["notifications"] == 3 and first["alerts_created"] == 1
    task = Task.objects.get(case=arrested, source_key__startswith="justice:appearance_due")
    assert task.status == "open"

    state = snapshot()
    second = run_reevaluation(now=later)
    assert snapshot() == state
    assert second["notifications"] == second["alerts_created"] == 0
    assert second["evaluations_written"] == second["tasks_created"] == 0


def test_job_run_twice_through_the_task_api_and_the_command(people, arrested, settings):
    settings.TASKS = {"default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = reevaluate_open_episodes.enqueue()
    assert result.return_value["cases"] == 1
    state = snapshot()
    out = io.StringIO()
    call_command("justice_reevaluate", stdout=out)
    assert json.loads(out.getvalue())["notifications"] == 0
    assert snapshot()["alerts"] == state["alerts"]
    assert snapshot()["notifications"] == state["notifications"]
    assert snapshot()["tasks"] == state["tasks"]
    assert AuditEntry.objects.filter(object_type="safeguard_reevaluation").count() == 2


def test_alert_resolves_when_the_appearance_is_recorded_late(people, justice_case,
                                                             jayapura):
    arrest = ago(hours=30)
    services.justice_event_record(actor=people.police_officer, case_id=justice_case.pk,
                                  data={"kind": "arrest", "at": iso(arrest),
                                        "parent_notified_at": iso(arrest)})
    services.detention_open(actor=people.police_officer, case_id=justice_case.pk,
                            data=episode_data(jayapura, arrest, kind="police_custody",
                                              commitment_order_ref="POLRES/CUSTODY/031"))
    alert = m.SafeguardAlert.objects.get()
    assert (alert.code, alert.status) == ("appearance_overdue", "open")
    notified = m.Notification.objects.count()
    assert notified == 3
    # Brought before a judge now, six hours late: the violation is over, not erased.
    services.justice_event_record(actor=people.police_officer, case_id=justice_case.pk,
                                  data={"kind": "first_appearance", "at": iso(ago(hours=0)),
                                        "legal_representation_present": "yes"})
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.until is not None
    assert alert.since == arrest + timedelta(hours=24)
    run_reevaluation()
    assert m.Notification.objects.count() == notified  # a resolution is not pushed
    task = Task.objects.get(case=justice_case,
                            source_key__startswith="justice:appearance_due")
    assert task.status == "done"


def test_a_reopened_alert_is_notified_again_once(people, justice_case, jakarta):
    episode = services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jakarta, ago(days=2), separated_from_adults="no"))
    alert = m.SafeguardAlert.objects.get(code="held_with_adults")
    assert alert.notified_at is not None and alert.round == 1
    n = m.Notification.objects.filter(alert=alert).count()
    services.detention_correct(actor=people.caseworker, episode_id=episode.pk,
                               expected_version=1, changes={"separated_from_adults": "yes"},
                               reason="moved to the children's wing")
    services.detention_correct(actor=people.caseworker, episode_id=episode.pk,
                               expected_version=2, changes={"separated_from_adults": "no"},
                               reason="the wing was closed again")
    alert.refresh_from_db()
    assert alert.status == "open" and alert.round == 2
    assert m.Notification.objects.filter(alert=alert).count() == 2 * n
    run_reevaluation()
    assert m.Notification.objects.filter(alert=alert).count() == 2 * n


def test_job_ignores_closed_matters_and_needs_no_work_for_them(people, justice_case, jakarta):
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jakarta, ago(days=10),
                                              released_at=iso(ago(days=9))))
    evaluation = m.SafeguardEvaluation.objects.get(case=justice_case)
    assert not evaluation.needs_attention
    assert run_reevaluation()["cases"] == 0


def test_job_picks_up_unmet_deadlines_after_release(people, justice_case, jayapura):
    """Released, but the parents were never told of the arrest: that stays overdue, so the
    case stays on the job's list."""
    services.justice_event_record(actor=people.caseworker, case_id=justice_case.pk,
                                  data={"kind": "arrest", "at": iso(ago(hours=50))})
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jayapura, ago(hours=50), kind="police_custody",
                                              commitment_order_ref="POLRES/CUSTODY/032",
                                              family_notified_at=None,
                                              released_at=iso(ago(hours=40))))
    evaluation = m.SafeguardEvaluation.objects.get(case=justice_case)
    assert evaluation.needs_attention
    assert run_reevaluation()["cases"] == 1


def test_tasks_follow_the_next_review(people, justice_case, jakarta):
    admitted = ago(days=20)
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jakarta, admitted))
    review_tasks = Task.objects.filter(case=justice_case,
                                       source_key__startswith="justice:pretrial_review_due")
    assert review_tasks.get().due_at == admitted + timedelta(days=14)
    hearing = ago(days=1)
    services.justice_event_record(actor=people.caseworker, case_id=justice_case.pk,
                                  data={"kind": "hearing", "at": iso(hearing),
                                        "reviews_detention": "yes",
                                        "legal_representation_present": "yes"})
    run_reevaluation()
    # The late first review is no longer waiting; the next one is due 14 days after it.
    task = review_tasks.get()
    assert task.status == "open" and task.due_at == hearing + timedelta(days=14)



def test_an_ongoing_violation_is_a_task_until_it_is_resolved(people, justice_case, jakarta):
    """A violation that is not a missed deadline (here: held with adults, no reason given)
    becomes a task on the case at once; the daily job keeps one; correcting the register
    closes it."""
    admitted = ago(days=2)
    episode = services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jakarta, admitted, separated_from_adults="no"))
    tasks = Task.objects.filter(case=justice_case,
                                source_key__startswith="justice:held_with_adults")
    task = tasks.get()
    assert task.status == "open" and task.due_at == admitted
    run_reevaluation()
    assert tasks.get().pk == task.pk and tasks.get().status == "open"
    services.detention_correct(actor=people.caseworker, episode_id=episode.pk,
                               expected_version=1, changes={"separated_from_adults": "yes"},
                               reason="the register was wrong: separate wing since admission")
    assert tasks.get().status == "done"
    run_reevaluation()
    assert tasks.get().status == "done"
