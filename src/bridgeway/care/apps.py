from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "bridgeway.care"
    label = "care"
    verbose_name = "Care: assessments, plans, services, approvals"

    def ready(self) -> None:
        # Task derivers register on import of ``tasks``; ``signals`` applies every saved
        # form record to the workflow.
        from bridgeway.care import signals, tasks  # noqa: F401
