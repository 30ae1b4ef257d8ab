"""Reads for the information governance lead: which networks they govern, the person a
subject access request is about, everything held about them (the bundle), and who is due
for review under the retention rule."""

import datetime
import decimal
import uuid
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, Field, Max, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Greatest
from django.http import Http404
from django.utils import timezone

from actions.models import Action
from core.typing import RequestUser
from huddles.models import AgendaItem, Episode
from medicines.models import Visit
from networks.models import Network
from networks.roles import Role
from networks.selectors import active_memberships, network_ids_where
from patients.models import Patient
from referrals.models import Referral

from .hashing import nhs_number_hashes
from .models import Erasure, SubjectAccessRequest
from .walk import Holding, person_tables, rows_about

NOT_IG_LEAD = "Only the network's information governance lead may do this."


def governed_networks(user: RequestUser) -> list[Network]:
    """The networks where the user is the information governance lead, by name."""
    return sorted(
        (m.network for m in active_memberships(user).values() if m.role == Role.IG_LEAD),
        key=lambda n: n.name,
    )


def governed_network(user: RequestUser, slug: str) -> Network:
    """The network named by `slug` (or the only one the user governs, when blank) if the
    user is its IG lead: PermissionDenied (403) for another role there or for a blank slug
    when they govern none, Http404 for a network they are not a member of."""
    if not slug:
        governed = governed_networks(user)
        if len(governed) == 1:
            return governed[0]
        if not governed:
            raise PermissionDenied(NOT_IG_LEAD)
        raise PermissionDenied("Choose the network.")
    for membership in active_memberships(user).values():
        if membership.network.slug == slug:
            if membership.role != Role.IG_LEAD:
                raise PermissionDenied(NOT_IG_LEAD)
            return membership.network
    raise Http404("No such network among yours.")


def governs(user: RequestUser, network_id: int) -> bool:
    return network_id in network_ids_where(user, {Role.IG_LEAD})


def person_by_nhs_number(network: Network, nhs_number: str) -> Patient | None:
    return Patient.objects.filter(network=network, nhs_number=nhs_number).first()


def erasure_of(network: Network, nhs_number: str) -> Erasure | None:
    """The tombstone of that NHS number in the network, if they were erased."""
    return (
        Erasure.objects.filter(network=network, nhs_number_hash__in=nhs_number_hashes(nhs_number))
        .order_by("-erased_at")
        .first()
    )


# -- the bundle: every row of every table about the person, with readable labels -----------


# Columns left out of the bundle, each with why: what they hold is not about the person.
LEFT_OUT = {
    "notifications.Notification": {
        # The e-mail copy of a notice may carry a meeting's whole minutes (other people).
        "email_body",
    },
}


# django-pghistory's own columns on every history table, in words.
HISTORY_LABELS = {
    "pgh_id": "Version",
    "pgh_created_at": "Version recorded at",
    "pgh_label": "Change",
    "pgh_obj_id": "Entry",
    "pgh_context_id": "Made by",
}


def _column_label(field: Field) -> str:
    return HISTORY_LABELS.get(field.attname) or _label(field.verbose_name)


def _columns(holding: Holding) -> list[Field]:
    left_out = LEFT_OUT.get(holding.label, set())
    return [f for f in holding.model._meta.concrete_fields if f.attname not in left_out]


def _label(text: object) -> str:
    text = str(text)
    return text[:1].upper() + text[1:]


def table_label(holding: Holding) -> str:
    if holding.depth == 0:
        return "The record"
    tracked = holding.history_of
    if tracked is not None:
        return f"History of {tracked._meta.verbose_name_plural}"
    return _label(holding.model._meta.verbose_name_plural)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _user_name(user: Model) -> str:
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


def _related_labels(
    wanted: dict[type[Model], set[Any]], about: set[type[Model]]
) -> dict[type[Model], dict[Any, Any]]:
    """One query per related table (never per row) for the labels of what rows point at."""
    user_model = get_user_model()
    labels: dict[type[Model], dict[Any, Any]] = {}
    for model, ids in wanted.items():
        ids.discard(None)
        if model in about or not ids:
            continue
        if model is user_model:
            users = model._base_manager.filter(pk__in=ids)
            labels[model] = {u.pk: {"id": u.pk, "name": _user_name(u)} for u in users}
        elif model._meta.label == "pghistory.Context":
            contexts = model._base_manager.filter(pk__in=ids)
            labels[model] = {c.pk: {"id": str(c.pk), **c.metadata} for c in contexts}  # type: ignore[attr-defined]
        else:
            rows = model._base_manager.select_related().in_bulk(ids)
            labels[model] = {pk: {"id": _plain(pk), "label": str(obj)} for pk, obj in rows.items()}
    return labels


def _render(field: Field, value: Any, labels: dict[type[Model], dict[Any, Any]]) -> Any:
    if value is None:
        return None
    if field.is_relation:
        known = labels.get(field.related_model, {})  # type: ignore[arg-type]
        return known.get(value, {"id": _plain(value)})
    if field.choices:
        names = dict(field.flatchoices)
        return {"code": value, "label": str(names.get(value, value))}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return _plain(value)


def subject_access_bundle(request: SubjectAccessRequest) -> dict[str, Any]:
    """Everything ICN holds about the request's person: each table of the walk
    (governance.walk), every column with its label, each row's values (a code with its label
    for a choice, an id with a name or label for a link). One query per table, whatever the
    rows."""
    patient = request.patient
    assert patient is not None
    tables = person_tables()
    about = {h.model for h in tables}
    querysets = rows_about(patient.pk)
    raw: list[tuple[Holding, list[Field], list[tuple[Any, ...]]]] = []
    wanted: dict[type[Model], set[Any]] = defaultdict(set)
    for holding in tables:
        fields = _columns(holding)
        rows = list(querysets[holding.model].values_list(*(f.attname for f in fields)))
        for row in rows:
            for field, value in zip(fields, row, strict=True):
                if field.is_relation:
                    wanted[field.related_model].add(value)  # type: ignore[index]
        raw.append((holding, fields, rows))
    labels = _related_labels(wanted, about)
    return {
        "format": "icn-subject-access/1",
        "generated_at": timezone.now().isoformat(),
        "request": {
            "id": request.pk,
            "reference": request.reference,
            "requested_at": request.requested_at.isoformat(),
            "requested_by": _user_name(request.requested_by),
        },
        "network": {"slug": patient.network.slug, "name": patient.network.name},
        "person": {
            "id": patient.pk,
            "nhs_number": patient.nhs_number,
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "date_of_birth": patient.date_of_birth.isoformat(),
        },
        "tables": [
            {
                "table": holding.label,
                "label": table_label(holding),
                "history_of": holding.history_of._meta.label if holding.history_of else None,
                "columns": [{"name": f.attname, "label": _column_label(f)} for f in fields],
                "rows": [
                    {
                        f.attname: _render(f, value, labels)
                        for f, value in zip(fields, row, strict=True)
                    }
                    for row in rows
                ],
            }
            for holding, fields, rows in raw
        ],
    }


# -- retention --------------------------------------------------------------------------------


def retention_cutoff(today: datetime.date | None = None) -> datetime.datetime:
    """RETENTION_YEARS before today (29 February falls back to the 28th)."""
    today = today or timezone.localdate()
    years = settings.RETENTION_YEARS
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def _latest(model: type[Model], column: str) -> Subquery:
    return Subquery(
        model._base_manager.filter(patient=OuterRef("pk"))
        .order_by()
        .values("patient")
        .annotate(last=Max(column))
        .values("last")[:1]
    )


def with_last_activity(people: QuerySet[Patient]) -> QuerySet[Patient]:
    """`last_activity`: the latest of the record's own change, an episode closed, a referral
    made or closed, a visit, a task made and a meeting they were on the agenda of
    (PostgreSQL's GREATEST skips the empty ones)."""
    return people.annotate(
        last_activity=Greatest(
            F("updated_at"),
            _latest(Episode, "closed_at"),
            _latest(Referral, "created_at"),
            _latest(Referral, "closed_at"),
            _latest(Visit, "visited_at"),
            _latest(Action, "created_at"),
            _latest(AgendaItem, "meeting__starts_at"),
        )
    )


def retention_due(network: Network) -> QuerySet[Patient]:
    """People of the network with no open episode and no open referral whose last activity
    is more than RETENTION_YEARS ago, oldest first."""
    open_episode = Episode.objects.filter(patient=OuterRef("pk"), closed_at__isnull=True)
    open_referral = Referral.objects.filter(patient=OuterRef("pk"), status__in=Referral.OPEN)
    return (
        with_last_activity(Patient.objects.filter(network=network))
        .filter(~Exists(open_episode), ~Exists(open_referral))
        .filter(last_activity__lt=retention_cutoff())  # type: ignore[misc]
        .order_by("last_activity", "id")
    )
