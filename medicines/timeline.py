"""The medicines' part of the person's timeline (port settings.ICN_PORTS["person_timeline"]:
patients sits on a floor below): each visit, with who made it and its NEWS2. Visits are
clinical: roles that may not see the person's medicines and visits (the PIC) see none, as on
the person's page."""

from typing import Any

from django.urls import reverse
from django.utils.text import Truncator

from patients.restricted import author_label
from patients.timeline import Entry

from .models import Visit
from .selectors import seal_visits

SUMMARY_SHOWN = 300  # characters of the visit's summary on the timeline


def person_timeline(user: Any, patient: Any) -> list[Entry]:
    """Every visit, in one query (none for roles that may not see visits); a restricted one the
    user may not read says only that it exists (one more query, for break-glass grants)."""
    if not user.has_perm("medicines.view_medicines", patient):
        return []
    page = reverse("patients:detail", args=[patient.pk])
    entries = []
    visits = list(Visit.objects.filter(patient=patient).select_related("visitor", "joint_visitor"))
    for visit in seal_visits(user, visits, patient=patient):
        if visit.sealed:  # that it exists, who and when; never its content
            entries.append(
                Entry(
                    when=visit.visited_at,
                    kind="visit",
                    title=f"{visit.get_kind_display()} (restricted)",
                    detail=(
                        f"Restricted entry by {author_label(visit.visitor)} on "
                        f"{visit.visited_at:%-d %b %Y}. Only its author, the key worker and "
                        "the chair read it; you may break the glass.",
                    ),
                    link=reverse("medicines:visit_break_glass", args=[patient.pk, visit.pk]),
                    who_id=visit.visitor_id,
                )
            )
            continue
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
