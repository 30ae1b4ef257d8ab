"""Thin tasks: keep every network's meetings scheduled ahead and agendas current; send the
minutes of a closed meeting."""

from celery import shared_task

from core import rls
from networks.models import Network

from .reminders import deliver_minutes
from .selectors import next_scheduled_meeting
from .services import agenda_build, meetings_schedule


@shared_task(acks_late=True, icn_system=True)
def schedule_meetings() -> int:
    """Top up each network's meetings for the rolling horizon and refresh the next agenda.
    Idempotent: a second run creates nothing. The row history names the system (beat)."""

    via = "beat:schedule_meetings"
    created = 0
    for network in Network.objects.all():
        with rls.network_scope([network.pk]):  # each network sees only its own rows
            created += meetings_schedule(network=network, by=None, via=via)
            meeting = next_scheduled_meeting(network)
            if meeting is not None:
                agenda_build(meeting=meeting, by=None, via=via)
    return created


# Named as it was when it lived in notifications: queued messages still resolve.
@shared_task(name="notifications.tasks.send_minutes")
def send_minutes(*, meeting_id: int, network_id: int | None = None) -> int:
    # network_id: the database's scope for the task (icn/celery.py, core/rls.py).
    return deliver_minutes(meeting_id)
