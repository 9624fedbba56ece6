from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "bridgeway.forms"
    label = "bw_forms"
