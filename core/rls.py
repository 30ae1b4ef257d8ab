"""Network isolation enforced by PostgreSQL: row-level security (docs/adr/0006).

Every table that holds a network's people data has ``FORCE ROW LEVEL SECURITY`` and one
policy, ``icn_network_isolation``, that lets a row be read or written only when its network
is in the connection's scope: the setting ``icn.networks`` (network ids, comma-separated), or
``icn.scope_all = 'on'`` for system work (beat sweeps, commands that span networks). Nothing
set means nothing visible.

The scope is set per request (``networks.middleware``, ``core.api.ScopedAPIMixin``) and per
Celery task (``icn.celery``), and cleared after each. A connection whose role bypasses RLS
(a superuser or ``BYPASSRLS``: the tables' owner in tests, ``migrate`` and commands) is sent
nothing at all, so it pays nothing; the application's role (``DATABASE_APP_ROLE``, e.g.
``icn_app``) is neither, and every query it makes is filtered.

**Registering a new table.** A table with a ``network_id`` or ``patient_id`` column must be
in ``TABLES`` (keyed how) or ``NOT_ISOLATED`` (with why), and a migration of its app must
apply the policy: ``operations = [rls.isolate("app_table")]``, depending on the migration
that creates it. ``tests/core/test_rls_registry.py`` fails for any table that is neither.
A change to the policy's expression (``_IN_SCOPE``) needs a migration that applies
``rls.isolate(*rls.TABLES)`` again (it drops and re-creates the policy).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.operations import RunSQL
from psycopg import sql as psycopg_sql
from psycopg.pq import TransactionStatus

POLICY = "icn_network_isolation"

# How each row finds its network. "network_id": the row's own column. ("parent_table",
# "column"): a child row is in scope when its parent row is visible (the parent's own policy
# applies inside the EXISTS). Each model's pghistory event table copies the row, so it is
# keyed the same way.
# One condition a row's network must meet, so that an index on network_id can serve it: the
# network ids in scope, computed once per query (a scalar sub-select is an InitPlan, where a
# bare current_setting() would be evaluated for every row); in system scope, every network's
# id, read from the networks table at that moment (so a network created in the same
# transaction is in it). The outer cast only makes ANY take the array as a value.
_IN_SCOPE = (
    "{col} = ANY (((SELECT CASE WHEN current_setting('icn.scope_all', true) = 'on' "
    "THEN ARRAY(SELECT id FROM networks_network) "
    "ELSE string_to_array(nullif(current_setting('icn.networks', true), ''), ',')::bigint[] "
    "END))::bigint[])"
)


def _by_network(*, nullable: bool = False) -> dict[str, str]:
    return {"key": "network_id", "nullable": "yes" if nullable else ""}


def _by_parent(parent: str, column: str) -> dict[str, str]:
    return {"key": f"{parent}.{column}"}


_PATIENT = "patients_patient"

TABLES: dict[str, dict[str, str]] = {
    # patients
    "patients_patient": _by_network(),
    "patients_patientevent": _by_network(),
    "patients_careteammember": _by_parent(_PATIENT, "patient_id"),
    "patients_careteammemberevent": _by_parent(_PATIENT, "patient_id"),
    "patients_frailtyassessment": _by_parent(_PATIENT, "patient_id"),
    "patients_frailtyassessmentevent": _by_parent(_PATIENT, "patient_id"),
    "patients_goal": _by_parent(_PATIENT, "patient_id"),
    "patients_goalevent": _by_parent(_PATIENT, "patient_id"),
    # audit: a refusal for an id outside every network of the caller has no network. It must
    # be writable by anyone, and INSERT ... RETURNING also needs it visible; no network's
    # trail shows it (the selectors filter by network).
    "audit_accessevent": _by_network(nullable=True),
    # break-glass grants (who broke the glass on whom)
    "audit_breakglass": _by_network(),
    # governance: subject access requests and erasure tombstones name a network's request
    "governance_subjectaccessrequest": _by_network(),
    "governance_erasure": _by_network(),
    # actions, care plans
    "actions_action": _by_network(),
    "actions_actionevent": _by_network(),
    "careplans_careplan": _by_network(),
    "careplans_careplanevent": _by_network(),
    "careplans_careplanneed": _by_parent("careplans_careplan", "plan_id"),
    "careplans_careplanneedevent": _by_parent("careplans_careplan", "plan_id"),
    "careplans_careplanintervention": _by_parent("careplans_careplan", "plan_id"),
    "careplans_careplaninterventionevent": _by_parent("careplans_careplan", "plan_id"),
    # notifications: one without a network is the recipient's own (an account matter).
    "notifications_notification": _by_network(nullable=True),
    # referrals
    "referrals_referral": _by_network(),
    "referrals_referralevent": _by_network(),
    "referrals_patientflag": _by_parent(_PATIENT, "patient_id"),
    "referrals_patientflagevent": _by_parent(_PATIENT, "patient_id"),
    # medicines
    "medicines_visit": _by_network(),
    "medicines_visitevent": _by_network(),
    "medicines_intervention": _by_parent("medicines_visit", "visit_id"),
    "medicines_medication": _by_parent(_PATIENT, "patient_id"),
    "medicines_medicationevent": _by_parent(_PATIENT, "patient_id"),
    "medicines_medicationreview": _by_parent(_PATIENT, "patient_id"),
    "medicines_medicationreviewevent": _by_parent(_PATIENT, "patient_id"),
    "medicines_residentallocation": _by_parent(_PATIENT, "patient_id"),
    "medicines_residentallocationevent": _by_parent(_PATIENT, "patient_id"),
    "medicines_supply": _by_parent(_PATIENT, "patient_id"),
    # a GP medication list staged for reconciliation, and its lines (with their decisions)
    "medicines_medicationimport": _by_network(),
    "medicines_medicationimportline": _by_parent(
        "medicines_medicationimport", "medication_import_id"
    ),
    "medicines_medicationimportlineevent": _by_parent(
        "medicines_medicationimport", "medication_import_id"
    ),
    # huddles
    "huddles_meeting": _by_network(),
    "huddles_meetingevent": _by_network(),
    "huddles_episode": _by_network(),
    "huddles_episodeevent": _by_network(),
    "huddles_agendaitem": _by_parent("huddles_meeting", "meeting_id"),
    "huddles_agendaitemevent": _by_parent("huddles_meeting", "meeting_id"),
    "huddles_attendance": _by_parent("huddles_meeting", "meeting_id"),
    "huddles_attendanceevent": _by_parent("huddles_meeting", "meeting_id"),
    "huddles_guest": _by_parent("huddles_meeting", "meeting_id"),
    "huddles_guestevent": _by_parent("huddles_meeting", "meeting_id"),
    # webhooks: subscriptions, the outbox of events, the delivery log (each its network's)
    "webhooks_subscription": _by_network(),
    "webhooks_event": _by_network(),
    "webhooks_delivery": _by_network(),
    # reports
    "reports_admissionevent": _by_network(),
    "reports_admissioneventevent": _by_network(),
    "reports_admissionimport": _by_network(),
    # the dashboard's referral counts (reports.tally): a network's figures, no person
    "reports_referraltally": _by_network(),
    "reports_triagetally": _by_network(),
    # first contact after acceptance (reports.contact): each accepted referral's, and counts
    "reports_firstcontact": _by_network(),
    "reports_contacttally": _by_network(),
    # the dashboard's counts of flags, goals, visits, actions, discharges (reports.stored)
    "reports_flagtally": _by_network(),
    "reports_goaltally": _by_network(),
    "reports_visittally": _by_network(),
    "reports_actiontally": _by_network(),
    "reports_dischargetally": _by_network(),
    "reports_followedtally": _by_network(),  # reports.followed
}

# Tables with a network_id or patient_id column that are deliberately not under RLS: they
# establish the scope, or they are a network's configuration rather than people's data.
NOT_ISOLATED: dict[str, str] = {
    "networks_membership": "establishes the scope (read to find the caller's networks)",
    "networks_membershipevent": "history of memberships (configuration)",
    "networks_cover": "who deputises for whom: read to route work before any scope",
    "networks_coverevent": "history of cover (configuration)",
    "networks_network_care_homes": "a network's configuration",
    "networks_network_gp_practices": "a network's configuration",
    "referrals_serviceconfig": "a network's services (configuration, labels on every page)",
}


def _using(table: str) -> tuple[str, str]:
    """The policy's USING and WITH CHECK expressions for table."""
    spec = TABLES[table]
    key = spec["key"]
    if key == "network_id":
        scoped = _IN_SCOPE.format(col="network_id")
        if spec.get("nullable"):
            scoped = f"(network_id IS NULL OR {scoped})"
        return scoped, scoped
    parent, column = key.split(".")
    # The parent's own policy filters the EXISTS: a child is visible when its parent is.
    exists = f"(EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {table}.{column}))"  # noqa: S608
    return exists, exists


def enable_sql(table: str) -> str:
    using, check = _using(table)
    return (
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; "
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY; "
        f"DROP POLICY IF EXISTS {POLICY} ON {table}; "
        f"CREATE POLICY {POLICY} ON {table} USING ({using}) WITH CHECK ({check});"
    )


def disable_sql(table: str) -> str:
    return (
        f"DROP POLICY IF EXISTS {POLICY} ON {table}; "
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; "
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"
    )


def isolate(*tables: str) -> RunSQL:
    """The migration operation that puts tables (registered in TABLES) under the policy."""
    return RunSQL(
        sql=[enable_sql(t) for t in tables],
        reverse_sql=[disable_sql(t) for t in reversed(tables)],
        elidable=False,
    )


# -- the connection's scope -------------------------------------------------------------------

_UNSET = ("", "off")  # a new session: no network, no system scope
_BYPASS: dict[tuple[Any, ...], bool] = {}  # per process: does this database role bypass RLS?


def _role_key(conn: BaseDatabaseWrapper) -> tuple[Any, ...]:
    s = conn.settings_dict
    return (conn.alias, s.get("USER"), s.get("HOST"), s.get("PORT"), s.get("NAME"))


def detect(conn: BaseDatabaseWrapper, *, fresh: bool = False) -> bool:
    """Whether RLS applies to conn's current role (remembered on the connection; asked once
    per process and database role unless fresh, e.g. after a SET ROLE)."""
    key = _role_key(conn)
    if fresh or key not in _BYPASS:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            row = cursor.fetchone()
        bypass = bool(row and row[0])
        if fresh:
            conn.icn_rls_enforced = not bypass  # type: ignore[attr-defined]
            conn.icn_rls_scope = _UNSET  # type: ignore[attr-defined]
            return not bypass
        _BYPASS[key] = bypass
    conn.icn_rls_enforced = not _BYPASS[key]  # type: ignore[attr-defined]
    conn.icn_rls_scope = _UNSET  # type: ignore[attr-defined]
    return not _BYPASS[key]


def on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created: a new session carries no scope; learn whether RLS applies. Behind a
    pooler, or on a replica, each query first makes sure of its scope (``_scope_each_query``)."""
    if connection.vendor == "postgresql":
        detect(connection)
        wrappers = connection.execute_wrappers
        needed = pooled() or connection.alias != DEFAULT_DB_ALIAS
        if needed and _scope_each_query not in wrappers:
            # First, so outermost: before any other wrapper's SQL (pghistory's context). Not
            # appended: a block using connection.execute_wrapper() pops the last one on exit,
            # and the connection may have been opened inside such a block.
            wrappers.insert(0, _scope_each_query)


def pooled() -> bool:
    """Whether connections go through a pooler in transaction mode (DATABASE_POOLER): a
    session is not ours between transactions, so the scope is set in each transaction."""
    from django.conf import settings

    return bool(getattr(settings, "DATABASE_POOLER", False))


def _scope_each_query(execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
    """An execute wrapper: the connection's scope is in force for this query.

    On a second alias (the replica, core/replica.py) the scope is the request's: that of the
    primary connection. Behind a pooler in transaction mode, a session-level setting would
    stay with a server connection that other clients then use, and be lost to us at the next
    transaction; so the scope is set with ``is_local`` in the query's own transaction: in
    autocommit the query is wrapped in one (BEGIN, set_config, the query, COMMIT), inside an
    atomic block it is set once at the block's first query (and again if it changes)."""
    conn = context["connection"]
    if not enforced(conn) or getattr(conn, "icn_rls_sending", False):
        return execute(sql, params, many, context)
    want = (
        current(conn) if conn.alias == DEFAULT_DB_ALIAS else current(connections[DEFAULT_DB_ALIAS])
    )
    if not pooled():
        _send(want, conn)  # nothing when it is already in force
        return execute(sql, params, many, context)
    conn.icn_rls_scope = want
    raw = conn.connection
    local = psycopg_sql.SQL(
        "SELECT set_config('icn.networks', {}, true), set_config('icn.scope_all', {}, true)"
    ).format(psycopg_sql.Literal(want[0]), psycopg_sql.Literal(want[1]))
    if conn.get_autocommit():
        raw.execute(psycopg_sql.SQL("BEGIN; {}").format(local))
        try:
            result = execute(sql, params, many, context)
        except BaseException:
            with suppress(Exception):  # a broken connection is closed by Django anyway
                raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")
        return result
    status = raw.info.transaction_status
    if status == TransactionStatus.IDLE or (
        status == TransactionStatus.INTRANS and getattr(conn, "icn_rls_in_txn", None) != want
    ):
        raw.execute(local)
        conn.icn_rls_in_txn = want
    return execute(sql, params, many, context)


def enforced(conn: BaseDatabaseWrapper | None = None) -> bool:
    conn = conn or default_connection
    return bool(getattr(conn, "icn_rls_enforced", False))


def _send(scope: tuple[str, str], conn: BaseDatabaseWrapper) -> None:
    if not enforced(conn) or getattr(conn, "icn_rls_scope", _UNSET) == scope:
        return
    if pooled():  # remembered, and set in each transaction (_scope_each_query)
        conn.icn_rls_scope = scope  # type: ignore[attr-defined]
        return
    conn.icn_rls_sending = True  # type: ignore[attr-defined]  # not again for this query
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('icn.networks', %s, false), "
                "set_config('icn.scope_all', %s, false)",
                list(scope),
            )
    finally:
        conn.icn_rls_sending = False  # type: ignore[attr-defined]
    conn.icn_rls_scope = scope  # type: ignore[attr-defined]


def current(conn: BaseDatabaseWrapper | None = None) -> tuple[str, str]:
    return getattr(conn or default_connection, "icn_rls_scope", _UNSET)


def set_scope(network_ids: Iterable[int], conn: BaseDatabaseWrapper | None = None) -> None:
    """Rows of these networks only, until changed or cleared."""
    ids = ",".join(str(int(n)) for n in sorted(set(network_ids)))
    _send((ids, "off"), conn or default_connection)


def clear_scope(conn: BaseDatabaseWrapper | None = None) -> None:
    """Nothing visible. If the connection cannot take it (a failed transaction), close it, so
    that no scope outlives the request or task that set it."""
    conn = conn or default_connection
    if conn.alias == DEFAULT_DB_ALIAS:  # and the replica's, which mirrors it
        for other in connections.all(initialized_only=True):
            if other.alias != DEFAULT_DB_ALIAS:
                clear_scope(other)
    if conn.connection is None or not enforced(conn):
        return
    try:
        _send(_UNSET, conn)
    except Exception:
        conn.close()


@contextmanager
def _scoped(scope: tuple[str, str], conn: BaseDatabaseWrapper | None) -> Iterator[None]:
    conn = conn or default_connection
    conn.ensure_connection()  # a new connection learns whether RLS applies to it
    before = current(conn)
    _send(scope, conn)
    try:
        yield
    finally:
        if conn.connection is not None:
            _send(before, conn)


def system_scope(conn: BaseDatabaseWrapper | None = None) -> Any:
    """Every network's rows: beat sweeps and commands that span networks."""
    return _scoped(("", "on"), conn)


def network_scope(network_ids: Iterable[int], conn: BaseDatabaseWrapper | None = None) -> Any:
    """These networks' rows for the block, then whatever was set before."""
    ids = ",".join(str(int(n)) for n in sorted(set(network_ids)))
    return _scoped((ids, "off"), conn)


class SystemScopeCommand(BaseCommand):
    """A management command that spans networks: it runs in ``system_scope()``, so it works
    as the tables' owner or as the application's role alike."""

    def execute(self, *args: Any, **options: Any) -> Any:
        with system_scope():
            return super().execute(*args, **options)


# -- the application's role -------------------------------------------------------------------


def grant_to_app_role(role: str, conn: BaseDatabaseWrapper | None = None) -> bool:
    """Give the application's role what it needs on every table and sequence of the schema
    (idempotent; also for tables created later by this owner). False if it does not exist."""
    conn = conn or default_connection
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            return False
        quoted = conn.ops.quote_name(role)
        cursor.execute(
            f"GRANT USAGE ON SCHEMA public TO {quoted}; "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}; "
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}; "
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}; "
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {quoted};"
        )
    return True


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: once per migrate (on the last app's signal), grant to DATABASE_APP_ROLE
    if that role exists."""
    from django.apps import apps
    from django.conf import settings
    from django.db import connections

    last = [c for c in apps.get_app_configs() if c.models_module is not None][-1]
    if sender is not last:
        return
    role = getattr(settings, "DATABASE_APP_ROLE", "")
    conn = connections[using]
    if role and conn.vendor == "postgresql" and not enforced(conn):
        grant_to_app_role(role, conn)
