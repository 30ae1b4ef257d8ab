from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import F, Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.typing import User
from networks.models import Membership
from networks.roles import TRAIL_ROLES, Role
from networks.selectors import active_memberships, network_ids_where

from .models import AccessEvent, BreakGlass

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


def glass_broken_patient_ids(user: User, patient_ids: Iterable[int]) -> set[int]:
    """Of these people, those the user holds a live break-glass grant for (one query)."""
    ids = list(patient_ids)
    if not ids or not user.is_authenticated:
        return set()
    return set(
        BreakGlass.objects.filter(
            user_id=user.pk, patient_id__in=ids, expires_at__gt=timezone.now()
        ).values_list("patient_id", flat=True)
    )


def glass_broken(user: User, patient: Model) -> bool:
    """Does the user hold a live break-glass grant for this person?"""
    return bool(glass_broken_patient_ids(user, [patient.pk]))


def break_glass_for_review(network_ids: list[int]) -> QuerySet[BreakGlass]:
    """The networks' break-glass grants, those not yet reviewed first, newest first."""
    return (
        BreakGlass.objects.filter(network_id__in=network_ids)
        .select_related("user", "patient", "network", "reviewed_by", "entry_author")
        .order_by(F("reviewed_at").asc(nulls_first=True), "-at", "-id")
    )


NOT_IG_LEAD = "Only the network's information governance lead reviews break-glass."


def review_network_ids(user: User, slug: str = "") -> list[int]:
    """The networks whose break-glass the user reviews: where they are the IG lead, or the one
    named by `slug`. PermissionDenied (403) for any other role there (or anywhere); Http404 for
    a network they are not a member of."""
    if not slug:
        ids = network_ids_where(user, {Role.IG_LEAD})
        if not ids:
            raise PermissionDenied(NOT_IG_LEAD)
        return ids
    for membership in active_memberships(user).values():
        if membership.network.slug == slug:
            if membership.role != Role.IG_LEAD:
                raise PermissionDenied(NOT_IG_LEAD)
            return [membership.network_id]
    raise Http404("No such network among yours.")


def break_glass_unreviewed(network_ids: list[int]) -> QuerySet[BreakGlass]:
    """The IG lead's queue (the navigation counts it in its one query)."""
    return BreakGlass.objects.filter(network_id__in=network_ids, reviewed_at__isnull=True)
