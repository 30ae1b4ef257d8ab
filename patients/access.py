"""Opening one person's record, for pages and API alike: the patient when the caller may
open it, else the refusal is written to the access trail and raised: PermissionDenied (403)
when the person is in the caller's networks but their role may not, Http404 otherwise."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from audit.models import AccessEvent
from audit.services import access_refused

from .models import Patient
from .selectors import patient_detail, patients_in_user_networks

ROLE_MAY_NOT_OPEN = "Your role may not open people's records."


def open_patient(*, user, pk, what: str, channel: str, path: str) -> Patient:
    pk = str(pk)
    patient = patient_detail(user, pk) if pk.isdigit() else None
    if patient is not None:
        return patient
    elsewhere = patients_in_user_networks(user).filter(pk=pk).first() if pk.isdigit() else None
    outcome = AccessEvent.Outcome.DENIED if elsewhere else AccessEvent.Outcome.NOT_FOUND
    access_refused(
        user=user,
        patient_ref=pk,
        patient=elsewhere,
        what=what,
        channel=channel,
        outcome=outcome,
        path=path,
    )
    if elsewhere is not None:
        raise PermissionDenied(ROLE_MAY_NOT_OPEN)
    raise Http404("No such person in your networks.")
