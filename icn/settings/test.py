"""The test suite: the same PostgreSQL and Redis engines, faster hashing, quiet logs."""

import os
from urllib.parse import urlsplit, urlunsplit

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

# `make test` runs the suite in parallel (pytest-xdist, icn/dev.py). PostgreSQL gets a test
# database per worker from pytest-django (test_icn_gw0, test_icn_gw1, ...); Redis gets a
# database per worker here, so that one worker's broker tests never purge or take another's
# tasks. The environment carries it to the workers and servers the tests start, marked as
# done so that their own settings do not move it again.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if (
    _XDIST_WORKER.startswith("gw")
    and os.environ.get("ICN_TEST_REDIS_WORKER") != _XDIST_WORKER
    and REDIS_URL.startswith(("redis://", "rediss://"))  # noqa: F405
):
    _shared = REDIS_URL  # noqa: F405
    _redis = urlsplit(_shared)
    _db = (int(_redis.path.strip("/") or 0) + int(_XDIST_WORKER[2:])) % 16
    REDIS_URL = urlunsplit(_redis._replace(path=f"/{_db}"))
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["ICN_TEST_REDIS_WORKER"] = _XDIST_WORKER
    if _shared == CELERY_BROKER_URL:  # noqa: F405
        CELERY_BROKER_URL = REDIS_URL
