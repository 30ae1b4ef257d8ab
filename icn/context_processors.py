from django.conf import settings
from django.utils.functional import SimpleLazyObject

from networks.current import current_membership
from networks.navigation import navigation
from networks.selectors import active_memberships


def network(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    membership = current_membership(request)

    # Lazy: the navigation's one query runs only when a template uses its counts (the
    # navigation does), unless the page's own query brought them (networks.navigation).
    def referral_services() -> list[str]:
        """Services whose inbox the user triages here (none for roles that do no casework)."""
        return navigation(request).referral_services

    return {
        "memberships": sorted(active_memberships(user).values(), key=lambda m: m.network.name),
        "current_membership": membership,
        "current_network": membership.network if membership else None,
        "terms": membership.network.terms if membership else {},
        "referral_services": SimpleLazyObject(referral_services),
        "inbox_count": SimpleLazyObject(lambda: navigation(request).inbox),
        # Tasks overdue, due today or unclaimed in the role queue (My work in the nav).
        "my_work_count": SimpleLazyObject(lambda: navigation(request).my_work),
        # The IG lead's break-glass not yet reviewed (Break-glass in the nav).
        "break_glass_count": SimpleLazyObject(lambda: navigation(request).break_glass),
        # The notification bell in the header (templates/notifications/bell.html).
        "notifications_unread": SimpleLazyObject(lambda: navigation(request).unread),
        "bell_poll_seconds": getattr(settings, "ICN_BELL_POLL_SECONDS", 30),
    }
