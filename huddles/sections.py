"""The person page's "Next meeting" line (called through the ``person_page_sections`` port:
patients is on a floor below huddles)."""

import datetime
from typing import Any

from django.utils import timezone

from .models import AgendaItem, Meeting
from .selectors import items_visible


def patient_next_meeting_context(user: Any, patient: Any) -> dict[str, Any]:
    """The next scheduled meeting with the person on its agenda, if the user may see that
    item (clinical roles; the PIC for the people they support). One query."""
    item = (
        AgendaItem.objects.filter(
            items_visible(user),
            patient=patient,
            meeting__status=Meeting.Status.SCHEDULED,
            meeting__starts_at__gte=timezone.now() - datetime.timedelta(hours=12),
        )
        .exclude(status=AgendaItem.Status.REMOVED)
        .select_related("meeting")
        .order_by("meeting__starts_at", "meeting_id")
        .first()
    )
    return {"next_meeting_item": item}
