"""The network's webhooks page (its chair): subscriptions, added (the secret shown once) and
removed, and the delivery log. Configuration and ids, no people: no access trail."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import add_service_errors
from networks.access import member_required
from networks.current import current_membership
from networks.roles import Role

from .models import Delivery, EventType, Subscription
from .services import subscription_create, subscription_remove

LOG_ROWS = 50


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        label="Address to send to",
        max_length=500,
        help_text="The partner system's https address that receives the events.",
    )
    events = forms.MultipleChoiceField(
        label="Events to send",
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )


def _network(request):
    membership = current_membership(request)
    if membership is None or membership.role != Role.CHAIR:
        raise PermissionDenied("Only the network's chair manages its webhooks.")
    return membership.network


def _page(request, network, form, *, secret: str = "", status: int = 200):
    subscriptions = Subscription.objects.filter(network=network, active=True).select_related(
        "owner"
    )
    log = (
        Delivery.objects.filter(network=network)
        .select_related("event", "subscription")
        .order_by("-created_at", "-pk")[:LOG_ROWS]
    )
    context = {
        "network": network,
        "form": form,
        "secret": secret,
        "subscriptions": subscriptions,
        "log": log,
    }
    return render(request, "webhooks/page.html", context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def webhooks_view(request):
    network = _network(request)
    if request.method == "GET":
        return _page(request, network, SubscriptionForm())
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        try:
            subscription = subscription_create(
                network=network,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Shown now and never again: not redirected, so it is in no URL or later page.
            return _page(request, network, SubscriptionForm(), secret=subscription.secret)
    return _page(request, network, form, status=422)


@member_required
@require_POST
def remove_view(request, pk: int):
    network = _network(request)
    subscription = Subscription.objects.filter(network=network, pk=pk, active=True).first()
    if subscription is None:
        raise Http404("No such webhook in this network.")
    subscription_remove(subscription=subscription, by=request.user)
    messages.success(request, f"Webhook to {subscription.url} removed.")
    return redirect("webhooks:page")
