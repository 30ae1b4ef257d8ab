"""Thin Celery tasks: load by id, call a service. Safe to run twice."""

from celery import shared_task
from django.urls import reverse


@shared_task(acks_late=True)
def notify_action_assigned(*, action_id: int) -> None:
    from actions.models import Action

    from .services import notification_send

    action = Action.objects.select_related("patient", "network").filter(pk=action_id).first()
    if action is None or action.assignee_id is None:
        return
    notification_send(
        recipient=action.assignee,
        key=f"action_assigned:{action.pk}:{action.assignee_id}",
        kind="action_assigned",
        title=f"New task: {action.title}",
        body=f"For {action.patient.full_name}, due {action.due_on:%d %b %Y}.",
        url=reverse("patients:detail", args=[action.patient_id]),
        network=action.network,
        patient=action.patient,
    )
