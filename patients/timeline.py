"""The person's timeline: what happened to a person, newest first, from every app that holds
a part of it (huddle discussions and episodes, referrals, visits, admissions, frailty).

The apps above ``patients`` contribute through the port ``settings.ICN_PORTS
["person_timeline"]``: each callable ``(user, patient) -> list[Entry]`` reads its rows in a
fixed number of queries (never one per row) and leaves out what the user may not see (the
PIC sees no clinical content). This module gathers the entries, names who did each in one
query, filters by kind and groups them by month."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from django.utils import formats, timezone

from core import ports
from networks.selectors import member_labels

# The kinds of entry, in the order the filter lists them: code -> label.
KINDS: dict[str, str] = {
    "discussion": "MDT discussions",
    "episode": "On and off the caseload",
    "referral": "Referrals",
    "visit": "Visits",
    "admission": "Hospital admissions",
    "frailty": "Frailty",
    "consent": "Consent",
}

# Kinds only the roles that see clinical details read (the PIC does not).
CLINICAL_KINDS = frozenset({"visit", "admission", "frailty"})

# How many entries the person's page shows; the timeline page shows them all.
SHOWN_ON_PERSON_PAGE = 5


@dataclass(frozen=True)
class Entry:
    """One thing that happened. ``when`` is a moment, or a day when only the day is known
    (an admission, an assessment); ``detail`` the lines under the title; ``link`` where to
    read more (empty when the user may not open it); ``who_id`` the member who did it (named
    by ``collect`` as "name, role"), or ``who`` a name already known."""

    when: datetime | date
    kind: str
    title: str
    detail: tuple[str, ...] = ()
    link: str = ""
    who: str = ""
    who_id: int | None = None

    @property
    def moment(self) -> datetime:
        """``when`` as an aware moment: a day counts from its start (local time)."""
        if isinstance(self.when, datetime):
            return self.when
        return timezone.make_aware(datetime.combine(self.when, time.min))

    @property
    def has_time(self) -> bool:
        return isinstance(self.when, datetime)


def kinds_for(user: Any, patient: Any) -> dict[str, str]:
    """The kinds of entry the user may see about the person (code -> label)."""
    clinical = user.has_perm("patients.view_clinical", patient)
    return {code: label for code, label in KINDS.items() if clinical or code not in CLINICAL_KINDS}


def kinds_chosen(values: Iterable[str], offered: Iterable[str] = KINDS) -> list[str]:
    """The ``offered`` kinds among ``values`` (a GET's ``kind``), in the filter's order; all
    of them when none is offered."""
    offered = list(offered)
    chosen = set(values)
    return [kind for kind in offered if kind in chosen] or offered


def collect(user: Any, patient: Any, *, kinds: Iterable[str] | None = None) -> list[Entry]:
    """Every entry the user may see about the person, of ``kinds`` (all when None), newest
    first. A fixed number of queries however many rows: one or two per contributing app,
    and one to name who did what."""
    wanted = set(kinds) if kinds is not None else set(KINDS)
    entries = [
        entry
        for contribute in ports.port("person_timeline")
        for entry in contribute(user, patient)
        if entry.kind in wanted
    ]
    entries = _named(patient.network, entries)
    entries.sort(key=lambda e: (e.moment, e.has_time, e.kind, e.title), reverse=True)
    return entries


def by_month(entries: list[Entry]) -> list[tuple[str, list[Entry]]]:
    """The entries (newest first) grouped under "December 2026" headings."""
    months: list[tuple[str, list[Entry]]] = []
    for entry in entries:
        moment = timezone.localtime(entry.when) if entry.has_time else entry.when
        label = formats.date_format(moment, "F Y")
        if not months or months[-1][0] != label:
            months.append((label, []))
        months[-1][1].append(entry)
    return months


def _named(network: Any, entries: list[Entry]) -> list[Entry]:
    """Each entry's ``who`` as "name, role in the network" (former members keep the role
    they had): networks.selectors.member_labels, one query whoever is named."""
    labels = member_labels(network)
    return [
        replace(e, who=labels.get(e.who_id, "")) if e.who_id and not e.who else e for e in entries
    ]


def frailty_entries(user: Any, patient: Any) -> list[Entry]:
    """Frailty assessments and levels set by hand (clinical roles only). One query."""
    if not user.has_perm("patients.view_clinical", patient):
        return []
    return [
        Entry(
            when=row.assessed_on,
            kind="frailty",
            title=(
                f"Frailty assessed: {row.get_scale_display()} {row.score}, {row.band.lower()}"
                if row.scale
                else f"Frailty recorded: {row.band.lower() or 'not recorded'}"
            ),
            who_id=row.recorded_by_id,
        )
        for row in patient.frailty_history.all()
    ]


# How a change of consent reads on the timeline: (what, new value) -> title.
_CONSENT_WHAT = {"consent_sharing": "Consent to share", "consent_mdt": "Consent to MDT discussion"}
_CONSENT_NOW = {
    "given": "given",
    "refused": "refused",
    "best_interest": "a best-interests decision",
    "not_asked": "not yet asked",
}
_HELD = frozenset({"given", "best_interest"})


def consent_entries(user: Any, patient: Any) -> list[Entry]:
    """Each change of the person's consents, from the record's row history (pghistory's
    triggers): who recorded it and when; consent held and then refused reads "withdrawn".
    One query."""
    rows = patient.events.order_by("pgh_id").values(
        "consent_mdt",
        "consent_sharing",
        "consent_best_interest_by",
        "consent_recorded_by_id",
        "consent_recorded_at",
    )
    entries = []
    before = {"consent_mdt": "not_asked", "consent_sharing": "not_asked"}
    for row in rows:
        for field, what in _CONSENT_WHAT.items():
            was, now = before[field], row[field]
            before[field] = now
            if was == now or row["consent_recorded_at"] is None:
                continue  # unchanged, or set without being recorded (who and when)
            withdrawn = was in _HELD and now == "refused"
            decided_by = row["consent_best_interest_by"]
            entries.append(
                Entry(
                    when=row["consent_recorded_at"],
                    kind="consent",
                    title=f"{what} withdrawn" if withdrawn else f"{what}: {_CONSENT_NOW[now]}",
                    detail=(f"Decided by {decided_by}",)
                    if now == "best_interest" and decided_by
                    else (),
                    who_id=row["consent_recorded_by_id"],
                )
            )
    return entries
