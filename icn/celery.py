"""The Celery app. Worker: `celery -A icn worker`; beat: `celery -A icn beat`."""

import os
from contextlib import AbstractContextManager
from typing import Any

from celery import Celery, Task

from core.attribution import acting

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icn.settings.local")


class TaskNotScoped(RuntimeError):
    """A task with neither a network_id nor ``icn_system=True``: the database would show it
    nothing (row-level security, core/rls.py), so it is refused outright, in tests too."""


class SystemTask(Task):
    """Every task runs as the system: the row history of whatever it writes names the task,
    `beat:<task>` for the periodic ones (CELERY_BEAT_SCHEDULE), `task:<task>` for the rest.

    And in the database's scope (docs/adr/0006): a task given ``network_id=`` sees that
    network's rows only; a sweep across networks declares ``@shared_task(icn_system=True)``
    and sees every network's."""

    icn_system = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from django.conf import settings

        periodic = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        kind = "beat" if self.name in periodic else "task"
        with (
            acting(None, via=f"{kind}:{self.name.rsplit('.', 1)[-1]}"),
            self._database_scope(kwargs),
        ):
            return super().__call__(*args, **kwargs)

    def _database_scope(self, kwargs: dict[str, Any]) -> AbstractContextManager[Any]:
        from django.db import connection

        from core import rls

        if self.name.startswith("celery."):  # Celery's own (backend cleanup): no ICN data
            return rls.network_scope([])
        if not self.icn_system and kwargs.get("network_id") is None:
            raise TaskNotScoped(
                f"{self.name}: pass network_id=, or declare @shared_task(icn_system=True) for "
                "a sweep across networks"
            )
        connection.ensure_connection()  # so that it is known whether RLS applies to it
        if self.icn_system:
            return rls.system_scope()
        return rls.network_scope([kwargs["network_id"]])


app = Celery("icn", task_cls=SystemTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
