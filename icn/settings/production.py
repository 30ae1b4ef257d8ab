"""Production: secrets must come from the environment; HTTPS everywhere.

`manage.py check --deploy --fail-level WARNING` passes with these settings (tested).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# A second factor for every page login and every API token (partner systems excepted).
ICN_REQUIRE_MFA = env.bool("ICN_REQUIRE_MFA", default=True)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
CONN_MAX_AGE = env.int("CONN_MAX_AGE", default=60)
for _alias in DATABASES.values():  # noqa: F405  (the replica's too, if there is one)
    _alias["CONN_MAX_AGE"] = CONN_MAX_AGE

# Single sign-on only over HTTPS, and only with ICN's client registration.
if OIDC_ISSUER:  # noqa: F405
    if not OIDC_ISSUER.startswith("https://"):  # noqa: F405
        raise ImproperlyConfigured("OIDC_ISSUER must be an https:// URL in production")
    if not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):  # noqa: F405
        raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
