"""The IG lead's count of break-glass not yet reviewed, in the navigation's one query
(``navigation_counts`` port)."""

from typing import Any

from networks.navigation import Navigation, count
from networks.roles import Role

from .selectors import break_glass_unreviewed


class Counts:
    keys = ("break_glass",)

    @staticmethod
    def expressions(user: Any, membership: Any) -> dict[str, Any]:
        if membership is None or membership.role != Role.IG_LEAD:
            return {}
        return {"break_glass": count(break_glass_unreviewed([membership.network_id]))}

    @staticmethod
    def apply(nav: Navigation, values: dict[str, Any], request: Any, membership: Any) -> None:
        nav.break_glass = values.get("break_glass") or 0
