"""The navigation's counts (My work, the referrals inbox, the bell's unread notifications)
and the services the user triages, read in ONE query per request and kept on the request.

Each count belongs to the app that owns its rows (``notifications.navigation``,
``actions.navigation``, ``referrals.navigation``), registered in the ``navigation_counts``
port: networks is on a floor below them and does not import them.

A page whose main query returns a row anyway may carry the counts in it (`annotate`, then
`prime` with a row): the subqueries are uncorrelated, so PostgreSQL evaluates each once
(an InitPlan), however many rows the page's query returns. Otherwise the context
processor's first use reads them in their own query."""

from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import F, Func, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce

from core import ports

from .current import current_membership

_ATTR = "_icn_navigation"
_PREFIX = "icn_nav_"


@dataclass
class Navigation:
    unread: int = 0
    my_work: int = 0
    inbox: int = 0
    break_glass: int = 0  # the IG lead's break-glass not yet reviewed (audit.navigation)
    referral_services: list[str] = field(default_factory=list)


def count(queryset: Any) -> Coalesce:
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class Counts(Protocol):
    """What an app registers in the ``navigation_counts`` port: the expressions it adds to
    the one query (names unique across apps), and how it fills the ``Navigation`` from them."""

    keys: tuple[str, ...]

    def expressions(self, user: Any, membership: Any) -> dict[str, Any]: ...

    def apply(
        self, nav: Navigation, values: dict[str, Any], request: Any, membership: Any
    ) -> None: ...


def _counts() -> tuple[Counts, ...]:
    return ports.port("navigation_counts")


def _expressions(request) -> dict:
    user, membership = request.user, current_membership(request)
    expressions: dict[str, Any] = {}
    for counts in _counts():
        expressions.update(counts.expressions(user, membership))
    return expressions


def annotate(request, queryset):
    """`queryset` carrying the navigation's counts (for a full page; else as it is)."""
    if not _wanted(request) or hasattr(request, _ATTR):
        return queryset
    return queryset.annotate(**{_PREFIX + k: v for k, v in _expressions(request).items()})


def prime(request, row) -> None:
    """Take the counts from a row of a queryset that `annotate` extended."""
    keys = [key for counts in _counts() for key in counts.keys]
    if row is None or hasattr(request, _ATTR) or not any(hasattr(row, _PREFIX + k) for k in keys):
        return
    setattr(request, _ATTR, _build(request, {k: getattr(row, _PREFIX + k, None) for k in keys}))


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
    nav = Navigation()
    membership = current_membership(request)
    for counts in _counts():
        counts.apply(nav, values, request, membership)
    return nav
