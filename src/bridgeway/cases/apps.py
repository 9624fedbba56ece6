from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "bridgeway.cases"
    label = "cases"
    verbose_name = "Cases"
