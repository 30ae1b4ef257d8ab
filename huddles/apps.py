from django.apps import AppConfig


class HuddlesConfig(AppConfig):
    name = "huddles"
    default_auto_field = "django.db.models.BigAutoField"
