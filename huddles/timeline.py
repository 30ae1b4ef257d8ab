"""The huddles' part of the person's timeline (port settings.ICN_PORTS["person_timeline"]:
patients sits on a floor below): each discussion at a meeting with its decision, the tasks
agreed there and the admission-avoided answer, and each time on the MDT caseload.

Clinical roles read everything. The PIC, who sees no clinical content, reads that the person
was discussed, the decision and the next review, the tasks agreed for them or their role,
and when the person came onto and left the caseload: not why, not the notes, not the
admission-avoided answer, and no link to the meeting (which they may not open)."""

from typing import Any

from django.urls import reverse
from django.utils import formats
from django.utils.text import Truncator

from actions.models import Action
from actions.selectors import actions_for_me
from patients.timeline import Entry

from .models import AgendaItem, Episode
from .selectors import seal_items

NOTES_SHOWN = 400  # characters of the notes on the timeline; the minutes have them all


def _day(value: Any) -> str:
    return formats.date_format(value, "j M Y")


def _task_line(action: Action, network: Any) -> str:
    if action.assignee is not None:
        owner = action.assignee.get_full_name() or action.assignee.get_username()
    else:
        owner = network.role_label(action.assignee_role)
    done = ", done" if action.status == Action.Status.DONE else ""
    return f"Task agreed: {action.title} (for {owner}, due {_day(action.due_on)}{done})"


def person_timeline(user: Any, patient: Any) -> list[Entry]:
    """Discussions (two queries: the items with their meetings, the tasks agreed at them)
    and episodes (one query)."""
    clinical = user.has_perm("patients.view_clinical", patient)
    network = patient.network
    meeting = network.terms["meeting"]
    actions = Action.objects.select_related("assignee").order_by("due_on", "id")
    if not clinical:
        actions = actions.filter(actions_for_me(user, in_sql=True))
    discussed = AgendaItem.objects.filter(patient=patient, status=AgendaItem.Status.DISCUSSED)
    items = list(discussed.select_related("meeting"))
    # The tasks by the items' own condition, not their ids: one query with or without
    # discussions (a prefetch is skipped when there are none).
    agreed: dict[int, list[Action]] = {}
    for action in actions.filter(agenda_item__in=discussed.values("pk")):
        agreed.setdefault(action.agenda_item_id, []).append(action)
    entries = []
    for item in items:
        item.patient = patient
        item.agreed = agreed.get(item.pk, [])
    seal_items(user, items)  # restricted notes: that they exist (patients.restricted)
    for item in items:
        lines = []
        if clinical and item.reason:
            lines.append(f"On the agenda: {item.reason}")
        if item.decision:
            decision = f"Decision: {item.get_decision_display()}"
            if item.decision == AgendaItem.Decision.CONTINUE and item.next_review_on:
                decision += f", next review {_day(item.next_review_on)}"
            lines.append(decision)
        if clinical and item.admission_avoided:
            lines.append(f"Admission avoided: {item.get_admission_avoided_display()}")
        if clinical and item.decision_reason:
            lines.append(f"Why: {item.decision_reason}")
        if clinical and item.notes_sealed:
            lines.append(
                "Notes: restricted entry (only the chair, the key worker and who "
                "restricted them read them)"
            )
        elif clinical and item.notes:
            lines.append(f"Notes: {Truncator(item.notes).chars(NOTES_SHOWN)}")
        lines += [_task_line(action, network) for action in item.agreed]
        entries.append(
            Entry(
                when=item.meeting.starts_at,
                kind="discussion",
                title=f"Discussed at the {meeting}",
                detail=tuple(lines),
                link=reverse("huddles:minutes", args=[item.meeting_id]) if clinical else "",
                who_id=item.decided_by_id,
            )
        )
    for episode in Episode.objects.filter(patient=patient):
        entries.append(
            Entry(
                when=episode.opened_at,
                kind="episode",
                title="Came onto the MDT caseload",
                detail=("From an MDT referral",) if episode.referral_id else (),
            )
        )
        if episode.closed_at is None:
            continue
        lines = []
        if clinical and episode.admission_avoided:
            lines.append(f"Admission avoided: {episode.get_admission_avoided_display()}")
        if clinical and episode.closing_reason:
            lines.append(f"Why: {episode.closing_reason}")
        entries.append(
            Entry(
                when=episode.closed_at,
                kind="episode",
                title="Discharged from the MDT caseload",
                detail=tuple(lines),
            )
        )
    return entries
