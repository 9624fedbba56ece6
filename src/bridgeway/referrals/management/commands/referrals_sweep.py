from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bridgeway.referrals.services import referrals_sweep


class Command(BaseCommand):
    help = ("Mark referrals whose access period or consent has ended as expired, and derive "
            "tasks for overdue referral responses and unreviewed consent withdrawals. "
            "Idempotent: run it hourly or daily.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = referrals_sweep()
        self.stdout.write(f"expired {result.expired} referral(s); tasks derived on "
                          f"{result.cases_rederived} case(s)")
