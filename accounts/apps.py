from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """How a person proves who they are: password and second factor, single sign-on, API
    tokens. Above `networks` (an account is usable only with an active membership)."""

    name = "accounts"
