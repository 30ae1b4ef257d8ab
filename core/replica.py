"""Reads that tolerate lag go to a PostgreSQL streaming replica (docs/deployment.md).

With ``DATABASE_REPLICA_URL`` set, the settings add a second database alias, ``replica``
(the same application role, so row-level security applies there too), and this router.
Without it there is no such alias and nothing here changes anything: every read and write
goes to ``default`` as before.

**What reads from the replica.** Only code inside ``replica_reads()`` (or a view decorated
with ``reads_from_replica``), and in it only the people's data and figures (``LAG_TOLERANT``
apps): the reports (dashboard, figures, networks side by side, evaluation, monthly reports
and their CSV/PDF downloads, the reports API) and the rows of FHIR ``Patient/$everything``.
A replica is typically milliseconds to a few seconds behind; a commissioner's figures or a
bundle for another system are as good seconds old, and each such response says as of when
(the ``ICN-Data-As-Of`` header: the primary's commit time of the last change replayed).

**What must never lag**, and so always reads from the primary, even inside the block:
anything a user has just written and reads back (forms, lists after a POST, the page a
redirect lands on: these views are not in a block at all), permissions and memberships
(networks, accounts), API tokens and sessions, break-glass and the access trail (audit),
consent and governance requests. The checks that decide whether a report or ``$everything``
may be seen run before or outside the block, on the primary.

**Every write goes to the primary**, including the access-trail rows a report records.

**A replica that is down** costs the reports nothing but freshness: when the block starts,
the replica is asked ``SELECT 1`` (through its connection, made or reused); if that fails,
within DATABASE_REPLICA_CONNECT_TIMEOUT, the block's reads go to the primary and the replica
is left alone for DATABASE_REPLICA_RETRY_SECONDS before it is tried again (per process). A
warning is logged; the response carries no ``ICN-Data-As-Of``, as its data are the
primary's.

**Row-level security on the replica.** The replica connection takes the scope of the
request's primary connection before each query (``core/rls.py``, ``mirror``), so a report
sees on the replica exactly the networks it would see on the primary.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

REPLICA = "replica"
logger = logging.getLogger(__name__)

# People's data and figures: seconds-old is fine for a report. Everything else (accounts,
# networks and memberships, audit and break-glass, governance and consent, sessions, tokens,
# Django's own tables) always reads from the primary.
LAG_TOLERANT = frozenset(
    {"patients", "referrals", "actions", "careplans", "medicines", "huddles", "reports", "dmd"}
)

_reading: ContextVar[bool] = ContextVar("icn_replica_reads", default=False)
# time.monotonic() until which a replica (by host, port and database) is not tried: it did
# not answer.
_down_until: dict[tuple[str, str, str], float] = {}


def configured() -> bool:
    return REPLICA in settings.DATABASES


def active() -> bool:
    """Whether reads that tolerate lag go to the replica here and now."""
    return _reading.get() and configured()


def read_alias() -> str:
    """The alias a raw SQL report should read from (the replica inside a block, if any)."""
    return REPLICA if active() else DEFAULT_DB_ALIAS


def reachable() -> bool:
    """Whether the replica answers a query. A failure keeps it out for
    DATABASE_REPLICA_RETRY_SECONDS."""
    where = connections[REPLICA].settings_dict
    key = (str(where.get("HOST")), str(where.get("PORT")), str(where.get("NAME")))
    if time.monotonic() < _down_until.get(key, 0.0):
        return False
    try:
        # A query, not only a connection: through pgbouncer the connection is to the pooler,
        # which reaches the replica only when asked something.
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT 1")
    except OperationalError as exc:
        _down_until[key] = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
        logger.warning(
            "The read replica does not answer (%s): reports read from the primary for %s s.",
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            settings.DATABASE_REPLICA_RETRY_SECONDS,
        )
        return False
    return True


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads of lag-tolerant data inside the block come from the replica, if configured and
    it answers; otherwise from the primary."""
    token = _reading.set(configured() and reachable())
    try:
        yield
    finally:
        _reading.reset(token)


def data_as_of() -> str:
    """The primary's commit time of the last transaction the replica has replayed (ISO 8601),
    or "" when reads are not from a replica (or it has replayed nothing yet)."""
    if not configured() or connections[REPLICA].connection is None:
        return ""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_last_xact_replay_timestamp()")
        row = cursor.fetchone()
    return row[0].isoformat() if row and row[0] else ""


def reads_from_replica(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view (or an API view's method) whose reads tolerate lag: run it in
    ``replica_reads()`` and say as of when in the ``ICN-Data-As-Of`` header."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not configured():
            return view(*args, **kwargs)
        with replica_reads():
            response = view(*args, **kwargs)
            as_of = data_as_of() if active() else ""
        if as_of and hasattr(response, "headers"):
            response.headers["ICN-Data-As-Of"] = as_of
        return response

    return wrapped


class ReplicaRouter:
    """``DATABASE_ROUTERS`` when the replica is configured (icn/settings/base.py)."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if active() and model._meta.app_label in LAG_TOLERANT:  # type: ignore[attr-defined]
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # One database seen at two moments: a row read from the replica may be linked to
        # one written on the primary (an access-trail row naming a person, say).
        return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # a replica copies the primary; it is never migrated
