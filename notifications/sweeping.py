"""What every reminder sweep shares; the sweeps themselves belong to their domains.

A sweep is derived from the database, never only from a message. It selects the subjects
(tasks, referrals, meetings) that are due a notification and have none yet for this occurrence
(an anti-join on the notification's subject, kind and occurrence, served by an index), builds
the messages in the network's vocabulary and hands them to `deliver`, which inserts them in
bulk. The notification's unique key settles any race: a sweep run twice, by two beat
processes, or after a lost message inserts nothing the second time.

Each domain owns its sweeps in `<app>/reminders.py` (actions, medicines, referrals, huddles)
and offers them as a `SWEEPS` mapping of a name to a sweep; the `reminder_sweeps` port in
`settings.ICN_PORTS` lists those mappings, so this floor runs them all without importing a
domain (STYLE.md "Layers (the house)").

Thresholds are settings (`ICN_NOTIFY`). Working days are England and Wales'; reminders about
tasks and referrals go out on working days within working hours (Europe/London)."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.db.models.expressions import Combinable
from django.urls import reverse
from django.utils import timezone

from core import ports
from core.workdays import is_working_day
from networks.models import Membership, Network
from networks.roles import Role

from .models import Notification

# One subject of a sweep, as `.values()` gives it.
Row = dict[str, Any]
# A sweep: given the time, deliver what is due and say how many notifications it made.
Sweep = Callable[[datetime], int]


def config(name: str) -> Any:
    return settings.ICN_NOTIFY[name]


def in_working_hours(now: datetime) -> bool:
    local = timezone.localtime(now)
    start, end = config("WORKING_HOURS")
    return is_working_day(local.date()) and start <= local.hour < end


def already_sent(
    kind: str, subject_type: str, occurrence: str | Combinable | None = None
) -> Exists:
    """Has a notification of this kind gone out for the outer row (and occurrence)?"""
    sent = Notification.objects.filter(
        subject_type=subject_type, subject_id=OuterRef("pk"), kind=kind
    )
    if occurrence is not None:
        sent = sent.filter(occurrence=occurrence)
    return Exists(sent)


@dataclass
class Directory:
    """Who holds which role in the networks a sweep touches, loaded once per sweep."""

    network_ids: set[int]
    networks: dict[int, Network] = field(default_factory=dict)
    by_role: defaultdict[tuple[int, str], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    active: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def load(cls, network_ids: Iterable[int]) -> "Directory":
        directory = cls(set(network_ids))
        if not directory.network_ids:
            return directory
        directory.networks = {n.pk: n for n in Network.objects.filter(pk__in=directory.network_ids)}
        for network_id, role, user_id in Membership.objects.filter(
            network_id__in=directory.network_ids, is_active=True, user__is_active=True
        ).values_list("network_id", "role", "user_id"):
            directory.by_role[(network_id, role)].append(user_id)
            directory.active.add((network_id, user_id))
        return directory

    def holders(self, network_id: int, role: str) -> list[int]:
        return self.by_role.get((network_id, role), [])

    def chairs(self, network_id: int) -> list[int]:
        return self.holders(network_id, Role.CHAIR)

    def is_member(self, network_id: int, user_id: int | None) -> bool:
        return (network_id, user_id) in self.active

    def terms(self, network_id: int) -> dict[str, str]:
        terms: dict[str, str] = self.networks[network_id].terms
        return terms

    def role_label(self, network_id: int, role: str) -> str:
        label: str = self.networks[network_id].role_label(role)
        return label


def patient_url(patient_id: int, anchor: str = "") -> str:
    # reverse() once, not per row: a sweep may build tens of thousands of these.
    return _patient_url_pattern().replace("987654321", str(patient_id)) + anchor


@lru_cache(maxsize=1)
def _patient_url_pattern() -> str:
    return reverse("patients:detail", args=[987654321])


def patient_name(row: Row) -> str:
    return f"{row['patient__given_name']} {row['patient__family_name']}"


def sweep_all(now: datetime | None = None) -> dict[str, int]:
    """Every domain's reminder sweeps, in the order the `reminder_sweeps` port lists them: how
    many notifications each made, by name. Safe to run at any time and as often as wanted."""
    now = now or timezone.now()
    sweeps: tuple[Mapping[str, Sweep], ...] = ports.port("reminder_sweeps")
    return {name: sweep(now) for domain in sweeps for name, sweep in domain.items()}
