"""The Celery app. Worker: `celery -A icn worker`; beat: `celery -A icn beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icn.settings.local")

app = Celery("icn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
