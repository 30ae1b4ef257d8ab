"""The bell's unread count in the navigation (``navigation_counts`` port)."""

from typing import Any

from networks.navigation import Navigation, count

from .selectors import notifications_for


class Counts:
    keys = ("unread",)

    @staticmethod
    def expressions(user: Any, membership: Any) -> dict[str, Any]:
        return {"unread": count(notifications_for(user).filter(read_at__isnull=True))}

    @staticmethod
    def apply(nav: Navigation, values: dict[str, Any], request: Any, membership: Any) -> None:
        nav.unread = values.get("unread") or 0
