"""Every table that holds rows about a person, found by walking the models' relations.

The walk starts at Patient and takes every model with a foreign key (or one-to-one) to it,
then every model with one to those, and so on: visits, then a visit's interventions; care
plans, then their needs; and each django-pghistory event table, whose `pgh_obj` and copied
foreign keys point at the row it copied. A table added later is found the day it is added,
so the subject access bundle and the erasure cannot forget it (tests/governance asserts that
every model with a foreign key to Patient is walked).

Each table's rows about a person are one query: a filter on its links toward the person,
each link to a table nearer the person nested as a subquery."""

from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db.models import Field, Model, Q, QuerySet


@dataclass(frozen=True)
class Holding:
    """A table holding rows about a person: its links (foreign keys) toward tables nearer
    the person, and how far it is from Patient (Patient itself is 0)."""

    model: type[Model]
    links: tuple[Field, ...]
    depth: int

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def history_of(self) -> type[Model] | None:
        """The tracked model, when this is a django-pghistory event table."""
        return getattr(self.model, "pgh_tracked_model", None)


def _concrete_models() -> list[type[Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.abstract
    ]


def _links(model: type[Model]) -> list[Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.is_relation and (f.many_to_one or f.one_to_one) and f.related_model is not None
    ]


@cache
def person_tables() -> tuple[Holding, ...]:
    """Patient first, then every table about a person, nearest first."""
    patient = apps.get_model("patients", "Patient")
    depth: dict[type[Model], int] = {patient: 0}
    models = _concrete_models()
    level = 0
    while True:
        level += 1
        found = [
            m for m in models if m not in depth and any(f.related_model in depth for f in _links(m))
        ]
        if not found:
            break
        for m in found:
            depth[m] = level
    holdings = [
        Holding(
            model=m,
            links=tuple(
                f
                for f in _links(m)
                if f.related_model in depth
                and depth[f.related_model] <= d  # type: ignore[index]
                and f.related_model is not m
            ),
            depth=d,
        )
        for m, d in depth.items()
    ]
    return tuple(sorted(holdings, key=lambda h: (h.depth, h.label)))


def rows_about(patient_id: int) -> dict[type[Model], QuerySet[Model]]:
    """Each table's rows about one person, as querysets (nothing is run here).

    Depth by depth: a table's rows are those linked to the person's rows in a table nearer
    the person; then a link to a table at the same depth (a visit's follow-up task) adds the
    rows linked to that table's rows found so, one step only, so the walk never loops."""
    tables = person_tables()
    patient = tables[0].model
    depth = {h.model: h.depth for h in tables}
    found: dict[type[Model], QuerySet[Model]] = {
        patient: patient._base_manager.filter(pk=patient_id)
    }
    for level in range(1, max(depth.values()) + 1):
        holdings = [h for h in tables if h.depth == level]
        nearer = {
            h.model: h.model._base_manager.filter(
                _condition(h, found, patient_id, depth, lower=True)
            )
            for h in holdings
        }
        for h in holdings:
            same = _condition(h, nearer, patient_id, depth, lower=False)
            found[h.model] = (
                nearer[h.model] | h.model._base_manager.filter(same) if same else nearer[h.model]
            )
    return found


def _condition(
    holding: Holding,
    rows: dict[type[Model], QuerySet[Model]],
    patient_id: int,
    depth: dict[type[Model], int],
    *,
    lower: bool,
) -> Q:
    condition = Q()
    for link in holding.links:
        target: type[Model] = link.related_model  # type: ignore[assignment]
        if (depth[target] < holding.depth) != lower:
            continue
        if depth[target] == 0:
            condition |= Q(**{link.attname: patient_id})
        else:
            condition |= Q(**{f"{link.attname}__in": rows[target].values("pk")})
    return condition
