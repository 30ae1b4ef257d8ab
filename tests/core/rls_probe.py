"""Test-only probes for row-level security (tests/core/test_rls.py): a page, an API view and
two Celery tasks that read without any selector, so whatever they see is what PostgreSQL lets
through. The URLconf is the project's with the two probes added."""

import json

import redis
from celery import shared_task
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ScopedAPIMixin
from huddles.models import AgendaItem
from medicines.models import Visit
from networks.access import member_required
from patients.models import CareTeamMember, Patient
from referrals.models import Referral


def seen() -> dict:
    """Unscoped reads: the networks of every person, visit and referral visible, and how many
    child rows (keyed through their parent) are."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        user = cursor.fetchone()[0]
    return {
        "current_user": user,
        "patients": sorted({p.network_id for p in Patient.objects.all()}),
        "visits": sorted(set(Visit.objects.values_list("network_id", flat=True))),
        "referrals": sorted(set(Referral.objects.values_list("network_id", flat=True))),
        "care_team": sorted(
            set(CareTeamMember.objects.values_list("patient__network_id", flat=True))
        ),
        "agenda_items": sorted(
            set(AgendaItem.objects.values_list("meeting__network_id", flat=True))
        ),
        "patient_count": Patient.objects.count(),
    }


@member_required
def page_probe(request):
    return JsonResponse(seen())


class ApiProbe(ScopedAPIMixin, APIView):
    def get(self, request):
        return Response(seen())


urlpatterns = [
    path("rls-probe/", page_probe),
    path("api/rls-probe/", ApiProbe.as_view()),
    path("", include("icn.urls")),
]


def _report(key: str) -> None:
    redis.Redis.from_url(settings.REDIS_URL).set(key, json.dumps(seen()), ex=300)


@shared_task(name="tests.rls_probe")
def rls_probe(*, key: str, network_id: int) -> None:
    _report(key)


@shared_task(name="tests.rls_probe_system", icn_system=True)
def rls_probe_system(*, key: str) -> None:
    _report(key)
