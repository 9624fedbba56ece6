from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "bridgeway.access"
    label = "access"
    verbose_name = "Access policy"
