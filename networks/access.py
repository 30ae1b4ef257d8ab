"""Page access: every page view is wrapped by one of these, and the meta-test checks that
each URL's view carries an `icn_access` marker (or is on the short public list)."""

from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render, resolve_url
from django_htmx.http import HttpResponseClientRedirect

from networks.selectors import active_memberships


def public(view):
    view.icn_access = "public"
    return view


def member_required(view):
    """Logged in and an active member of at least one network; deactivated members are
    turned away at once (memberships are read on every request)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if getattr(request, "htmx", False):
                # An expired session during an htmx swap: reload the whole page at login
                # rather than swapping the login form into a fragment.
                current = request.htmx.current_url_abs_path or request.get_full_path()
                return HttpResponseClientRedirect(
                    f"{resolve_url(settings.LOGIN_URL)}?next={quote(current)}"
                )
            return redirect_to_login(request.get_full_path())
        if not active_memberships(request.user):
            return render(request, "no_membership.html", status=403)
        return view(request, *args, **kwargs)

    wrapped.icn_access = "member"
    return wrapped
