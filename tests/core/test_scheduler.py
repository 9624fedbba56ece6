"""The daily scheduler: each job once a day from the configured hour, failures recorded
and retried a bounded number of times, two schedulers never run a job twice a day."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from bridgeway.core import scheduler
from bridgeway.core.errors import ValidationFailed
from bridgeway.core.models import DailyJobRun
from bridgeway.justice import models as justice_models

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)


class Recorder:
    """Runs the real command unless told to fail; remembers what ran."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.ran: list[str] = []
        self.failing = failing or set()

    def __call__(self, job: str, out: io.StringIO) -> None:
        self.ran.append(job)
        if job in self.failing:
            raise RuntimeError(f"{job} broke")
        scheduler._run_command(job, out)


def test_every_job_runs_once_a_day_from_the_configured_hour(people: Any, settings: Any) -> None:
    settings.BRIDGEWAY_DAILY_JOBS_HOUR = 1
    rec = Recorder()
    early = scheduler.run_due_jobs(now=MORNING.replace(hour=0), runner=rec)
    assert {o.status for o in early} == {"not_due"} and rec.ran == []

    first = scheduler.run_due_jobs(now=MORNING, runner=rec)
    assert [o.job for o in first] == settings.BRIDGEWAY_DAILY_JOBS
    assert all(o.ran and o.status == "ok" for o in first), first
    # The real jobs ran: the safeguards job wrote its audit entry, the runs are recorded.
    assert DailyJobRun.objects.filter(day=MORNING.date(), status="ok").count() == len(first)
    assert justice_models.RetentionRun.objects.exists()

    again = scheduler.run_due_jobs(now=MORNING + timedelta(hours=5), runner=rec)
    assert {o.status for o in again} == {"done_today"}
    assert len(rec.ran) == len(first)

    next_day = scheduler.run_due_jobs(now=MORNING + timedelta(days=1), runner=rec)
    assert all(o.status == "ok" for o in next_day)
    assert DailyJobRun.objects.count() == 2 * len(first)


def test_a_failing_job_is_recorded_does_not_stop_the_others_and_is_retried(
        people: Any, settings: Any) -> None:
    settings.BRIDGEWAY_DAILY_JOBS = ["care_sweep", "referrals_sweep"]
    rec = Recorder(failing={"care_sweep"})
    outcomes = {o.job: o.status for o in scheduler.run_due_jobs(now=MORNING, runner=rec)}
    assert outcomes == {"care_sweep": "failed", "referrals_sweep": "ok"}
    failed = DailyJobRun.objects.get(job="care_sweep")
    assert failed.status == "failed" and "RuntimeError: care_sweep broke" in failed.output

    for attempt in range(2, scheduler.MAX_ATTEMPTS + 1):
        scheduler.run_due_jobs(now=MORNING + timedelta(minutes=attempt), runner=rec)
        assert DailyJobRun.objects.get(job="care_sweep").attempts == attempt
    gave_up = scheduler.run_due_jobs(now=MORNING + timedelta(hours=1), runner=rec)
    assert {o.job: o.status for o in gave_up}["care_sweep"] == "gave_up"
    assert rec.ran.count("care_sweep") == scheduler.MAX_ATTEMPTS

    rec.failing.clear()  # fixed by the next day
    tomorrow = scheduler.run_due_jobs(now=MORNING + timedelta(days=1), runner=rec)
    assert {o.status for o in tomorrow} == {"ok"}


def test_a_run_held_by_another_scheduler_is_left_alone_unless_stale(people: Any,
                                                                     settings: Any) -> None:
    settings.BRIDGEWAY_DAILY_JOBS = ["care_sweep"]
    DailyJobRun.objects.create(job="care_sweep", day=MORNING.date(), status="running",
                               started_at=MORNING)
    rec = Recorder()
    busy = scheduler.run_due_jobs(now=MORNING + timedelta(hours=1), runner=rec)
    assert busy[0].status == "running_elsewhere" and rec.ran == []
    # A process killed mid-run leaves "running" behind: after STALE_AFTER it is retried.
    later = MORNING + scheduler.STALE_AFTER + timedelta(minutes=1)
    retried = scheduler.run_due_jobs(now=later, runner=rec)
    assert retried[0].status == "ok" and rec.ran == ["care_sweep"]
    assert DailyJobRun.objects.get().attempts == 2


@pytest.mark.parametrize(("jobs", "hour", "message"), [
    (["justice_reevaluate", "no_such_job"], 1, "Not a management command: no_such_job"),
    (["care_sweep", "care_sweep"], 1, "listed twice"),
    (["care_sweep"], 24, "between 0 and 23"),
])
def test_a_bad_schedule_is_refused_and_nothing_runs(people: Any, settings: Any, jobs: list[str],
                                                    hour: int, message: str) -> None:
    settings.BRIDGEWAY_DAILY_JOBS, settings.BRIDGEWAY_DAILY_JOBS_HOUR = jobs, hour
    rec = Recorder()
    with pytest.raises(ValidationFailed, match=message):
        scheduler.run_due_jobs(now=MORNING, runner=rec)
    with pytest.raises(CommandError, match=message):
        call_command("scheduler", "--once", stdout=io.StringIO())
    assert rec.ran == [] and not DailyJobRun.objects.exists()


def test_the_command_runs_due_jobs_once_and_reports(people: Any, settings: Any) -> None:
    settings.BRIDGEWAY_DAILY_JOBS = ["care_sweep", "referrals_sweep"]
    settings.BRIDGEWAY_DAILY_JOBS_HOUR = 0
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert out.getvalue().splitlines() == ["care_sweep: ok", "referrals_sweep: ok"]
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert out.getvalue().splitlines() == ["care_sweep: done_today", "referrals_sweep: done_today"]
    with pytest.raises(CommandError, match="interval"):
        call_command("scheduler", "--interval", "0", stdout=io.StringIO())
