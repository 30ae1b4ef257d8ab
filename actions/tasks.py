"""Thin Celery tasks for tasks (the MDT's to-dos): load by id, call a function. Safe to run
twice, late or concurrently: each notification's unique key stops a second delivery."""

from celery import shared_task

from .reminders import notify_assigned


# Named as it was when it lived in notifications: queued messages still resolve.
@shared_task(name="notifications.tasks.notify_action_assigned")
def notify_action_assigned(
    *, action_id: int, occurrence: str = "", by_id: int | None = None, network_id: int | None = None
) -> int:
    # network_id: the database's scope for the task (icn/celery.py, core/rls.py).
    return notify_assigned(action_id, occurrence=occurrence, by_id=by_id)
