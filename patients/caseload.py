"""The people list (the caseload): its filters, its sorts and the columns that apps above
patients own (port settings.ICN_PORTS["caseload_columns"]).

Every filter and sort runs in SQL on one queryset, so pagination stays right across pages:
a column owned by another app is an annotation (a Subquery on the person's pk), not a dict
filled in for one page."""

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Case, Exists, F, IntegerField, OuterRef, QuerySet, Value, When
from django.utils import formats, timezone

from core import ports
from core.typing import User
from networks.models import Membership, Network

from .involvement import readable_patients
from .models import Frailty, Patient
from .selectors import organisations_of_network


@dataclass(frozen=True)
class CaseloadColumn:
    """A column of the people list owned by an app above patients.

    `expression` is annotated on the Patient queryset under `key` (a Subquery on
    OuterRef("pk")), so the list sorts on it (?sort=key) and, when `presence` names it, filters
    on whether it has a value (?key=yes|no). `kind` says how a value reads: "date" (a date or a
    datetime, shown as a UK date) or "number". `clinical` columns are shown only to roles that
    see clinical records."""

    key: str
    label: str
    expression: Any
    kind: str = "date"
    clinical: bool = False
    presence: str = ""

    def display(self, value: Any) -> str:
        if value is None:
            return ""
        if self.kind == "number":
            return str(value)
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).date()
        return formats.date_format(value, "j M Y")


def caseload_columns(user: User, *, clinical: bool) -> list[CaseloadColumn]:
    """The columns every app above patients adds, in the order settings list them; clinical
    columns only for roles that see clinical records."""
    columns: list[CaseloadColumn] = []
    for source in ports.port("caseload_columns"):
        columns.extend(column for column in source(user) if clinical or not column.clinical)
    return columns


FRAILTY_RANK = Case(
    *(When(frailty=level, then=Value(rank)) for rank, level in enumerate(Frailty.values)),
    default=None,
    output_field=IntegerField(),
)
NO_FRAILTY = "none"
MINE = "mine"
PRESENCE = [("", "Any"), ("yes", "Yes"), ("no", "No")]


class CaseloadFilterForm(forms.Form):
    """The list's filters and sort, from the query string. An unknown value is an error that
    names the filter (the list is shown without it)."""

    frailty = forms.ChoiceField(label="Frailty", required=False)
    key_worker = forms.ChoiceField(label="Key worker", required=False)
    care_home = forms.ChoiceField(label="Care home", required=False)
    gp_practice = forms.ChoiceField(label="GP practice", required=False)
    sort = forms.ChoiceField(required=False)

    def __init__(
        self,
        data,
        *,
        user: User,
        network: Network,
        columns: list[CaseloadColumn],
        clinical: bool,
    ):
        super().__init__(data)
        self.columns = columns
        self.clinical = clinical
        if clinical:
            self.fields["frailty"].choices = [
                ("", "Any"),
                *Frailty.choices,
                (NO_FRAILTY, "Not recorded"),
            ]
        else:
            del self.fields["frailty"]
        members = (
            # EXISTS, not a join made DISTINCT: the join read every person of the network
            # with a key worker (~60 ms at 16,000 people) to name a few dozen members.
            Membership.objects.filter(network=network)
            .filter(Exists(Patient.objects.filter(key_worker_id=OuterRef("pk"))))
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "pk")
        )
        self.fields["key_worker"].choices = [
            ("", "Anyone"),
            (MINE, "Me"),
            ("none", "No key worker"),
            *((str(m.pk), m.user.get_full_name() or m.user.get_username()) for m in members),
        ]
        for name, kind in (("care_home", "care_home"), ("gp_practice", "gp_practice")):
            self.fields[name].choices = [
                ("", "Any"),
                *((str(o.pk), o.name) for o in organisations_of_network(network, kind)),
            ]
        for column in columns:
            if column.presence:
                self.fields[column.key] = forms.ChoiceField(
                    label=column.presence, required=False, choices=PRESENCE
                )
        self.fields["sort"].choices = [(key, key) for key in self.sort_keys()] + [
            (f"-{key}", key) for key in self.sort_keys()
        ]

    def sort_keys(self) -> list[str]:
        keys = ["name"]
        if self.clinical:
            keys.append("frailty")
        return keys + [column.key for column in self.columns]

    def presence_fields(self) -> list:
        return [self[column.key] for column in self.columns if column.presence]

    def value(self, name: str) -> str:
        """The field's cleaned value ("" when absent or in error)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) or ""


def caseload_filter(
    queryset: QuerySet[Patient], form: CaseloadFilterForm, user: User
) -> QuerySet[Patient]:
    """The people list with the other apps' columns annotated, filtered and sorted as the
    (validated) form says; by name when it says nothing."""
    queryset = queryset.annotate(**{c.key: c.expression for c in form.columns})
    clinical_keys = {"frailty", *(c.key for c in form.columns if c.clinical)}
    asked = {form.value("sort").lstrip("-"), *(k for k in clinical_keys if form.value(k))}
    if asked & clinical_keys:
        # Filtering or sorting on clinical detail: among those whose detail the user reads
        # only (patients.involvement), so the order tells nothing of anyone else's.
        queryset = queryset.filter(pk__in=readable_patients(user).values("pk"))
    frailty = form.value("frailty")
    if frailty == NO_FRAILTY:
        queryset = queryset.filter(frailty__isnull=True)
    elif frailty:
        queryset = queryset.filter(frailty=frailty)
    key_worker = form.value("key_worker")
    if key_worker == MINE:
        queryset = queryset.filter(key_worker__user=user)
    elif key_worker == "none":
        queryset = queryset.filter(key_worker__isnull=True)
    elif key_worker:
        queryset = queryset.filter(key_worker_id=int(key_worker))
    for name in ("care_home", "gp_practice"):
        if form.value(name):
            queryset = queryset.filter(**{f"{name}_id": int(form.value(name))})
    for column in form.columns:
        if column.presence and form.value(column.key):
            queryset = queryset.filter(**{f"{column.key}__isnull": form.value(column.key) == "no"})
    sort = form.value("sort") or "name"
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    names = ["family_name", "given_name", "pk"]
    if key == "name":
        order = [F(n).desc() if descending else F(n).asc() for n in names]
    else:
        expression = F(key) if key != "frailty" else FRAILTY_RANK
        first = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
        order = [first, *(F(n).asc() for n in names)]
    return queryset.order_by(*order)
