from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "bridgeway.audit"
    label = "audit"
    verbose_name = "Audit log"
