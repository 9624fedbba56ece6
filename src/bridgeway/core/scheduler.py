"""The daily jobs, run once a day each: safeguards re-evaluation, care and referral
deadlines, the audit chain check, retention.

``manage.py scheduler`` runs the jobs that are due and exits (``--once``, for cron or a
Kubernetes CronJob every few minutes) or keeps running and checks every minute (a
long-lived process beside the web server). A job is due once it is past
``BRIDGEWAY_DAILY_JOBS_HOUR`` (UTC) and it has not run that day. One ``DailyJobRun`` row
per job and day, created before the job starts, keeps two schedulers from running a job
twice the same day. A failed job is tried again at the next check, at most
``MAX_ATTEMPTS`` times a day; a run left "running" by a killed process for longer than
``STALE_AFTER`` counts as failed. Every job is itself idempotent, so a second run the same
day would change nothing — the row only saves the work.

Hand-written on purpose: django-tasks (the queue the jobs can also be sent to) has no
periodic schedule, and Celery beat or APScheduler would bring a broker or a second job
store for five lines of "once a day".
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import IntegrityError, transaction
from django.utils import timezone

from bridgeway.core.errors import ValidationFailed
from bridgeway.core.models import DailyJobRun, DailyJobStatus

log = logging.getLogger("bridgeway.scheduler")

MAX_ATTEMPTS = 3
STALE_AFTER = timedelta(hours=6)
OUTPUT_LIMIT = 4000

Runner = Callable[[str, io.StringIO], None]


@dataclass(frozen=True)
class Outcome:
    job: str
    ran: bool
    status: str  # ok | failed | not_due | done_today | running_elsewhere | gave_up


def configured_jobs() -> list[str]:
    """The daily jobs from settings, checked: each must be a management command."""
    jobs = list(settings.BRIDGEWAY_DAILY_JOBS)
    known = get_commands()
    unknown = [j for j in jobs if j not in known]
    if unknown:
        raise ValidationFailed.single(
            "BRIDGEWAY_DAILY_JOBS", f"Not a management command: {', '.join(unknown)}.")
    if len(set(jobs)) != len(jobs):
        raise ValidationFailed.single("BRIDGEWAY_DAILY_JOBS", "A job is listed twice.")
    if not 0 <= settings.BRIDGEWAY_DAILY_JOBS_HOUR <= 23:
        raise ValidationFailed.single("BRIDGEWAY_DAILY_JOBS_HOUR",
                                      "The hour must be between 0 and 23 (UTC).")
    return jobs


def _run_command(job: str, out: io.StringIO) -> None:
    call_command(job, stdout=out, stderr=out)


def _claim(job: str, now: datetime) -> tuple[DailyJobRun | None, str]:
    """Take today's run of ``job`` for this process, or say why not."""
    day = now.date()
    try:
        with transaction.atomic():
            return DailyJobRun.objects.create(job=job, day=day, status=DailyJobStatus.RUNNING,
                                              started_at=now), "claimed"
    except IntegrityError:
        pass
    with transaction.atomic():
        run = DailyJobRun.objects.select_for_update().get(job=job, day=day)
        if run.status == DailyJobStatus.OK:
            return None, "done_today"
        if run.status == DailyJobStatus.RUNNING and now - run.started_at < STALE_AFTER:
            return None, "running_elsewhere"
        if run.attempts >= MAX_ATTEMPTS:
            return None, "gave_up"
        run.status, run.started_at, run.finished_at = DailyJobStatus.RUNNING, now, None
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "finished_at", "attempts"])
        return run, "claimed"


def run_due_jobs(*, now: datetime | None = None, jobs: Sequence[str] | None = None,
                 runner: Runner = _run_command) -> list[Outcome]:
    """Run every configured job that is due now, one after the other; return what each
    did. A job's failure is recorded and does not stop the others."""
    now = now or timezone.now()
    jobs = configured_jobs() if jobs is None else list(jobs)
    outcomes = []
    for job in jobs:
        if now.hour < settings.BRIDGEWAY_DAILY_JOBS_HOUR:
            outcomes.append(Outcome(job, False, "not_due"))
            continue
        run, why = _claim(job, now)
        if run is None:
            outcomes.append(Outcome(job, False, why))
            continue
        out = io.StringIO()
        try:
            runner(job, out)
        except Exception as exc:  # recorded; the next job still runs
            log.exception("daily job %s failed", job)
            run.status = DailyJobStatus.FAILED
            run.output = f"{out.getvalue()}\n{type(exc).__name__}: {exc}"[-OUTPUT_LIMIT:]
        else:
            run.status = DailyJobStatus.OK
            run.output = out.getvalue()[-OUTPUT_LIMIT:]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "output", "finished_at"])
        outcomes.append(Outcome(job, True, str(run.status)))
    return outcomes


def last_runs() -> dict[str, Any]:
    """The latest run of each job (for the health page and operators)."""
    latest: dict[str, Any] = {}
    for run in DailyJobRun.objects.order_by("job", "-day"):
        latest.setdefault(run.job, {"day": run.day.isoformat(), "status": run.status,
                                    "attempts": run.attempts})
    return latest
