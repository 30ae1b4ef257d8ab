"""Every table that holds a network's people data is under row-level security (core/rls.py):
a table with a ``network_id`` or ``patient_id`` column must be registered in
``core.rls.TABLES`` (and its migration apply ``rls.isolate``) or listed, with why, in
``core.rls.NOT_ISOLATED``."""

import pytest
from django.db import connection

from core import rls

pytestmark = pytest.mark.django_db


def _tables_with_people_columns() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
            "AND NOT a.attisdropped AND a.attname IN ('network_id', 'patient_id')"
        )
        return {row[0] for row in cursor.fetchall()}


def _security() -> dict[str, tuple[bool, bool, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')",
            [rls.POLICY],
        )
        return {name: (enabled, forced, policy) for name, enabled, forced, policy in cursor}


def test_every_table_with_a_network_or_a_person_is_registered():
    unregistered = _tables_with_people_columns() - set(rls.TABLES) - set(rls.NOT_ISOLATED)
    assert not unregistered, (
        f"{sorted(unregistered)} hold a network_id or patient_id but are neither in "
        "core.rls.TABLES nor core.rls.NOT_ISOLATED: register each (core/rls.py says how)"
    )


def test_every_registered_table_has_forced_row_level_security_and_the_policy():
    security = _security()
    missing = sorted(t for t in rls.TABLES if security.get(t) != (True, True, True))
    assert not missing, (
        f"{missing}: registered in core.rls.TABLES but without ENABLE and FORCE ROW LEVEL "
        "SECURITY and the icn_network_isolation policy: add a migration with rls.isolate(...)"
    )


def test_what_is_not_isolated_says_why_and_is_not_also_registered():
    assert all(why.strip() for why in rls.NOT_ISOLATED.values())
    assert not set(rls.NOT_ISOLATED) & set(rls.TABLES)
