from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "bridgeway.referrals"
    label = "referrals"
    verbose_name = "Referrals, transfers and break-glass"

    def ready(self) -> None:
        # Grant sources for the access policy; task derivers register on import of
        # ``tasks``; the system check validates the sector policy and break-glass settings.
        from bridgeway.referrals import checks, grants, tasks  # noqa: F401

        grants.register()
