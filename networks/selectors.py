"""Who belongs where. Every scoped read in ICN starts from `active_memberships`."""

from django.db.models import QuerySet

from .models import Membership, Network

_CACHE_ATTR = "_icn_active_memberships"


def active_memberships(user) -> dict[int, Membership]:
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


def forget_memberships(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def membership_in(user, network_id: int | None) -> Membership | None:
    if network_id is None:
        return None
    return active_memberships(user).get(network_id)


def role_in(user, network_id: int | None) -> str | None:
    membership = membership_in(user, network_id)
    return membership.role if membership else None


def network_ids_where(user, roles) -> list[int]:
    """Networks in which the user holds one of `roles` (active memberships only)."""
    return [nid for nid, m in active_memberships(user).items() if m.role in roles]


def networks_visible_to(user) -> QuerySet[Network]:
    return Network.objects.filter(id__in=list(active_memberships(user))).order_by("name")


def network_by_slug_for(user, slug: str) -> Network | None:
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
