"""Consent to discussion at the MDT, as the agenda obeys it (PRODUCT.md "Going live in a
real network"; issue 17): a person who refused is never put on an agenda (huddles.services
`_add`, every path that creates an agenda item goes through it), and refusing takes them off
the agendas of meetings not yet held (the `consent_recorded` port)."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.attribution import attributed
from patients.models import Consent, Patient

from .models import AGENDA_ITEM, AgendaItem, Meeting

REFUSED = Consent.REFUSED


class MdtRefused(ValidationError):
    """The person refused discussion at the MDT: they are not put on an agenda."""

    def __init__(self, patient: Patient) -> None:
        super().__init__({"patient": [MDT_REFUSED.format(name=patient.full_name)]})


MDT_REFUSED = (
    "{name} has refused discussion at the MDT, so cannot be put on an agenda. If they have "
    "changed their mind, record their consent on their page first."
)


def refused_mdt(patient: Patient) -> bool:
    """Consent to MDT discussion as it stands, read under a lock on the person's row, so a
    refusal recorded at the same moment either comes first or finds this item and removes
    it (consent_recorded)."""
    current = Patient.objects.select_for_update(no_key=True).only("consent_mdt").get(pk=patient.pk)
    patient.consent_mdt = current.consent_mdt
    return current.consent_mdt == Consent.REFUSED


@attributed
@transaction.atomic
def consent_recorded(*, patient: Patient, was: dict[str, str], by: User) -> int:
    """The `consent_recorded` port: discussion at the MDT now refused takes the person off
    the agendas of meetings not yet held, with a note on each item; what was discussed stays
    as history. Returns how many items were removed."""
    if patient.consent_mdt != Consent.REFUSED or was["consent_mdt"] == Consent.REFUSED:
        return 0
    name = by.get_full_name() or by.get_username()
    note = (
        f"Removed: consent to MDT discussion withdrawn on {timezone.localdate():%-d %b %Y} "
        f"by {name}."
    )
    items = AgendaItem.objects.select_for_update(of=("self",)).filter(
        patient=patient, status=AgendaItem.Status.PENDING, meeting__status=Meeting.Status.SCHEDULED
    )
    for item in items:
        item.notes = f"{item.notes}\n\n{note}" if item.notes else note
        status = AGENDA_ITEM.apply(item, "remove")
        item.version += 1
        item.save(update_fields=[status, "version", "updated_at", "notes"])
    return len(items)
