"""Deleting the synthetic data: the synthetic networks, users and organisations and every row
that cannot exist without them."""

from __future__ import annotations

import time

from django.apps import apps
from django.db import connection
from psycopg import sql

from demo.synthetic.copying import Writer, check_references, writing
from demo.synthetic.shape import ORG_PREFIX, SLUG_PREFIX, USERNAME_PREFIX
from networks.models import Network

ROOTS = {
    "networks.Network": ("slug", SLUG_PREFIX),
    "auth.User": ("username", USERNAME_PREFIX),
    "networks.Organisation": ("code", ORG_PREFIX),
}
KEEP = {"audit.AccessEvent"}  # append-only: the trail of looks at records outlives them


def delete_synthetic(say=None, replica_role: bool = True) -> dict[str, int]:
    """Delete the synthetic networks, users and organisations and every row that cannot exist
    without one of them (a required foreign key into the deleted rows, through any number of
    steps), across all installed models; a nullable foreign key from a surviving row is set to
    NULL. Run inside a transaction; returns the rows deleted per table. The audit trail is
    kept (append-only; its references to people are not constraints).

    Where allowed, triggers are off meanwhile (session_replication_role = replica) and every
    foreign-key constraint in the catalogue that points at a table deleted from is checked
    afterwards, set-based; else the constraints' own triggers check each deleted row."""
    say = say or (lambda line: None)
    started = time.perf_counter()
    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label not in KEEP
    ]
    labels = {m._meta.label: m for m in models}
    edges = []  # (child, column, parent, parent's column, required, constrained)
    for child in models:
        for f in child._meta.concrete_fields:
            if not (f.many_to_one or f.one_to_one) or f.remote_field is None:
                continue
            parent = f.remote_field.model._meta.concrete_model
            if parent._meta.label in labels:
                edges.append(
                    (child, f.column, parent, f.target_field.column, not f.null, f.db_constraint)
                )

    def table(model):
        return sql.Identifier(model._meta.db_table)

    def doomed_table(model):
        return sql.Identifier(f"del_{model._meta.db_table}"[:60])

    def pk(model):
        return sql.Identifier(model._meta.pk.column)

    def keys(parent, target):
        """The values of `target` in the parent's doomed rows."""
        if target == parent._meta.pk.column:
            return sql.SQL("SELECT pk FROM {}").format(doomed_table(parent))
        return sql.SQL("SELECT p.{} FROM {} p JOIN {} d ON d.pk = p.{}").format(
            sql.Identifier(target), table(parent), doomed_table(parent), pk(parent)
        )

    doomed: dict = {}  # model -> rows in its doomed table
    fast = replica_role and Writer.replica_allowed()
    with writing(fast), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's, for sql.Composed

        def ensure(model) -> None:
            if model not in doomed:
                cursor.execute(
                    sql.SQL(
                        "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} AS pk FROM {} LIMIT 0"
                    ).format(doomed_table(model), pk(model), table(model))
                )
                cursor.execute(
                    sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (pk)").format(doomed_table(model))
                )
                doomed[model] = 0

        changed = set()
        for label, (field, prefix) in ROOTS.items():
            model = labels[label]
            ensure(model)
            cursor.execute(
                sql.SQL("INSERT INTO {} SELECT {} FROM {} WHERE {} LIKE %s").format(
                    doomed_table(model),
                    pk(model),
                    table(model),
                    sql.Identifier(model._meta.get_field(field).column),
                ),
                [prefix.replace("_", r"\_") + "%"],
            )
            doomed[model] += cursor.rowcount
            if cursor.rowcount:
                changed.add(model)
        while changed:  # rows with a required foreign key into doomed rows, to a fixed point
            grown = set()
            for child, column, parent, target, required, _ in edges:
                if not required or parent not in changed:
                    continue
                ensure(child)
                cursor.execute(
                    sql.SQL(
                        "INSERT INTO {} SELECT {} FROM {} WHERE {} IN ({}) ON CONFLICT DO NOTHING"
                    ).format(
                        doomed_table(child),
                        pk(child),
                        table(child),
                        sql.Identifier(column),
                        keys(parent, target),
                    )
                )
                if cursor.rowcount:
                    doomed[child] += cursor.rowcount
                    grown.add(child)
            for model in grown:
                cursor.execute(sql.SQL("ANALYZE {}").format(doomed_table(model)))
            changed = grown
        for child, column, parent, target, required, constrained in edges:
            if required or not constrained or not doomed.get(parent):
                continue  # a nullable constraint into doomed rows: NULL in the rows that stay
            stays = sql.SQL("")
            if doomed.get(child):
                stays = sql.SQL("AND NOT EXISTS (SELECT FROM {} d WHERE d.pk = c.{})").format(
                    doomed_table(child), pk(child)
                )
            cursor.execute(
                sql.SQL("UPDATE {} c SET {} = NULL WHERE c.{} IN ({}) {}").format(
                    table(child),
                    sql.Identifier(column),
                    sql.Identifier(column),
                    keys(parent, target),
                    stays,
                )
            )
        deleted = {}
        for model, count in doomed.items():
            if count:
                cursor.execute(
                    sql.SQL("DELETE FROM {} WHERE {} IN (SELECT pk FROM {})").format(
                        table(model), pk(model), doomed_table(model)
                    )
                )
                deleted[model._meta.db_table] = cursor.rowcount
        for model in doomed:
            cursor.execute(sql.SQL("DROP TABLE {}").format(doomed_table(model)))
        if fast:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            check_references(cursor, list(deleted))
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    seconds = time.perf_counter() - started
    say(f"Deleted {sum(deleted.values()):,} synthetic rows in {seconds:.1f} s")
    return deleted


def synthetic_networks_exist() -> bool:
    return Network.objects.filter(slug__startswith=SLUG_PREFIX).exists()
