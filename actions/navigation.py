"""My work's count in the navigation (``navigation_counts`` port): tasks overdue, due today
or unclaimed in the role queue, for the roles that do casework."""

from typing import Any

from django.utils import timezone

from networks.navigation import Navigation, count
from networks.roles import CASEWORK_ROLES

from .selectors import my_work_counted


class Counts:
    keys = ("my_work",)

    @staticmethod
    def expressions(user: Any, membership: Any) -> dict[str, Any]:
        if membership is None or membership.role not in CASEWORK_ROLES:
            return {}
        network = membership.network
        return {"my_work": count(my_work_counted(user, network, timezone.localdate()))}

    @staticmethod
    def apply(nav: Navigation, values: dict[str, Any], request: Any, membership: Any) -> None:
        nav.my_work = values.get("my_work") or 0
