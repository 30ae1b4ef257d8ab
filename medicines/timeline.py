"""The medicines' part of the person's timeline (port settings.ICN_PORTS["person_timeline"]:
patients sits on a floor below): each visit, with who made it and its NEWS2. Visits are
clinical: roles that may not see the person's medicines and visits (the PIC) see none, as on
the person's page."""

from typing import Any

from django.urls import reverse
from django.utils.text import Truncator

from patients.timeline import Entry

from .models import Visit

SUMMARY_SHOWN = 300  # characters of the visit's summary on the timeline


def person_timeline(user: Any, patient: Any) -> list[Entry]:
    """Every visit, in one query (none for roles that may not see visits)."""
    if not user.has_perm("medicines.view_medicines", patient):
        return []
    page = reverse("patients:detail", args=[patient.pk])
    entries = []
    for visit in Visit.objects.filter(patient=patient).select_related("joint_visitor"):
        lines = []
        if visit.joint_visitor is not None:
            joint = visit.joint_visitor
            lines.append(f"With {joint.get_full_name() or joint.get_username()}")
        if visit.news2_score is not None:
            news2 = f"NEWS2 {visit.news2_score}"
            if not visit.news2_complete:
                news2 += " (incomplete observations)"
            if visit.news2_escalation != Visit.Escalation.NONE:
                news2 += f": {visit.get_news2_escalation_display().lower()}"
            lines.append(news2)
        if visit.summary:
            lines.append(Truncator(visit.summary).chars(SUMMARY_SHOWN))
        entries.append(
            Entry(
                when=visit.visited_at,
                kind="visit",
                title=visit.get_kind_display(),
                detail=tuple(lines),
                link=f"{page}#visits",
                who_id=visit.visitor_id,
            )
        )
    return entries
