from django.apps import AppConfig


class MedicinesConfig(AppConfig):
    name = "medicines"
    default_auto_field = "django.db.models.BigAutoField"
