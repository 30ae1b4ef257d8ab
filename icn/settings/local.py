"""A developer's machine (`make run`): DEBUG on unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DEBUG", default=True)

# Static files come from the app folders (finders); no collectstatic needed.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# E-mails (reminders, digests, minutes) as files, one per message batch, unless EMAIL_URL says
# where to send them: the console stays quiet, and `make run` says where they are.
if not env.str("EMAIL_URL", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = BASE_DIR / ".data" / "mail"

# Webhooks may go to a receiver on this machine or the local network (never in production).
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=True)
