"""Every write to webhooks: subscriptions, the events the domains record in their own
transactions (an outbox, docs/adr/0010), and each delivery's attempts.

A delivery is sent at least once and acknowledged once: its row is unique per subscription
and event, its `webhook-id` is fixed when it is made, a worker holds a lease on it while it
sends, and the sweep (tasks.sweep_deliveries) sends again whatever is due and unleased,
including a delivery whose worker died mid-request."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from core.attribution import attributed
from core.errors import NotAllowed
from networks.models import Network
from networks.roles import Role
from networks.selectors import role_in
from notifications.services import notification_send

from . import ssrf
from .models import Delivery, Event, EventType, Subscription

log = logging.getLogger(__name__)

# Who may subscribe, and to what: a chair hears the network, a partner system its own.
SCOPE_BY_ROLE = {
    Role.CHAIR: Subscription.Scope.NETWORK,
    Role.PARTNER_SYSTEM: Subscription.Scope.OWN,
}


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(url: str) -> ssrf.Target:
    try:
        return ssrf.check(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except ssrf.Refused as exc:
        raise ValidationError({"url": [str(exc)]}) from exc


def _clean_events(events: Iterable[str]) -> list[str]:
    events = list(events)
    unknown = [e for e in events if e not in EventType.values]
    if unknown:
        raise ValidationError(
            {
                "events": [
                    f"Unknown event {unknown[0]!r}: choose from {', '.join(EventType.values)}."
                ]
            }
        )
    if not events:
        raise ValidationError({"events": ["Choose at least one event."]})
    return sorted(set(events), key=EventType.values.index)


@attributed
@transaction.atomic
def subscription_create(
    *, network: Network, url: str, events: Iterable[str], by: User
) -> Subscription:
    """Subscribe `url` to `events` of `network`. The returned subscription's secret is shown
    to the caller once."""
    scope = SCOPE_BY_ROLE.get(role_in(by, network.pk))  # type: ignore[call-overload]
    if scope is None:
        raise NotAllowed("Only the network's chair or a partner system may add webhooks.")
    url = (url or "").strip()
    if len(url) > Subscription._meta.get_field("url").max_length:  # type: ignore[operator]
        raise ValidationError({"url": ["Keep the URL to 500 characters."]})
    events = _clean_events(events)
    check_url(url)
    subscription = Subscription(
        network=network, owner=by, scope=scope, url=url, events=events, secret=new_secret()
    )
    subscription.full_clean(exclude=["network", "owner"])
    subscription.save()
    return subscription


@attributed
@transaction.atomic
def subscription_remove(*, subscription: Subscription, by: User) -> Subscription:
    """Stop a subscription (its delivery log stays); what it had pending is abandoned."""
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.active:
        locked.active = False
        locked.save(update_fields=["active"])
        locked.deliveries.filter(status=Delivery.Status.PENDING).update(
            status=Delivery.Status.ABANDONED, last_error="The subscription was removed."
        )
    return locked


# -- events (called by the domains, in the transaction of the change) -----------------------


def event_record(
    *,
    network_id: int,
    type: str,
    data: dict[str, Any],
    referrer_id: int | None = None,
) -> Event | None:
    """Record that `type` happened, with `data` (ids and FHIR references only: no names, no
    NHS numbers), for the network's subscribers (and the partner system `referrer_id`, for
    its own referrals). One query when nobody listens; otherwise the event, a delivery per
    subscriber, and after commit a task to send each."""
    hears = Q(scope=Subscription.Scope.NETWORK)
    if referrer_id is not None:
        hears |= Q(scope=Subscription.Scope.OWN, owner_id=referrer_id)
    listening = list(
        Subscription.objects.filter(hears, network_id=network_id, active=True)
        .filter(events__contains=[type])
        .values_list("pk", flat=True)
    )
    if not listening:
        return None
    now = timezone.now()
    event = Event.objects.create(
        network_id=network_id, type=type, data=data, occurred_at=now, referrer_id=referrer_id
    )
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(
                network_id=network_id,
                subscription_id=pk,
                event=event,
                webhook_id=f"msg_{uuid.uuid4().hex}",
                next_attempt_at=now,
            )
            for pk in listening
        ]
    )
    ids = [d.pk for d in deliveries]

    def enqueue() -> None:
        from .tasks import deliver

        for pk in ids:
            deliver.delay(delivery_id=pk, network_id=network_id)

    # robust: with the broker down the change still commits; the sweep sends them later.
    transaction.on_commit(enqueue, robust=True)
    return event


def referral_data(referral: Any) -> dict[str, Any]:
    """A referral as a webhook's data: ids, FHIR references, status, service and the partner's
    own identifier; never the person's name or NHS number."""
    identifier = None
    if referral.external_id:
        identifier = {"system": referral.external_system, "value": referral.external_id}
    return {
        "referral": referral.pk,
        "serviceRequest": f"ServiceRequest/{referral.pk}",
        "patient": f"Patient/{referral.patient_id}",
        "status": referral.status,
        "service": referral.service,
        "urgency": referral.urgency,
        "identifier": identifier,
    }


# -- delivery -----------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: WEBHOOK_RETRY_SECONDS doubled each time (30 s,
    1, 2, 4, 8, 16, 32 minutes with the default), at most 6 hours."""
    seconds = settings.WEBHOOK_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 6 * 3600))


def payload(event: Event) -> bytes:
    body = {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": event.data}
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(secret: str, webhook_id: str, when: datetime, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": "ICN-Webhooks/1",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, when, body),
    }


def _lease(delivery_id: int) -> Delivery | None:
    """Take the delivery if it is pending, due and not being sent by another worker: its
    next_attempt_at moves to the end of a lease, committed before any request is made."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription", "event")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        if not delivery.subscription.active:
            delivery.status = Delivery.Status.ABANDONED
            delivery.last_error = "The subscription was removed."
            delivery.save(update_fields=["status", "last_error"])
            return None
        delivery.next_attempt_at = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
        delivery.save(update_fields=["next_attempt_at"])
    return delivery


def _attempt(delivery: Delivery) -> tuple[int | None, str]:
    """One POST: (status code, error text)."""
    body = payload(delivery.event)
    headers = signed_headers(
        delivery.subscription.secret, delivery.webhook_id, timezone.now(), body
    )
    try:
        # Resolved and checked again now: the address may have changed since subscribing.
        target = check_url(delivery.subscription.url)
    except ValidationError as exc:
        return None, "; ".join(exc.message_dict["url"])[:500]
    try:
        return ssrf.post(target, body, headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS), ""
    except OSError as exc:  # refused, reset, timed out, TLS
        return None, (f"{type(exc).__name__}: {exc}")[:500]


def delivery_send(*, delivery_id: int) -> str:
    """Send one delivery if it is due: `delivered`, `retry`, `abandoned`, or `skipped` (not
    pending, not due, or another worker holds it)."""
    delivery = _lease(delivery_id)
    if delivery is None:
        return "skipped"
    code, error = _attempt(delivery)
    now = timezone.now()
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status != Delivery.Status.PENDING:
            return "skipped"
        locked.attempts += 1
        locked.last_status_code = code
        locked.last_error = error or ("" if code and 200 <= code < 300 else f"HTTP {code}")
        if code is not None and 200 <= code < 300:
            locked.status = Delivery.Status.DELIVERED
            locked.delivered_at = now
            outcome = "delivered"
        elif locked.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            locked.status = Delivery.Status.ABANDONED
            outcome = "abandoned"
            _tell_owner(locked, delivery.subscription)
        else:
            locked.next_attempt_at = now + backoff(locked.attempts)
            outcome = "retry"
        locked.save()
    return outcome


def _tell_owner(delivery: Delivery, subscription: Subscription) -> None:
    """Once per delivery (the notification's unique key): the subscriber's owner hears that
    ICN gave up."""
    notification_send(
        recipient=subscription.owner,
        kind="webhook_abandoned",
        subject_type="webhook_delivery",
        subject_id=delivery.pk,
        title=f"A webhook to {subscription.url[:200]} was given up after "
        f"{delivery.attempts} attempts",
        body=f"Last answer: {delivery.last_error or delivery.last_status_code}.",
        url=(
            reverse("webhooks:page")  # the chair's page; a partner system reads the API
            if role_in(subscription.owner, subscription.network_id) == Role.CHAIR
            else reverse("api:webhook-deliveries", args=[subscription.pk])
        ),
        network=delivery.network_id,
    )


def deliveries_due(now: datetime | None = None, limit: int = 1000) -> list[tuple[int, int]]:
    """(delivery id, network id) of pending deliveries whose time (or lease) has passed."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", "network_id")[:limit]
    )
