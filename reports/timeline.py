"""The reports' part of the person's timeline (port settings.ICN_PORTS["person_timeline"]:
patients sits on a floor below): the person's hospital admissions, entered by hand or from a
hospital feed. Hospital use is clinical: roles that may not see clinical details (the PIC)
see none."""

from typing import Any

from patients.timeline import Entry

from .models import AdmissionEvent


def person_timeline(user: Any, patient: Any) -> list[Entry]:
    """Every admission, in one query."""
    if not user.has_perm("patients.view_clinical", patient):
        return []
    return [
        Entry(
            when=admission.admitted_on,
            kind="admission",
            title=f"{admission.get_kind_display()} admission to hospital",
            detail=(admission.get_source_display(),),
        )
        for admission in AdmissionEvent.objects.filter(patient=patient)
    ]
