"""The COPY writer of the synthetic data: tables as COPY statements, ids from the tables'
sequences in blocks, transactions without history (and, where allowed, without triggers), and
the foreign keys of what was written checked set-based."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import pghistory.trigger
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import JSONField
from django.db.models.fields import NOT_PROVIDED
from pgtrigger import registry
from psycopg import sql

from actions.models import Action
from demo.synthetic.shape import ID_BLOCK
from huddles.models import AgendaItem, Attendance, Episode, Meeting
from medicines.models import Intervention, Medication, MedicationReview, Visit
from networks.models import Cover, Membership, Network, Organisation
from notifications.models import Preference
from patients.models import CareTeamMember, FrailtyAssessment, Goal, Patient
from referrals.models import PatientFlag, Referral, ServiceConfig
from reports.models import AdmissionEvent, AdmissionImport, PracticePopulation

User = get_user_model()


@lru_cache(maxsize=1)
def history_triggers() -> str:
    """The pghistory triggers (only those: not, say, the audit trail's protection), as the
    value of the `pgtrigger.ignore` setting."""
    names = sorted(
        {
            trigger.get_pgid(model)
            for model, trigger in registry.registered()
            if isinstance(trigger, pghistory.trigger.Event)
        }
    )
    return "{" + ",".join(names) + "}"


@contextmanager
def writing(replica: bool):
    """For the current transaction: no history (`pgtrigger.ignore` for pghistory's triggers)
    and, with `replica`, no triggers at all (session_replication_role). Both are put back
    afterwards: inside a test's transaction, SET LOCAL would outlast the savepoint. (On an
    error the transaction or savepoint is rolled back, and the settings with it.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('pgtrigger.ignore', true), "
            "current_setting('session_replication_role')"
        )
        ignored, role = cursor.fetchone()
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [history_triggers()])
        if replica:
            cursor.execute("SET LOCAL session_replication_role = replica")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [ignored or "{}"])
        cursor.execute("SELECT set_config('session_replication_role', %s, true)", [role])


class Table:
    """COPY into a model's table: the fields given, then every other concrete column with its
    default (so a field added later with a default needs no change here)."""

    def __init__(self, model, fields: tuple[str, ...]):
        meta = model._meta
        self.model = model
        self.name = meta.db_table
        self.numbered = fields[0] == "id"  # ids given here, in increasing order
        given = [meta.get_field(name) for name in fields]
        names = {f.attname for f in given}
        columns = [f.column for f in given]
        tail = []
        for f in meta.concrete_fields:
            if f.attname in names or f.primary_key or f.db_default is not NOT_PROVIDED:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                raise ImproperlyConfigured(f"{meta.label}.{f.name}: the builder must set it")
            if f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif f.empty_strings_allowed:
                value = ""
            else:
                raise ImproperlyConfigured(f"{meta.label}.{f.name} has no default to copy")
            columns.append(f.column)
            tail.append(json.dumps(value) if isinstance(f, JSONField) else value)
        self.tail = tuple(tail)
        quoted = ", ".join(f'"{c}"' for c in columns)
        self.sql = f'COPY "{self.name}" ({quoted}) FROM STDIN'


@dataclass
class Stat:
    rows: int = 0
    seconds: float = 0.0


TABLES = {
    "org": (Organisation, ("id", "code", "name", "kind", "address", "phone")),
    "network": (
        Network,
        (
            "id", "slug", "name", "vocabulary", "cadence", "meeting_weekdays", "meeting_time",
            "schedule_anchor", "meeting_minutes", "created_at",
        ),
    ),
    "practices": (Network.gp_practices.through, ("network", "organisation")),
    "homes": (Network.care_homes.through, ("network", "organisation")),
    "user": (
        User,
        (
            "id", "password", "username", "first_name", "last_name", "email", "is_active",
            "is_staff", "is_superuser", "date_joined",
        ),
    ),
    "membership": (
        Membership,
        (
            "id",
            "user",
            "network",
            "role",
            "organisation",
            "job_title",
            "is_active",
            "created_at",
            "care_home",
        ),
    ),
    "service": (ServiceConfig, ("network", "service", "label", "serving_roles", "accepts")),
    "preference": (Preference, ("user", "email", "updated_at")),
    "cover": (
        Cover,
        ("network", "member", "deputy", "starts_on", "ends_on", "note", "created_by", "created_at"),
    ),
    "meeting": (
        Meeting,
        (
            "id", "network", "scheduled_for", "starts_at", "status", "chair", "cancelled_reason",
            "closed_at", "created_at",
        ),
    ),
    "attendance": (Attendance, ("meeting", "user", "present")),
    "import": (
        AdmissionImport,
        ("id", "network", "filename", "uploaded_by", "uploaded_at", "status", "decided_at"),
    ),
    "population": (
        PracticePopulation,
        ("practice", "month", "registered", "recorded_by", "recorded_at"),
    ),
    "patient": (
        Patient,
        (
            "id", "network", "nhs_number", "given_name", "family_name", "date_of_birth",
            "address", "postcode", "phone", "gp_practice", "care_home", "key_worker",
            "notes_for_visitors", "social_needs", "what_matters", "frailty", "caseload_reason",
            "clinical_notes", "care_needs", "consent_mdt", "consent_sharing",
            "consent_best_interest_by", "consent_best_interest_on",
            "consent_recorded_by", "consent_recorded_at", "created_at", "created_by",
            "updated_at",
        ),
    ),
    "referral": (
        Referral,
        (
            "id", "network", "patient", "service", "reason", "urgency", "status", "origin",
            "referred_by", "source_organisation", "source_contact", "created_at", "triaged_at",
            "triaged_by", "decline_reason", "decline_note", "closed_at", "closed_by",
        ),
    ),
    "flag": (
        PatientFlag,
        (
            "patient", "flag", "referral", "raised_from", "note", "raised_by", "raised_at",
            "resolved_at", "resolved_by", "resolution",
        ),
    ),
    "episode": (
        Episode,
        (
            "patient", "network", "referral", "opened_at", "closed_at", "admission_avoided",
            "closing_reason",
        ),
    ),
    "item": (
        AgendaItem,
        (
            "id", "meeting", "patient", "source", "reason", "referral", "position", "status",
            "notes", "decision", "next_review_on", "admission_avoided", "decision_reason",
            "decided_at", "decided_by", "version", "updated_at",
        ),
    ),
    "action": (
        Action,
        (
            "id", "network", "patient", "title", "details", "assignee", "assignee_role",
            "due_on", "status", "source", "agenda_item", "claimed_from_role", "claimed_at",
            "created_by", "created_at", "done_at", "done_by",
        ),
    ),
    "visit": (
        Visit,
        (
            "id", "network", "patient", "kind", "visitor", "joint_visitor", "visited_at",
            "infection_risk", "lone_working_risk", "preference", "summary", "systolic_bp",
            "diastolic_bp", "pulse", "respiratory_rate", "temperature_c", "spo2", "on_oxygen",
            "spo2_scale", "consciousness", "news2_score", "news2_complete", "follow_up_on",
            "follow_up_action", "created_at",
        ),
    ),
    "intervention": (Intervention, ("visit", "kind", "medicine", "note")),
    "review": (
        MedicationReview,
        ("patient", "visit", "reviewed_on", "reviewer", "outcome", "agreed_actions", "created_at"),
    ),
    "medication": (
        Medication,
        (
            "patient", "name", "form", "strength", "dose_amount", "dose_unit", "frequency",
            "route", "started_on", "stopped_on", "stop_reason", "prescriber", "compliance_aid",
            "created_by", "created_at",
        ),
    ),
    "team": (CareTeamMember, ("patient", "membership", "involvement", "added_by", "added_at")),
    "frailty": (
        FrailtyAssessment,
        (
            "patient", "frailty", "scale", "efi_score", "assessed_on", "recorded_by",
            "recorded_at",
        ),
    ),
    "goal": (
        Goal,
        (
            "patient", "description", "agreed_on", "agreed_by", "outcome", "outcome_on",
            "outcome_by", "outcome_note",
        ),
    ),
    "admission": (
        AdmissionEvent,
        (
            "network", "patient", "admitted_on", "kind", "source", "admission_import",
            "recorded_by", "recorded_at",
        ),
    ),
}  # fmt: skip
PER_PERSON = (  # in the order they are copied: parents first
    "patient", "referral", "flag", "episode", "item", "action", "visit", "intervention",
    "review", "medication", "team", "frailty", "goal", "admission",
)  # fmt: skip
NUMBERED = {  # per-person tables whose ids are handed out here (children point at them)
    "patient": Patient,
    "referral": Referral,
    "item": AgendaItem,
    "action": Action,
    "visit": Visit,
}


class Writer:
    """The database side of the builder: ids, COPY, one transaction per batch, and checks."""

    # --- the database ----------------------------------------------------------------------------

    def new(self, model) -> int:
        """The next id for `model`, from blocks of the model's sequence (nextval, so that other
        writers can never be given the same id; gaps are harmless)."""
        pool = self.pools.get(model)
        if pool is None:
            pool = self.pools[model] = [[], 0, model._meta.db_table]
        ids, i, _ = pool
        if i >= len(ids):
            ids, i = self.take(model, ID_BLOCK), 0
            pool[0] = ids
        pool[1] = i + 1
        return ids[i]

    @staticmethod
    def take(model, n: int) -> list[int]:
        """n new ids from the model's sequence, in order."""
        if n <= 0:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id'))) "
                "FROM generate_series(1, %s)",
                [model._meta.db_table, n],
            )
            return sorted(cursor.fetchone()[0])

    def copy(self, name: str, rows: list) -> None:
        table = self.t[name]
        stat = self.stats.setdefault(table.name, Stat())
        if not rows:
            return
        started = time.perf_counter()
        if table.numbered:
            low, high = rows[0][0], rows[-1][0]
        else:
            low = self.last_id(table.model) + 1
        tail = table.tail
        with connection.cursor() as cursor, cursor.cursor.copy(table.sql) as copy:
            write = copy.write_row
            if tail:
                for row in rows:
                    write(row + tail)
            else:
                for row in rows:
                    write(row)
        if not table.numbered:
            high = self.last_id(table.model)
        written = self.written.setdefault(table.model, [low, high])
        written[0], written[1] = min(written[0], low), max(written[1], high)
        stat.rows += len(rows)
        stat.seconds += time.perf_counter() - started

    @staticmethod
    def last_id(model) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 0)",
                [model._meta.db_table],
            )
            return cursor.fetchone()[0]

    @staticmethod
    def replica_allowed() -> bool:
        """Whether this database user may switch triggers off (session_replication_role): a
        superuser, or one granted SET on it."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                transaction.set_rollback(True)
        except DatabaseError:
            return False
        return True

    @contextmanager
    def batch(self):
        """One transaction of synthetic rows: no history; with the replica role, no triggers
        at all (the row-by-row foreign-key checks replaced by set-based ones); checked at the
        end (`check`)."""
        with transaction.atomic(), writing(self.fast):
            self.written = {}
            yield
            self.check()

    def check(self) -> None:
        """Every foreign key of the rows written in this transaction: with the replica role, one
        anti-join per foreign-key constraint (from the catalogue) over the new rows' ids; else
        the deferred triggers, now (inside a test's transaction they would never run)."""
        started = time.perf_counter()
        with connection.cursor() as django_cursor:
            cursor = django_cursor.cursor  # psycopg's, for sql.Composed
            if not self.fast:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for model, (low, high) in self.written.items():
                for name, column, parent, target in foreign_keys(cursor, model._meta.db_table):
                    cursor.execute(
                        sql.SQL(
                            "SELECT count(*) FROM {child} c WHERE c.id BETWEEN %s AND %s AND "
                            "c.{column} IS NOT NULL AND NOT EXISTS "
                            "(SELECT FROM {parent} p WHERE p.{target} = c.{column})"
                        ).format(
                            child=sql.Identifier(model._meta.db_table),
                            column=sql.Identifier(column),
                            parent=sql.Identifier(parent),
                            target=sql.Identifier(target),
                        ),
                        [low, high],
                    )
                    missing = cursor.fetchone()[0]
                    if missing:
                        raise IntegrityError(
                            f"{missing} new rows of {model._meta.db_table} point at no {parent} "
                            f"({name})"
                        )
        self.checking += time.perf_counter() - started

    # --- the run ---------------------------------------------------------------------------------

    @staticmethod
    def dt(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)


FOREIGN_KEYS = """
    SELECT c.conname, child.relname, pc.attname, parent.relname, pp.attname
    FROM pg_constraint c
    JOIN pg_class child ON child.oid = c.conrelid
    JOIN pg_class parent ON parent.oid = c.confrelid
    JOIN pg_attribute pc ON pc.attrelid = c.conrelid AND pc.attnum = c.conkey[1]
    JOIN pg_attribute pp ON pp.attrelid = c.confrelid AND pp.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND pg_table_is_visible(child.oid)
      AND {side}.relname = ANY(%s)
    ORDER BY child.relname, c.conname
"""


def foreign_keys(cursor, table: str) -> list[tuple[str, str, str, str]]:
    """The table's single-column foreign-key constraints: (name, column, parent, its column)."""
    cursor.execute(FOREIGN_KEYS.format(side="child"), [[table]])
    return [(name, column, parent, target) for name, _, column, parent, target in cursor]


def check_references(cursor, tables: list[str]) -> None:
    """Every foreign-key constraint (from the catalogue) that points at one of `tables`:
    no row may point at a row that is not there."""
    cursor.execute(FOREIGN_KEYS.format(side="parent"), [tables])
    for name, child, column, parent, target in cursor.fetchall():
        cursor.execute(
            sql.SQL(
                "SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
                "(SELECT FROM {parent} p WHERE p.{target} = c.{column})"
            ).format(
                child=sql.Identifier(child),
                column=sql.Identifier(column),
                parent=sql.Identifier(parent),
                target=sql.Identifier(target),
            )
        )
        missing = cursor.fetchone()[0]
        if missing:
            raise IntegrityError(f"{missing} rows of {child} point at no {parent} ({name})")
