"""The chair's extra meetings (API.md 1.1, Huddles): added beside the cadence, e.g. for an
urgent MDT referral the meetings page offers to bring."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.forms import add_service_errors
from networks.access import member_required
from networks.current import current_membership
from networks.roles import Role

from . import selectors, services
from .forms import ExtraMeetingForm
from .views import _render_list, _when


@member_required
@require_POST
def meeting_add_view(request):
    """The chair adds an extra meeting, bringing the urgent people ticked to it."""
    membership = current_membership(request)
    network = membership.network
    if membership.role != Role.CHAIR:
        terms = network.terms
        raise PermissionDenied(f"Only the {terms['chair']} adds {terms['meetings']}.")
    urgent = selectors.urgent_waiting(network)
    form = ExtraMeetingForm(
        request.POST, auto_id="extra-%s", offered=[item.patient_id for item in urgent]
    )
    if form.is_valid():
        chosen = set(form.cleaned_data["patients"])
        try:
            meeting = services.meeting_add(
                network=network,
                starts_at=form.cleaned_data["starts_at"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                patients=[item.patient for item in urgent if item.patient_id in chosen],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            brought = f", with {len(chosen)} of the urgent people" if chosen else ""
            messages.success(
                request, f"Extra {network.terms['meeting']} added for {_when(meeting)}{brought}."
            )
            return redirect("huddles:agenda", pk=meeting.pk)
    return _render_list(request, extra_form=form, status=422)
