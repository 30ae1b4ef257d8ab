"""The Celery app. Worker: `celery -A icn worker`; beat: `celery -A icn beat`."""

import os
from typing import Any

from celery import Celery, Task

from core.attribution import acting

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icn.settings.local")


class SystemTask(Task):
    """Every task runs as the system: the row history of whatever it writes names the task,
    `beat:<task>` for the periodic ones (CELERY_BEAT_SCHEDULE), `task:<task>` for the rest."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from django.conf import settings

        periodic = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        kind = "beat" if self.name in periodic else "task"
        with acting(None, via=f"{kind}:{self.name.rsplit('.', 1)[-1]}"):
            return super().__call__(*args, **kwargs)


app = Celery("icn", task_cls=SystemTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
