from datetime import timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from networks.roles import CLINICAL_ROLES
from networks.selectors import network_ids_where

from .models import AgendaItem, Meeting


def meetings_visible_to(user) -> QuerySet[Meeting]:
    """Meetings of the networks where the user does clinical casework."""
    return Meeting.objects.filter(network_id__in=network_ids_where(user, CLINICAL_ROLES))


def meetings_with_items(queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    items = AgendaItem.objects.exclude(status=AgendaItem.Status.REMOVED).select_related("patient")
    return queryset.select_related("network", "chair").prefetch_related(
        Prefetch("items", queryset=items)
    )


def upcoming(queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return queryset.filter(
        status=Meeting.Status.SCHEDULED,
        starts_at__gte=timezone.now() - timedelta(hours=12),
    )
