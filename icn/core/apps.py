from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "icn.core"
    label = "core"
