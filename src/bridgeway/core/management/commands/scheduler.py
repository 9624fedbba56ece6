"""Run the daily jobs that are due (core.scheduler): once, or every minute until stopped."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bridgeway.core import context
from bridgeway.core.errors import ValidationFailed
from bridgeway.core.scheduler import configured_jobs, run_due_jobs


class Command(BaseCommand):
    help = ("Run the daily jobs (BRIDGEWAY_DAILY_JOBS) that are due and have not run today: "
            "--once for cron, or keep checking every --interval seconds.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Check once, then exit.")
        parser.add_argument("--interval", type=int, default=60,
                            help="Seconds between checks when running continuously.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] < 1:
            raise CommandError("--interval must be at least 1 second.")
        try:
            configured_jobs()
        except ValidationFailed as exc:
            raise CommandError(str(exc)) from exc
        failed = False
        while True:
            token = context.set_current(context.RequestContext(channel="cli"))
            try:
                for outcome in run_due_jobs():
                    self.stdout.write(f"{outcome.job}: {outcome.status}")
                    failed |= outcome.status == "failed"
            finally:
                context.reset(token)
            if options["once"]:
                break
            time.sleep(options["interval"])
        if failed:
            raise CommandError("A daily job failed; see the scheduler's records.")
