"""The huddles' columns on the people list (patients' caseload page), through the port
settings.ICN_PORTS["caseload_columns"]: the list sits on a floor below this one. Each column
is a Subquery on the person, so the list filters and sorts on it in SQL."""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Now, TruncDate
from django.utils import timezone

from core.typing import User
from patients.caseload import CaseloadColumn

from .models import AgendaItem, Episode, Meeting


def caseload_columns(user: User) -> list[CaseloadColumn]:
    """On caseload since (the open MDT episode's start), last discussed (the latest meeting
    where the person was discussed) and next review (the next scheduled meeting with the
    person on its agenda, else the review date the latest discussion set, if still ahead)."""
    person = OuterRef("pk")
    since = Episode.objects.filter(patient=person, closed_at__isnull=True).order_by("-opened_at")
    discussed = AgendaItem.objects.filter(
        patient=person, status=AgendaItem.Status.DISCUSSED
    ).order_by("-meeting__starts_at", "-id")
    tz = timezone.get_current_timezone()
    next_meeting = (
        AgendaItem.objects.filter(
            patient=person,
            status=AgendaItem.Status.PENDING,
            meeting__status=Meeting.Status.SCHEDULED,
            meeting__starts_at__gte=Now(),
        )
        .order_by("meeting__starts_at")
        .annotate(on=TruncDate("meeting__starts_at", tzinfo=tz))
    )
    review_set = discussed.filter(next_review_on__gte=TruncDate(Now(), tzinfo=tz))
    return [
        CaseloadColumn(
            key="on_caseload_since",
            label="On caseload since",
            expression=Subquery(since.values("opened_at")[:1]),
            presence="On caseload",
        ),
        CaseloadColumn(
            key="last_discussed",
            label="Last discussed",
            expression=Subquery(discussed.values("meeting__starts_at")[:1]),
        ),
        CaseloadColumn(
            key="next_review",
            label="Next review",
            expression=Coalesce(
                Subquery(next_meeting.values("on")[:1]),
                Subquery(review_set.values("next_review_on")[:1]),
            ),
        ),
    ]
