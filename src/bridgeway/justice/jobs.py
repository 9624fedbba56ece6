"""The daily re-evaluation of the justice safeguards, through the ``django.tasks`` API.

``reevaluate_open_episodes`` evaluates every case with an open detention episode or an
evaluation that still needs attention (an unmet deadline, an ongoing violation),
reconciles alerts and tasks and notifies the responsible users once per new alert
(``justice.evaluation``). Running it twice in a row changes nothing the second time.

Schedule it once a day: ``manage.py justice_reevaluate`` (runs it in the foreground, for
cron or a Kubernetes CronJob), or enqueue it and let ``manage.py db_worker`` run it. A
rule change enqueues it for the jurisdiction concerned.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.justice.evaluation import case_ids_to_reevaluate, reevaluate_cases

log = logging.getLogger("bridgeway.justice.jobs")


def run_reevaluation(*, now: datetime | None = None, country: str = "", region: str = "",
                     every_justice_case: bool = False, batch_size: int = 500,
                     workers: int | None = None) -> dict[str, Any]:
    """The job's body; returns its statistics and writes one audit entry per run (the
    job reads and writes justice records of many children on nobody's behalf)."""
    now = now or timezone.now()
    started = time.perf_counter()
    ids = case_ids_to_reevaluate(country=country, region=region,
                                 every_justice_case=every_justice_case)
    if workers is None:
        workers = settings.BRIDGEWAY_JUSTICE_JOB_WORKERS
    stats = reevaluate_cases(ids, now=now, batch_size=batch_size, workers=workers).as_dict()
    stats["workers"] = workers
    stats["seconds"] = round(time.perf_counter() - started, 3)
    audit_record(actor=None, action=Action.UPDATE, object_type="safeguard_reevaluation",
                 detail={"country": country, "region": region, "at": now.isoformat(),
                         **{k: v for k, v in stats.items() if k != "failed"},
                         "failed": stats["failed"][:100]})
    log.info("justice safeguards re-evaluated: %s", stats)
    return stats


@task()
def reevaluate_open_episodes(country: str = "", region: str = "",
                             every_justice_case: bool = False) -> dict[str, Any]:
    """Re-evaluate open episodes and unmet deadlines (optionally of one jurisdiction)."""
    return run_reevaluation(country=country, region=region,
                            every_justice_case=every_justice_case)
