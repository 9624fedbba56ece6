from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "bridgeway.accounts"
    label = "accounts"
    verbose_name = "Accounts and agencies"
