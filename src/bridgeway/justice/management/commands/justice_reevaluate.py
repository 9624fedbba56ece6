"""Run the daily safeguards re-evaluation now, in the foreground (cron, CronJob)."""

import json

from django.core.management.base import BaseCommand, CommandError

from bridgeway.core import context
from bridgeway.justice.jobs import run_reevaluation


class Command(BaseCommand):
    help = ("Re-evaluate the justice safeguards of every case with an open detention episode "
            "or an unmet deadline; notify responsible users of new alerts (once).")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--country", default="", help="Only this country (ISO code).")
        parser.add_argument("--region", default="", help="Only this region of the country.")
        parser.add_argument("--all-justice-cases", action="store_true",
                            help="Every case with a justice record, not only open ones.")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--workers", type=int, default=None,
                            help="Worker processes (PostgreSQL only; default "
                                 "BRIDGEWAY_JUSTICE_JOB_WORKERS, i.e. the number of CPUs).")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if options["region"] and not options["country"]:
            raise CommandError("--region needs --country.")
        token = context.set_current(context.RequestContext(channel="cli"))
        try:
            stats = run_reevaluation(country=options["country"].upper(),
                                     region=options["region"],
                                     every_justice_case=options["all_justice_cases"],
                                     batch_size=max(1, options["batch_size"]),
                                     workers=options["workers"])
        finally:
            context.reset(token)
        self.stdout.write(json.dumps(stats, sort_keys=True))
        if stats["failed"]:
            raise CommandError(f"{len(stats['failed'])} case(s) could not be evaluated.")
