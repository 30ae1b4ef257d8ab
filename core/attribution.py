"""Every write attributable: who did it goes into the row history (django-pghistory's
context, stored with each event row the database triggers write).

Pages and the API already open a context for the request (pghistory's middleware,
``core.api.ScopedAPIMixin``). Services take ``by`` and open ``acting(by)`` around their
writes, so commands, Celery tasks and beat record the actor too: a person, or the system
(``by=None``: beat sweeps, scheduled meetings), named so the history says which.
"""

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, cast

import pghistory

if TYPE_CHECKING:  # the Celery app imports this module before Django has loaded its apps
    from .typing import User

SYSTEM = "system"


def acting(by: "User | None", *, via: str = "") -> AbstractContextManager[Any]:
    """The pghistory context for a write made by ``by`` (a user) or by the system (None).
    ``via`` names the command or task for system writes (``"beat:schedule_meetings"``)."""
    if by is None:
        # Without a `via`, a system write keeps that of the task or command it runs inside.
        system: dict[str, Any] = {"user": None, "username": SYSTEM}
        if via:
            system["via"] = via
        return pghistory.context(**system)
    context: dict[str, Any] = {"user": by.pk, "username": by.get_username()}
    if via:
        context["via"] = via
    return pghistory.context(**context)


def attributed[**P, R](service: Callable[P, R]) -> Callable[P, R]:
    """A service's writes, recorded as made by its ``by`` keyword (a user, or None for the
    system): the service runs inside ``acting(by)``. Services take ``by`` keyword-only and
    with no default, so a caller cannot forget it."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with acting(cast("User | None", kwargs.get("by"))):
            return service(*args, **kwargs)

    return wrapper
