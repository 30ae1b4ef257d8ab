from django.db.models import QuerySet

from networks.roles import CLINICAL_ROLES
from networks.selectors import network_ids_where
from patients.models import Patient

from .models import Medication, MedicationReview, Supply, Visit


def clinical_patients(user) -> QuerySet[Patient]:
    """People whose visits and medicines the user may see: clinical roles only (the PIC
    and managers see none of it)."""
    return Patient.objects.filter(network_id__in=network_ids_where(user, CLINICAL_ROLES))


def visits_visible_to(user) -> QuerySet[Visit]:
    return Visit.objects.filter(network_id__in=network_ids_where(user, CLINICAL_ROLES))


def medications_visible_to(user) -> QuerySet[Medication]:
    return Medication.objects.filter(
        patient__network_id__in=network_ids_where(user, CLINICAL_ROLES)
    )


def supplies_visible_to(user) -> QuerySet[Supply]:
    return Supply.objects.filter(patient__network_id__in=network_ids_where(user, CLINICAL_ROLES))


def reviews_visible_to(user) -> QuerySet[MedicationReview]:
    return MedicationReview.objects.filter(
        patient__network_id__in=network_ids_where(user, CLINICAL_ROLES)
    )


def active_medications(patient) -> QuerySet[Medication]:
    return Medication.objects.filter(patient=patient, stopped_on__isnull=True).order_by("name")
