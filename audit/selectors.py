from django.db.models import QuerySet

from networks.roles import OVERSIGHT_ROLES
from networks.selectors import network_ids_where

from .models import AccessEvent


def access_events_for_patient(patient) -> QuerySet[AccessEvent]:
    return (
        AccessEvent.objects.filter(patient=patient).select_related("network").order_by("-at", "-id")
    )


def access_events_visible_to(user) -> QuerySet[AccessEvent]:
    """The network-wide trail, for chairs and managers of those networks."""
    return (
        AccessEvent.objects.filter(network_id__in=network_ids_where(user, OVERSIGHT_ROLES))
        .select_related("patient", "network")
        .order_by("-at", "-id")
    )
