from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bridgeway.audit.jobs import audit_daily_check, audit_integrity_check


class Command(BaseCommand):
    help = ("The daily integrity check of the audit log: verify the hash chain, record the "
            "result, notify auditors when it is broken (exit status 1 then). With "
            "--enqueue, hand it to the task worker instead.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enqueue", action="store_true",
                            help="Enqueue the task for the worker (manage.py db_worker).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = audit_daily_check.enqueue()
            self.stdout.write(f"enqueued task {result.id}")
            return
        outcome = audit_integrity_check()
        if not outcome.ok:
            raise CommandError(f"AUDIT CHAIN BROKEN at #{outcome.first_bad_seq}: "
                               f"{outcome.message}")
        self.stdout.write(self.style.SUCCESS(f"OK: {outcome.message}"))
