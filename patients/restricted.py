"""Who reads a restricted entry (API.md 1.1 "Restricted entries and break-glass").

An entry (a visit, the clinical notes, a huddle note about a person) restricted by its author
is read in full only by its author, the person's key worker and the chair of the person's
network, or by a member holding a live break-glass grant for the person. Everyone else who
may read clinical detail sees that the entry exists: who wrote it and when, never the reason
(a reason such as "disclosure of domestic abuse" says what the entry hides).

This sits in `patients`, the lowest domain, so every reader above it (medicines, huddles,
the person's page) decides alike; the apps above only say who wrote each entry."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import BreakGlass
from audit.selectors import glass_broken_patient_ids
from core.typing import User
from core.validators import single_line
from networks.roles import Role
from networks.selectors import active_memberships, network_ids_where

# The break-glass grant's `entry_kind` for each kind of restricted entry.
VISIT = "visit"
CLINICAL_NOTES = "clinical_notes"
HUDDLE_NOTE = "huddle_note"
ENTRY_KINDS = {
    VISIT: "visit",
    CLINICAL_NOTES: "clinical notes",
    HUDDLE_NOTE: "huddle discussion note",
}


@dataclass(frozen=True)
class Sealed:
    """What a reader who may not open a restricted entry sees of it."""

    kind: str
    entry_id: int
    patient_id: int
    author: str
    at: Any  # datetime of the entry (or of the restriction, for clinical notes)

    @property
    def label(self) -> str:
        return ENTRY_KINDS.get(self.kind, self.kind)


class Readers:
    """Decides, for one user and a set of people, who of them have restricted entries the user
    reads. Built once per page or response: no query beyond the user's memberships (cached per
    request) and one for live break-glass grants, asked only when a restricted entry is met."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.user_id = user.pk if user.is_authenticated else None
        memberships = active_memberships(user)
        self.membership_ids = {m.pk for m in memberships.values()}
        self.chair_networks = set(network_ids_where(user, {Role.CHAIR}))
        self._broken: dict[int, bool] = {}

    def load_grants(self, patient_ids: Iterable[int]) -> None:
        """Ask once for the live grants of these people (before opens() on each)."""
        wanted = {pid for pid in patient_ids if pid not in self._broken}
        if not wanted:
            return
        broken = glass_broken_patient_ids(self.user, wanted)
        for pid in wanted:
            self._broken[pid] = pid in broken

    def privileged(self, *, patient: Any, author_id: int | None) -> bool:
        """The author, the person's key worker or the network's chair (no grant needed)."""
        return (
            (author_id is not None and author_id == self.user_id)
            or patient.key_worker_id in self.membership_ids
            or patient.network_id in self.chair_networks
        )

    def opens(self, *, restricted: bool, patient: Any, author_id: int | None) -> bool:
        """May the user read this entry's content?"""
        if not restricted or self.privileged(patient=patient, author_id=author_id):
            return True
        if patient.pk not in self._broken:
            self.load_grants([patient.pk])
        return self._broken[patient.pk]


def may_restrict(user: User, *, patient: Any, author_id: int | None) -> bool:
    """Only the entry's author, or the chair of the person's network, restricts or lifts it."""
    if not user.is_authenticated:
        return False
    return author_id == user.pk or patient.network_id in network_ids_where(user, {Role.CHAIR})


def author_label(user: Any) -> str:
    if user is None:
        return "a former member"
    return user.get_full_name() or user.get_username()


class BreakGlassForm(forms.Form):
    """The break-glass page's form: a coded reason (API.md 1.1) and a reason in words."""

    reason_code = forms.ChoiceField(
        label="Why do you need to break the glass?",
        choices=BreakGlass.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you need to break the glass."},
    )
    reason = forms.CharField(
        label="Say why you need to read it now",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The information governance lead reads this when reviewing the access.",
        error_messages={"required": "Say why you need to see this person's record now."},
    )


class RestrictForm(forms.Form):
    """Restrict an entry afterwards, or lift the restriction (its author or the chair)."""

    restricted = forms.BooleanField(label="Restrict this entry", required=False)
    restricted_reason = forms.CharField(
        label="Why it is restricted",
        required=False,
        max_length=500,
        validators=[single_line],
        help_text="For example safeguarding, domestic abuse, or the person's wish. Others see "
        "that the entry exists, who wrote it and when; not this reason.",
    )

    def clean(self):
        data = super().clean()
        data["restricted_reason"] = (data.get("restricted_reason") or "").strip()
        if data.get("restricted") and not data["restricted_reason"]:
            self.add_error("restricted_reason", RESTRICT_REASON_REQUIRED)
        return data


RESTRICT_REASON_REQUIRED = "Say why the entry is restricted (for example, safeguarding)."


def seal_clinical_notes(user: User, patient: Any, readers: Readers | None = None) -> Any:
    """Mark the person `clinical_notes_sealed` when their clinical notes are restricted and the
    user may not read them, and blank the notes in memory (the model refuses to save them so).
    No query unless they are restricted."""
    readers = readers or Readers(user)
    sealed = not readers.opens(
        restricted=patient.clinical_notes_restricted,
        patient=patient,
        author_id=patient.clinical_notes_restricted_by_id,
    )
    patient.clinical_notes_sealed = sealed
    if sealed:
        patient.clinical_notes = ""
        patient.clinical_notes_restricted_reason = ""
    return patient


def may_restrict_clinical_notes(user: User, patient: Any) -> bool:
    """Any clinical member restricts open notes (and answers for them); restricted ones are
    changed or lifted by whoever restricted them, or the chair."""
    if not patient.clinical_notes_restricted:
        return bool(user.has_perm("patients.change_clinical", patient))
    return may_restrict(user, patient=patient, author_id=patient.clinical_notes_restricted_by_id)


def restriction_set(entry: Any, *, prefix: str, by: User, restricted: bool, reason: str) -> list:
    """Restrict an entry (a reason required) or lift it, in memory: `<prefix>restricted`,
    `_reason`, `_by` and `_at` (`prefix` "" for a visit, "clinical_notes_", "notes_"). The
    fields to save; the caller's service checks who may and saves in its transaction."""
    reason = (reason or "").strip()
    if restricted and not reason:
        raise ValidationError({"restricted_reason": [RESTRICT_REASON_REQUIRED]})
    values = {
        "restricted": restricted,
        "restricted_reason": reason if restricted else "",
        "restricted_by": by,
        "restricted_at": timezone.now(),
    }
    for name, value in values.items():
        setattr(entry, prefix + name, value)
    return [prefix + name for name in values]
