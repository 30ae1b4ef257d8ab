"""Thin periodic tasks: keep every network's meetings scheduled ahead and agendas current."""

from celery import shared_task


@shared_task(acks_late=True)
def schedule_meetings() -> int:
    """Top up each network's meetings for the rolling horizon and refresh the next agenda.
    Idempotent: a second run creates nothing."""
    from networks.models import Network

    from .services import agenda_build, meetings_schedule, next_meeting

    created = 0
    for network in Network.objects.all():
        created += meetings_schedule(network=network)
        meeting = next_meeting(network)
        if meeting is not None:
            agenda_build(meeting=meeting)
    return created
