"""Every write attributable: who did it goes into the row history (django-pghistory's
context, stored with each event row the database triggers write).

Pages and the API already open a context for the request (pghistory's middleware,
``core.api.ScopedAPIMixin``). Services take ``by`` and open ``acting(by)`` around their
writes, so commands, Celery tasks and beat record the actor too: a person, or the system
(``by=None``: beat sweeps, scheduled meetings), named so the history says which.
"""

from contextlib import AbstractContextManager
from typing import Any

import pghistory

from .typing import User

SYSTEM = "system"


def acting(by: User | None, *, via: str = "") -> AbstractContextManager[Any]:
    """The pghistory context for a write made by ``by`` (a user) or by the system (None).
    ``via`` names the command or task for system writes (``"beat:schedule_meetings"``)."""
    if by is None:
        return pghistory.context(user=None, username=SYSTEM, via=via or SYSTEM)
    context: dict[str, Any] = {"user": by.pk, "username": by.get_username()}
    if via:
        context["via"] = via
    return pghistory.context(**context)
