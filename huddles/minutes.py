"""The minutes of a meeting, read once for every way they are shown: the page, the e-mail
that carries them (when identifiable e-mail is allowed) and the PDF. Reads only, through
huddles.selectors; who may see them is the caller's to check."""

from typing import Any

from django.utils.text import capfirst

from networks.models import Network
from networks.roles import Role
from networks.selectors import role_in

from . import selectors
from .models import AgendaItem, Meeting


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def members_labelled(network: Network, meeting: Meeting | None = None) -> list:
    """The people of the network (not partner systems' accounts), each with `label` (name and
    role in the network's words); given the meeting, with `present`."""
    members = selectors.meeting_members(network, meeting)
    for membership in members:
        membership.network = network
        membership.label = f"{person_name(membership.user)}, {network.role_label(membership.role)}"
    return members


def action_for(action, network: Network, labels: dict[int, str]) -> str:
    """Whom a task is for: the member's label, or the role's queue in the network's words."""
    if action.assignee_id:
        return labels.get(action.assignee_id) or person_name(action.assignee)
    return capfirst(network.role_label(action.assignee_role))


def agenda_shown(meeting: Meeting, queryset=None) -> list[AgendaItem]:
    items = list(selectors.agenda_of(meeting) if queryset is None else queryset)
    for item in items:
        item.meeting = meeting
        # The reason often starts with the source's own words ("New MDT referral: ...").
        item.reason_text = item.reason.removeprefix(f"{item.get_source_display()}: ")
    return items


def minutes_context(meeting: Meeting, user=None) -> dict[str, Any]:
    """Everything the minutes show: the people on the agenda with what was said, agreed
    (`agreed`) and decided, and who was present (members and guests). For `user`, what they
    may see (the PIC: the people they support, without the clinical part); None for the
    minutes e-mail, which only clinical roles receive. Six queries whatever the agenda's size."""
    network = meeting.network
    items = agenda_shown(meeting, None if user is None else selectors.agenda_for(user, meeting))
    members = members_labelled(network)
    labels = {m.user_id: m.label for m in members}
    by_item: dict[int, list] = {}
    for action in selectors.meeting_actions(meeting, user):
        action.for_label = action_for(action, network, labels)
        by_item.setdefault(action.agenda_item_id, []).append(action)
    selectors.seal_items(user, items)  # restricted notes: that they exist (patients.restricted)
    for item in items:
        item.agreed = by_item.get(item.pk, [])
    present_ids = selectors.present_user_ids(meeting)
    return {
        "meeting": meeting,
        "network": network,
        "terms": network.terms,
        "items": items,
        "clinical": True if user is None else selectors.sees_clinical(user, network.pk),
        # The chair restricts discussion notes (huddles.restricted_views).
        "can_restrict_notes": user is not None and role_in(user, network.pk) == Role.CHAIR,
        "attendees": [m for m in members if m.user_id in present_ids],
        "guests": selectors.meeting_guests(meeting),  # not members (huddles.Guest)
    }
