from django.core.management.base import BaseCommand, CommandError

from bridgeway.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits non-zero if it was tampered with."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        result = audit_verify()
        if not result.ok:
            raise CommandError(f"AUDIT CHAIN BROKEN at #{result.first_bad_seq}: {result.message}")
        self.stdout.write(self.style.SUCCESS(f"OK: {result.message}"))
