"""The navigation's counts (My work, the referrals inbox, the bell's unread notifications)
and the services the user triages, read in ONE query per request and kept on the request.

A page whose main query returns a row anyway may carry the counts in it (`annotate`, then
`prime` with a row): the subqueries are uncorrelated, so PostgreSQL evaluates each once
(an InitPlan), however many rows the page's query returns. Otherwise the context
processor's first use reads them in their own query."""

from dataclasses import dataclass, field

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, F, Func, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone

from .current import current_membership

_ATTR = "_icn_navigation"
_PREFIX = "icn_nav_"


@dataclass
class Navigation:
    unread: int = 0
    my_work: int = 0
    inbox: int = 0
    referral_services: list[str] = field(default_factory=list)


def _count(queryset):
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _expressions(request) -> dict:
    from actions.selectors import my_work_counted
    from networks.roles import CASEWORK_ROLES
    from notifications.selectors import notifications_for
    from referrals.models import Referral, ServiceConfig

    user = request.user
    expressions = {"unread": _count(notifications_for(user).filter(read_at__isnull=True))}
    membership = current_membership(request)
    if membership is None or membership.role not in CASEWORK_ROLES:
        return expressions
    network = membership.network
    expressions["my_work"] = _count(my_work_counted(user, network, timezone.localdate()))
    configs = ServiceConfig.objects.filter(network_id=network.pk).order_by("service")
    expressions["configs"] = ArraySubquery(
        configs.values(
            json=JSONObject(
                service=F("service"),
                serving_roles=F("serving_roles"),
                accepts=F("accepts"),
                active=F("active"),
            )
        )
    )
    waiting = (
        Referral.objects.filter(network_id=network.pk, status=Referral.Status.NEW)
        .order_by("service")
        .values("service")
        .annotate(n=Count("*"))  # COUNT(*): the partial inbox index answers it alone
    )
    expressions["new_services"] = ArraySubquery(waiting.values("service"))
    expressions["new_counts"] = ArraySubquery(waiting.values("n"))
    return expressions


def annotate(request, queryset):
    """`queryset` carrying the navigation's counts (for a full page; else as it is)."""
    if not _wanted(request) or hasattr(request, _ATTR):
        return queryset
    return queryset.annotate(**{_PREFIX + k: v for k, v in _expressions(request).items()})


def prime(request, row) -> None:
    """Take the counts from a row of a queryset that `annotate` extended."""
    if row is None or hasattr(request, _ATTR) or not hasattr(row, _PREFIX + "unread"):
        return
    setattr(request, _ATTR, _build(request, {k: getattr(row, _PREFIX + k, None) for k in _KEYS}))


_KEYS = ("unread", "my_work", "configs", "new_services", "new_counts")


def _wanted(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def navigation(request) -> Navigation:
    cached = getattr(request, _ATTR, None)
    if cached is None:
        values = {}
        if _wanted(request):
            from django.contrib.auth import get_user_model

            expressions = _expressions(request)
            # The carrier row: the user's own (always there).
            carrier = get_user_model().objects.filter(pk=request.user.pk).order_by()
            values = carrier.annotate(**expressions).values(*expressions).first() or {}
        cached = _build(request, values)
        setattr(request, _ATTR, cached)
    return cached


def _build(request, values: dict) -> Navigation:
    nav = Navigation(unread=values.get("unread") or 0, my_work=values.get("my_work") or 0)
    membership = current_membership(request)
    if membership is None or values.get("configs") is None:
        return nav
    from referrals.models import ServiceConfig
    from referrals.selectors import service_directory, services_served_by

    network = membership.network
    service_directory(
        network,
        configs=[ServiceConfig(network_id=network.pk, **config) for config in values["configs"]],
    )
    nav.referral_services = services_served_by(request.user, network)
    services, counts = values.get("new_services") or [], values.get("new_counts") or []
    waiting = dict(zip(services, counts, strict=True))
    nav.inbox = sum(waiting.get(code, 0) for code in nav.referral_services)
    return nav
