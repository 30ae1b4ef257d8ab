from django.db.models import Q, QuerySet

from networks.roles import CASEWORK_ROLES
from networks.selectors import active_memberships, network_ids_where

from .models import Action


def actions_visible_to(user) -> QuerySet[Action]:
    """Tasks in networks where the user does casework, plus any assigned to them."""
    return Action.objects.filter(
        Q(network_id__in=network_ids_where(user, CASEWORK_ROLES)) | Q(assignee_id=user.pk)
    ).filter(network_id__in=list(active_memberships(user)))


def actions_for_me(user) -> Q:
    """Mine: assigned to me by name, or to my role in a network I belong to."""
    by_role = Q()
    for network_id, membership in active_memberships(user).items():
        by_role |= Q(network_id=network_id, assignee_role=membership.role)
    return Q(assignee_id=user.pk) | by_role


def actions_in_networks_of(user) -> QuerySet[Action]:
    """Any task in the user's networks, to tell "not yours" (403) from "not here" (404)."""
    return Action.objects.filter(network_id__in=list(active_memberships(user)))
