"""The network a page user is working in (the network switcher), kept in the session."""

from networks.selectors import active_memberships

SESSION_KEY = "icn_network"


def current_membership(request):
    memberships = active_memberships(request.user)
    if not memberships:
        return None
    slug = request.session.get(SESSION_KEY)
    for membership in memberships.values():
        if membership.network.slug == slug:
            return membership
    return sorted(memberships.values(), key=lambda m: m.network.name)[0]


def switch_network(request, slug: str) -> bool:
    for membership in active_memberships(request.user).values():
        if membership.network.slug == slug:
            request.session[SESSION_KEY] = slug
            return True
    return False
