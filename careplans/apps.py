from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "careplans"
    verbose_name = "Care plans"
    default_auto_field = "django.db.models.BigAutoField"
