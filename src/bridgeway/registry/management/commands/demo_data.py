from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bridgeway.accounts.models import Agency, User
from bridgeway.core import context
from bridgeway.registry.demo.load import Owner, load_children
from bridgeway.registry.demo.setup import ensure_demo_accounts, logins_file
from bridgeway.registry.models import Child


class Command(BaseCommand):
    help = ("Create demo agencies and users (one per role) and load synthetic children. "
            "Runs once: an installation that already has children keeps them.")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--children", type=int, default=1200)
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument("--quiet-logins", action="store_true")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        if opts["children"] < 0:
            raise CommandError("--children must be 0 or more")
        token = context.set_current(context.RequestContext(channel="cli"))
        try:
            logins = ensure_demo_accounts()
            if Child.objects.exists():
                self.stdout.write("Children already present: demo data not loaded again.")
            elif opts["children"]:
                owners = []
                for code in ("dsw-central", "ngo-harapan"):
                    agency = Agency.objects.get(code=code)
                    users = User.objects.filter(agency=agency)
                    owners.append(Owner(agency, list(users.filter(role="caseworker")),
                                        users.get(role="supervisor")))
                # The main agency carries most cases: list it more often.
                owners = [owners[0], owners[0], owners[0], owners[1]]
                admin = User.objects.get(username="admin")
                with transaction.atomic():
                    n = load_children(count=opts["children"], seed=opts["seed"],
                                      owners=owners, actor=admin, progress=True)
                self.stdout.write(f"Loaded {n:,} synthetic children.")
        finally:
            context.reset(token)
        if not opts["quiet_logins"]:
            self.stdout.write("\nDemo logins (two-factor login is OFF in the demo):")
            for x in logins:
                self.stdout.write(f"  {x.username:<16} {x.password:<14} {x.role:<13} {x.agency}")
            self.stdout.write(f"(also in {logins_file()})\n")
