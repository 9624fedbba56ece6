"""``manage.py crypto_rotate_keys``: re-wrap every encrypted value's data key under the
current master key (the first of BRIDGEWAY_MASTER_KEYS).

Operator procedure: put the new key first in the ring and keep the old ones after it;
deploy (new writes use the new key at once, old values stay readable); run this command
(safe while the system is in use, and safe to re-run after an interruption); when it
reports nothing left to re-wrap (``--dry-run``), remove the old key from the ring.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bridgeway.core import crypto


class Command(BaseCommand):
    help = "Re-wrap encrypted values' data keys under the current master key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="only count the values not yet under the current key")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, dry_run: bool = False, batch_size: int = 500,
               **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        current = crypto.key_ring().current_id
        try:
            counts = crypto.rotate_keys(batch_size=batch_size, dry_run=dry_run)
        except crypto.DecryptionError as exc:
            raise CommandError(
                f"rotation stopped, nothing lost (re-run when fixed): {exc}") from exc
        verb = "to re-wrap" if dry_run else "re-wrapped"
        for context, n in counts.items():
            self.stdout.write(f"{context}: {n} {verb}")
        self.stdout.write(f"total {verb} under key {current!r}: {sum(counts.values())}")
