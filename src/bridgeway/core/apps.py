from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bridgeway.core"
    label = "core"

    def ready(self) -> None:
        # Importing checks registers the system checks; the id converter must exist before
        # any URLconf is loaded.
        from bridgeway.core import checks, converters  # noqa: F401 - checks: registered on import

        converters.register()
