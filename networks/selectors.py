"""Who belongs where. Every scoped read in ICN starts from `active_memberships`."""

import datetime
from collections.abc import Collection, Iterable

from django.db.models import QuerySet

from core.typing import RequestUser, User

from .models import Cover, Membership, Network

_CACHE_ATTR = "_icn_active_memberships"


def active_memberships(user: RequestUser | None) -> dict[int, Membership]:
    """The user's active memberships keyed by network id (one query per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = {
            m.network_id: m
            for m in Membership.objects.filter(user=user, is_active=True).select_related(
                "network", "organisation"
            )
        }
        setattr(user, _CACHE_ATTR, cached)
    return cached


_LABELS_ATTR = "_icn_member_labels"


def member_labels(network: Network) -> dict[int, str]:
    """ "Name, role" of everyone who is or was a member of the network (the role as the
    network calls it; former members keep the role they had), by user id. One query, kept on
    the network instance for the rest of the request: however many people a page names, and
    whether it names anyone (a query only when someone is named would grow with the rows)."""
    cached = getattr(network, _LABELS_ATTR, None)
    if cached is None:
        cached = {}
        for membership in Membership.objects.filter(network_id=network.pk).select_related("user"):
            user = membership.user
            name = user.get_full_name() or user.get_username()
            cached[membership.user_id] = f"{name}, {network.role_label(membership.role)}"
        setattr(network, _LABELS_ATTR, cached)
    return cached


def forget_memberships(user: RequestUser) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def membership_in(user: RequestUser, network_id: int | None) -> Membership | None:
    if network_id is None:
        return None
    return active_memberships(user).get(network_id)


def role_in(user: RequestUser, network_id: int | None) -> str | None:
    membership = membership_in(user, network_id)
    return membership.role if membership else None


def network_ids_where(user: RequestUser, roles: Collection[str]) -> list[int]:
    """Networks in which the user holds one of `roles` (active memberships only)."""
    return [nid for nid, m in active_memberships(user).items() if m.role in roles]


def networks_visible_to(user: RequestUser) -> QuerySet[Network]:
    return Network.objects.filter(id__in=list(active_memberships(user))).order_by("name")


def network_by_slug_for(user: RequestUser, slug: str) -> Network | None:
    for membership in active_memberships(user).values():
        if membership.network.slug == slug:
            return membership.network
    return None


def members_of(network_id: int) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(network_id=network_id, is_active=True)
        .select_related("user", "organisation", "network")
        .order_by("role", "user__last_name", "user__first_name")
    )


def deputies_on(
    day: datetime.date, network_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], int]:
    """{(network id, away member's user id): deputy's user id} for covers on `day`."""

    covers = Cover.objects.filter(starts_on__lte=day, ends_on__gte=day)
    if network_ids is not None:
        covers = covers.filter(network_id__in=list(network_ids))
    return {
        (network_id, member_id): deputy_id
        for network_id, member_id, deputy_id in covers.values_list(
            "network_id", "member_id", "deputy_id"
        )
    }


def covering_for(user: User, day: datetime.date) -> dict[int, list[int]]:
    """{network id: [user ids of members away whom `user` covers on `day`]}, only in networks
    where the user is still an active member."""

    networks = list(active_memberships(user))
    covered: dict[int, list[int]] = {}
    for network_id, member_id in Cover.objects.filter(
        deputy_id=user.pk, network_id__in=networks, starts_on__lte=day, ends_on__gte=day
    ).values_list("network_id", "member_id"):
        covered.setdefault(network_id, []).append(member_id)
    return covered


def covers_of(user: User, network_id: int) -> QuerySet[Cover]:
    """The user's own covers in a network that have not ended, soonest first."""
    from django.utils import timezone

    return (
        Cover.objects.filter(
            member_id=user.pk, network_id=network_id, ends_on__gte=timezone.localdate()
        )
        .select_related("deputy")
        .order_by("starts_on")
    )
