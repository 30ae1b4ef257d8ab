"""What meeting mode's attendance panel shows: members marked present, and the guests who
are not members (with the form that adds one)."""

from .forms import GuestForm
from .selectors import meeting_guests


def guests_context(meeting, form: GuestForm | None = None, rows: list[dict] | None = None) -> dict:
    """`rows`: the guests as read with the agenda (meeting mode saves a query)."""
    return {
        "guests": meeting_guests(meeting, rows),
        "guest_form": form or GuestForm(auto_id="guest-%s"),
    }


def attendance_context(meeting, members, present, back: str, **extra) -> dict:
    """The panel on its own (an htmx answer): `back` is the person the chair was on."""
    form = extra.pop("guest_form", None)
    return {
        "meeting": meeting,
        "members": members,
        "present": present,
        "writable": True,
        "item": {"pk": back},
        **guests_context(meeting, form),
        **extra,
    }
