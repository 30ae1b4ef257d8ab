"""The referrals inbox in the navigation (``navigation_counts`` port): the services the user
triages here and how many new referrals wait for them, for the roles that do casework. The
network's service configuration comes in the same query and primes the service directory."""

from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, F
from django.db.models.functions import JSONArray, JSONObject

from networks.navigation import Navigation
from networks.roles import CASEWORK_ROLES

from .models import Referral, ServiceConfig
from .selectors import service_directory, services_served_by


class Counts:
    keys = ("configs", "waiting")

    @staticmethod
    def expressions(user: Any, membership: Any) -> dict[str, Any]:
        if membership is None or membership.role not in CASEWORK_ROLES:
            return {}
        network = membership.network
        configs = ServiceConfig.objects.filter(network_id=network.pk).order_by("service")
        # One pass over the new referrals (the partial inbox index answers COUNT(*) alone):
        # a [service, count] pair per service.
        waiting = (
            Referral.objects.filter(network_id=network.pk, status=Referral.Status.NEW)
            .order_by("service")
            .values("service")
            .annotate(pair=JSONArray("service", Count("*")))
        )
        return {
            "configs": ArraySubquery(
                configs.values(
                    json=JSONObject(
                        service=F("service"),
                        serving_roles=F("serving_roles"),
                        accepts=F("accepts"),
                        active=F("active"),
                    )
                )
            ),
            "waiting": ArraySubquery(waiting.values("pair")),
        }

    @staticmethod
    def apply(nav: Navigation, values: dict[str, Any], request: Any, membership: Any) -> None:
        if membership is None or values.get("configs") is None:
            return
        network = membership.network
        service_directory(
            network,
            configs=[ServiceConfig(network_id=network.pk, **c) for c in values["configs"]],
        )
        nav.referral_services = services_served_by(request.user, network)
        waiting = dict(values.get("waiting") or [])
        nav.inbox = sum(waiting.get(code, 0) for code in nav.referral_services)
