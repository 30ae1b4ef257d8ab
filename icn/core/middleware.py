import time

from django.conf import settings
from django.contrib.auth import logout

LOGIN_AT = "_icn_login_at"


class SessionLifetimeMiddleware:
    """An absolute session lifetime on top of the idle timeout (SESSION_COOKIE_AGE, renewed on
    every request): after SESSION_ABSOLUTE_SECONDS from login the user must log in again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
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

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Cache-Control"] = "no-store, private"
        response["Pragma"] = "no-cache"
        return response
