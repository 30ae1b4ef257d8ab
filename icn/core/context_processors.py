from .network import current_membership


def network(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from networks.selectors import active_memberships

    membership = current_membership(request)
    return {
        "memberships": sorted(active_memberships(user).values(), key=lambda m: m.network.name),
        "current_membership": membership,
        "current_network": membership.network if membership else None,
        "terms": membership.network.terms if membership else {},
    }
