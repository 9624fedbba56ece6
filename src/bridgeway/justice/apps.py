from django.apps import AppConfig


class JusticeConfig(AppConfig):
    name = "bridgeway.justice"
    label = "justice"
    verbose_name = "Justice safeguards"

    def ready(self) -> None:
        # The grant source for justice users, and the task deriver for deadlines and
        # violations (registered on import of ``evaluation``).
        from bridgeway.justice import access, evaluation  # noqa: F401

        access.register()
