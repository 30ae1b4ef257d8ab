"""Page access: every page view is wrapped by one of these, and the meta-test checks that
each URL's view carries an `icn_access` marker (or is on the short public list)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from networks.selectors import active_memberships


def public(view):
    view.icn_access = "public"
    return view


def member_required(view):
    """Logged in and an active member of at least one network; deactivated members are
    turned away at once (memberships are read on every request)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not active_memberships(request.user):
            return render(request, "no_membership.html", status=403)
        return view(request, *args, **kwargs)

    wrapped.icn_access = "member"
    return wrapped
