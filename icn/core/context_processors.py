from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .network import current_membership


def network(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from networks.roles import CASEWORK_ROLES
    from networks.selectors import active_memberships

    membership = current_membership(request)

    def referral_services() -> list[str]:
        """Services whose inbox the user triages here (none for roles that do no casework)."""
        from referrals.selectors import services_served_by

        if membership is None or membership.role not in CASEWORK_ROLES:
            return []
        return services_served_by(user, membership.network)

    def inbox_count() -> int:
        from referrals.selectors import inbox_count

        return inbox_count(user, membership.network) if referral_services_lazy else 0

    def notifications_unread() -> int:
        from notifications.selectors import unread_count

        return unread_count(user)

    def my_work_count() -> int:
        """Tasks overdue, due today or unclaimed in the role queue (My work in the nav)."""
        from django.utils import timezone

        from actions.selectors import my_work_count

        if membership is None or membership.role not in CASEWORK_ROLES:
            return 0
        return my_work_count(user, membership.network, timezone.localdate())

    # Lazy: the queries run only when a template uses them (the navigation does).
    referral_services_lazy = SimpleLazyObject(referral_services)
    return {
        "memberships": sorted(active_memberships(user).values(), key=lambda m: m.network.name),
        "current_membership": membership,
        "current_network": membership.network if membership else None,
        "terms": membership.network.terms if membership else {},
        "referral_services": referral_services_lazy,
        "inbox_count": SimpleLazyObject(inbox_count),
        "my_work_count": SimpleLazyObject(my_work_count),
        # The notification bell in the header (templates/notifications/bell.html).
        "notifications_unread": SimpleLazyObject(notifications_unread),
        "bell_poll_seconds": getattr(settings, "ICN_BELL_POLL_SECONDS", 30),
    }
