"""The network's services page: the chair or the integrated manager lists, adds and edits
the services of their current network (label, what each accepts, which roles triage it,
whether it takes referrals). Configuration, not people: no access trail."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import Conflict
from core.forms import add_service_errors
from networks.access import member_required
from networks.current import current_membership
from networks.roles import Role

from . import services
from .forms import ServiceForm
from .selectors import service_directory

# Who runs the network's configuration in the app.
SERVICE_EDITORS = frozenset({Role.CHAIR, Role.INTEGRATED_MANAGER})


def _network(request):
    membership = current_membership(request)
    if membership is None or membership.role not in SERVICE_EDITORS:
        chair = membership.network.terms["chair"] if membership else "chair"
        raise PermissionDenied(
            f"Only the {chair} or the integrated manager may change the network's services."
        )
    return membership.network


@member_required
@require_GET
def services_view(request):
    network = _network(request)
    directory = service_directory(network)
    rows = [
        {
            "info": info,
            "roles": ", ".join(network.role_label(r) for r in info.serving_roles),
        }
        for info in directory.values()
    ]
    return render(request, "referrals/services.html", {"network": network, "rows": rows})


def _save(request, network, form: ServiceForm, code: str, adding: bool):
    """Save the form through the service; its errors land on the form, nothing saved."""
    data = form.cleaned_data
    try:
        config = services.service_save(
            network=network,
            by=request.user,
            code=code,
            label=data["label"],
            accepts=data["accepts"],
            serving_roles=data["serving_roles"],
            active=data["active"],
            adding=adding,
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    except Conflict as exc:
        form.add_error("code" if "code" in form.fields else None, exc.message)
        return None
    return config


def _form_page(request, network, form: ServiceForm, info=None):
    """The add (no `info`) or edit form; 422 with its errors."""
    context = {"network": network, "form": form, "adding": info is None, "service": info}
    return render(
        request, "referrals/service_form.html", context, status=422 if form.errors else 200
    )


@member_required
@require_http_methods(["GET", "POST"])
def service_add_view(request):
    network = _network(request)
    form = ServiceForm(request.POST or None, network=network, adding=True, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        config = _save(request, network, form, form.cleaned_data["code"], adding=True)
        if config is not None:
            messages.success(request, f"{config.label} added: referrals can be made to it now.")
            return redirect("referrals:services")
    return _form_page(request, network, form)


@member_required
@require_http_methods(["GET", "POST"])
def service_edit_view(request, code: str):
    network = _network(request)
    info = service_directory(network).get(code)
    if info is None:
        raise Http404("No such service in this network.")
    initial = {
        "label": info.label,
        "accepts": info.accepts,
        "serving_roles": list(info.serving_roles),
        "active": info.active,
    }
    form = ServiceForm(request.POST or None, network=network, adding=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        config = _save(request, network, form, code, adding=False)
        if config is not None:
            messages.success(request, f"{config.label} saved.")
            return redirect("referrals:services")
    return _form_page(request, network, form, info)
