from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bridgeway.care.services import care_sweep


class Command(BaseCommand):
    help = ("Apply filled forms not yet applied to the care workflow, and derive tasks for "
            "overdue approvals, plan reviews and plan actions. Idempotent: run it hourly "
            "or daily.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = care_sweep()
        self.stdout.write(f"applied {result.records_synced} record(s), "
                          f"{result.records_failed} could not be applied; tasks derived on "
                          f"{result.cases_rederived} case(s)")
