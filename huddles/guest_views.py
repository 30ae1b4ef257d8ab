"""Meeting mode: the chair records guests who are not members of the network (a hospital
colleague, a care home manager, a family member); the minutes name them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import Conflict
from core.forms import add_service_errors
from networks.access import member_required

from . import selectors, services
from .attendance import attendance_context
from .forms import GuestForm
from .views import _chair_only, _fragment, _meeting, _members, _run_url


def _answer(request, meeting, back: str, status: int = 200, **extra):
    """After a guest is added or removed: the attendance panel (htmx), else back to the
    meeting mode where the chair was."""
    if not request.htmx:
        if back.isdigit():
            return redirect(reverse("huddles:run_item", args=[meeting.pk, int(back)]))
        return redirect(_run_url(meeting))
    members = _members(meeting.network, meeting)
    present = {m.user_id for m in members if m.present}
    context = attendance_context(meeting, members, present, back, **extra)
    return _fragment(request, "attendance", context, status=status)


@member_required
@require_POST
def guest_add_view(request, pk: int):
    """The chair records a guest: a name, and their role and organisation if given."""
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    back = request.POST.get("item", "")
    form = GuestForm(request.POST, auto_id="guest-%s")
    if form.is_valid():
        try:
            guest = services.guest_add(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            if not request.htmx:
                messages.success(request, f"{guest.name} added as a guest.")
            return _answer(request, meeting, back, guest_saved=f"Added {guest.name}.")
    if not request.htmx:
        errors = " ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"The guest was not added: {errors}")
        return _answer(request, meeting, back)
    return _answer(request, meeting, back, status=422, guest_form=form)


@member_required
@require_POST
def guest_remove_view(request, pk: int, guest_id: int):
    """The chair takes off a guest recorded in error (the row's history keeps them)."""
    meeting = _meeting(request, pk)
    _chair_only(request, meeting)
    guest = selectors.meeting_guest(meeting, guest_id)
    if guest is None:
        raise Http404("No such guest at this meeting.")
    back = request.POST.get("item", "")
    try:
        services.guest_remove(guest=guest, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return _answer(request, meeting, back)
    if not request.htmx:
        messages.success(request, f"{guest.name} removed from the guests.")
    return _answer(request, meeting, back, guest_saved=f"Removed {guest.name}.")
