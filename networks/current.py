"""The network a page user is working in (the network switcher), kept in the session."""

from networks.selectors import active_memberships

SESSION_KEY = "icn_network"


_ATTR = "_icn_current_membership"


def current_membership(request):
    """Worked out once per request (kept on the request; the memberships on the user)."""
    memberships = active_memberships(request.user)
    cached = getattr(request, _ATTR, None)
    if cached is not None and cached[0] is memberships:
        return cached[1]
    membership = _current(request, memberships)
    setattr(request, _ATTR, (memberships, membership))
    return membership


def _current(request, memberships):
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
            if hasattr(request, _ATTR):
                delattr(request, _ATTR)
            return True
    return False
