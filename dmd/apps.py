from django.apps import AppConfig


class DmdConfig(AppConfig):
    name = "dmd"
    verbose_name = "dm+d (NHS Dictionary of medicines and devices)"
    default_auto_field = "django.db.models.BigAutoField"
