import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers

LOGIN_AT = "_icn_login_at"
PASSIVE = "_icn_passive_session"

View = Callable[..., HttpResponseBase]


def passive_session(view: View) -> View:
    """For requests the browser makes on its own (the notification bell's polling): the
    session is read but neither saved nor its cookie renewed, so an open tab does not keep an
    idle session alive past the idle timeout."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        setattr(request, PASSIVE, True)
        return view(request, *args, **kwargs)

    return wrapped


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a passive request (see `passive_session`) leaves a live session
    as it was: no save (which would move its expiry on) and no new cookie. A session that
    ended during the request (logged out, expired) is cleared as usual."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if getattr(request, PASSIVE, False) and session is not None and not session.is_empty():
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)


def record_login_time(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """user_logged_in: the session's start, saved with the login itself, so that the pages
    after it change nothing in the session (core/sessions.py then need not write it)."""
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = int(time.time())


class SessionLifetimeMiddleware:
    """An absolute session lifetime on top of the idle timeout (SESSION_COOKIE_AGE, renewed on
    every request): after SESSION_ABSOLUTE_SECONDS from login the user must log in again.
    The login time is recorded at login (record_login_time); a session from before that
    (or made some other way) records it on its first request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(LOGIN_AT)
            now = int(time.time())
            if started is None:
                request.session[LOGIN_AT] = now
            elif now - int(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)


class NoStoreMiddleware:
    """Nothing ICN serves may be kept by a browser or proxy cache: patient data on shared
    computers. Static files (served by WhiteNoise before this) are cached as usual."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store, private"
        response["Pragma"] = "no-cache"
        return response
