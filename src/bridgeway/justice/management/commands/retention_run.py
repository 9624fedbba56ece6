"""``manage.py retention_run [--dry-run]``: seal, expunge and anonymise what is due
(``justice.retention.run_retention``). Schedule daily; a dry run prints what the next
run would do (case numbers, actions and row counts) and changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bridgeway.justice.retention import run_retention


class Command(BaseCommand):
    help = "Seal and expunge justice records and anonymise/delete case records that are due."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="Only report what the next run would do.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_retention(dry_run=options["dry_run"])
        for item in result["planned"]:
            counts = ", ".join(f"{k}={v}" for k, v in sorted(item["counts"].items()))
            self.stdout.write(f"would {item['action']} {item['case_number']}"
                              + (f" ({counts})" if counts else ""))
        totals = ", ".join(f"{k}={v}" for k, v in sorted(result["counts"].items()))
        label = "dry run" if result["dry_run"] else "run"
        self.stdout.write(f"retention {label} #{result['run']}: {totals}")
