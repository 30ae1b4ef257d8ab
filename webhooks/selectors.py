"""Reads of webhooks that depend on who asks: a network's chair sees the network's
subscriptions and their logs; a partner system sees its own."""

from django.db.models import Q, QuerySet

from core.typing import RequestUser
from networks.roles import Role
from networks.selectors import network_ids_where

from .models import Delivery, Subscription

WEBHOOK_ROLES = (Role.CHAIR, Role.PARTNER_SYSTEM)


def may_use_webhooks(user: RequestUser) -> bool:
    return bool(network_ids_where(user, WEBHOOK_ROLES))


def subscriptions_visible_to(user: RequestUser) -> QuerySet[Subscription]:
    chaired = network_ids_where(user, [Role.CHAIR])
    partner = network_ids_where(user, [Role.PARTNER_SYSTEM])
    return Subscription.objects.filter(
        Q(network_id__in=chaired)  # the network's admin: every subscription in it
        | Q(network_id__in=partner, owner_id=user.pk),  # a partner system: its own
        active=True,
    )


def deliveries_of(subscription: Subscription) -> QuerySet[Delivery]:
    return subscription.deliveries.select_related("event").order_by("-created_at", "-pk")
