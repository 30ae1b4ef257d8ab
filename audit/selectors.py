from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from core.typing import User
from networks.models import Membership
from networks.roles import TRAIL_ROLES
from networks.selectors import active_memberships, network_ids_where

from .models import AccessEvent

NOT_TRAIL_ROLE = (
    "Only the information governance lead, the chair and managers may read the access trail."
)


def access_events_for_patient(patient: Model) -> QuerySet[AccessEvent]:
    """The events about one person (a Patient: audit stands below patients, so any model)."""
    return (
        AccessEvent.objects.filter(patient_id=patient.pk)
        .select_related("network")
        .order_by("-at", "-id")
    )


def trail_network_ids(user: User, slug: str = "") -> list[int]:
    """The networks whose trail the user reads: all where they hold a trail role, or the one
    named by `slug`. PermissionDenied (403) when they hold no trail role there (or anywhere);
    Http404 for a network they are not a member of."""
    if not slug:
        ids = network_ids_where(user, TRAIL_ROLES)
        if not ids:
            raise PermissionDenied(NOT_TRAIL_ROLE)
        return ids
    for membership in active_memberships(user).values():
        if membership.network.slug == slug:
            if membership.role not in TRAIL_ROLES:
                raise PermissionDenied(NOT_TRAIL_ROLE)
            return [membership.network_id]
    raise Http404("No such network among yours.")


def access_trail(network_ids: list[int]) -> QuerySet[AccessEvent]:
    """The networks' trail: every event in them, and the refused looks of their members that
    matched no one (`not_found`: an id outside all the member's networks, so no network)."""
    members = Membership.objects.filter(network_id__in=network_ids).values("user_id")
    return (
        AccessEvent.objects.filter(
            Q(network_id__in=network_ids) | Q(network__isnull=True, user_id__in=members)
        )
        .select_related("patient", "network")
        .order_by("-at", "-id")
    )


def access_events_visible_to(user: User) -> QuerySet[AccessEvent]:
    """The network-wide trail of every network whose trail the user reads (none: empty)."""
    return access_trail(network_ids_where(user, TRAIL_ROLES))
