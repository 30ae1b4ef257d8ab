"""The test suite: the same PostgreSQL and Redis engines, faster hashing, quiet logs."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# Static files come from the app folders (finders); no collectstatic needed.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A queue of its own, so that a developer's running worker never takes the suite's tasks.
CELERY_TASK_DEFAULT_QUEUE = "icn-test"

# Webhooks: receivers started by the tests listen on 127.0.0.1 (the SSRF tests turn this off);
# short waits, so that retries and a lost worker's lease run out within a test.
WEBHOOK_ALLOW_PRIVATE = True
WEBHOOK_RETRY_SECONDS = 1
WEBHOOK_TIMEOUT_SECONDS = 2.0
WEBHOOK_LEASE_SECONDS = 3
# An unchanged session is written again only after this long (core/sessions.py): longer than
# any test, so that a slow machine never adds the renewal's UPDATE to a page's query count
# between two measurements. tests/core/test_sessions.py tries the production figure.
SESSION_RENEW_SECONDS = 600
