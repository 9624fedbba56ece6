from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "bridgeway.api"
    label = "api"

    def ready(self) -> None:
        from bridgeway.api import schema  # noqa: F401 - registers the OpenAPI extension
