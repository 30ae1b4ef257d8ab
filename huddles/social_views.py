"""The social part of a person's agenda item, written in meeting mode by anyone who sees the
person (the PIC and every clinical member, not only the chair), while the meeting is open."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.errors import Conflict
from core.forms import add_service_errors
from networks.access import member_required

from . import selectors, services
from .forms import SocialNotesForm, rebound
from .views import _fragment, _meeting, _run_url, _social_form


@member_required
@require_POST
def social_notes_view(request, pk: int, item_id: int):
    """The social part of one person's item: the PIC, and every clinical member, who sees the
    person on this agenda (not only the chair). A stale edit: 409 and the other text."""
    meeting = _meeting(request, pk)
    item = selectors.agenda_for(request.user, meeting).filter(pk=item_id).first()
    if item is None:
        raise Http404("No such person on this agenda.")
    item.meeting = meeting
    form = SocialNotesForm(request.POST, auto_id="social-%s")
    status, conflict, saved = 422, None, ""
    if form.is_valid():
        try:
            item = services.item_social_notes_set(
                item=item,
                by=request.user,
                social_notes=form.cleaned_data["social_notes"],
                social_version=form.cleaned_data["social_version"],
            )
        except services.ItemConflict as exc:
            conflict = exc.item
            version = exc.item.social_version
            form = rebound(SocialNotesForm, request.POST, "social-%s", social_version=version)
            status = 409
        except Conflict as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            item.meeting = meeting
            if not request.htmx:
                messages.success(request, "Social notes saved.")
                return redirect(_run_url(meeting, item))
            status, saved, form = 200, "Social notes saved.", _social_form(item)
    if not request.htmx:
        errors = " ".join(e for errors in form.errors.values() for e in errors)
        if conflict is not None:
            errors = "someone else changed them since you opened them."
        messages.error(request, f"The social notes were not saved: {errors}")
        return redirect(_run_url(meeting, item))
    context = {"meeting": meeting, "item": item, "social_form": form}
    context.update(social_conflict=conflict, social_saved=saved)
    return _fragment(request, "social", context, status)
