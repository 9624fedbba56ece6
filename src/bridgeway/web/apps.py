from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "bridgeway.web"
    label = "web"

    def ready(self) -> None:
        from bridgeway.web import signals  # noqa: F401 - connects the audit receivers
