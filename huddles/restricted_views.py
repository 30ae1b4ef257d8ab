"""Pages for restricted discussion notes: breaking the glass on them, and restricting them or
lifting it (the chair, or whoever restricted them). Both return to the person in the minutes;
the forms are patients.restricted_views' (every kind of restricted entry alike)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from audit.services import access_record
from networks.access import member_required
from patients.restricted import HUDDLE_NOTE
from patients.restricted_views import break_glass_response, restrict_response

from . import selectors, services


def _item(request, pk: int, item_id: int, what: str):
    """The item among those the user sees (a clinical role: the notes are clinical), written
    to the access trail; 403 for roles that read no notes, 404 outside the user's networks."""
    if not selectors.meetings_visible_to(request.user).filter(pk=pk).exists():
        if selectors.meeting_in_networks_of(request.user, pk):
            raise PermissionDenied("Your role does not take part in the team's meetings.")
        raise Http404("No such meeting in your networks.")
    item = (
        selectors.agenda_items_visible_to(request.user, pk)
        .select_related("notes_restricted_by", "meeting__network")
        .filter(pk=item_id)
        .first()
    )
    if item is None:  # the PIC: a person they do not support is hidden, as elsewhere
        raise Http404("No such person on this agenda.")
    if not selectors.sees_clinical(request.user, item.meeting.network_id):
        raise PermissionDenied("Your role does not read the discussion notes.")
    access_record(
        user=request.user, patients=[item.patient], what=what, channel="page", path=request.path
    )
    return item


def _back(item) -> str:
    return reverse("huddles:minutes", args=[item.meeting_id]) + f"#minutes-{item.pk}"


def _done(request, item):
    def done(text: str):
        messages.success(request, text)
        return redirect(_back(item))

    return done


def _entry(item) -> str:
    return f"the discussion notes of {item.meeting.starts_at:%-d %b %Y}"


@member_required
@require_http_methods(["GET", "POST"])
def item_break_glass_view(request, pk: int, item_id: int):
    item = _item(request, pk, item_id, "break_glass_form")
    return break_glass_response(
        request,
        patient=item.patient,
        entry_kind=HUDDLE_NOTE,
        entry_id=item.pk,
        author=item.notes_restricted_by,
        entry=_entry(item),
        back_url=_back(item),
        done=_done(request, item),
    )


@member_required
@require_http_methods(["GET", "POST"])
def item_restrict_view(request, pk: int, item_id: int):
    item = _item(request, pk, item_id, "notes_restrict_form")
    return restrict_response(
        request,
        patient=item.patient,
        entry=_entry(item),
        restricted=item.notes_restricted,
        reason=item.notes_restricted_reason,
        save=lambda restricted, reason: services.item_notes_restrict(
            item=item, by=request.user, restricted=restricted, reason=reason
        ),
        back_url=_back(item),
        done=_done(request, item),
    )
