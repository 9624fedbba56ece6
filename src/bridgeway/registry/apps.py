from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "bridgeway.registry"
    label = "registry"
    verbose_name = "Child registry"
