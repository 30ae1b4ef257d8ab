"""The walk finds every table about a person, and the bundle and erasure use it."""

import pytest
from django.apps import apps

from governance.walk import person_tables, rows_about
from patients.models import Patient

from .people import hold_everything

pytestmark = pytest.mark.django_db


def test_every_model_with_a_foreign_key_to_patient_is_walked():
    walked = {h.model for h in person_tables()}
    pointing = {
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and any(f.is_relation and f.related_model is Patient for f in model._meta.concrete_fields)
    }
    assert pointing, "the check itself found nothing"
    assert pointing <= walked, pointing - walked


def test_history_tables_and_second_steps_are_walked():
    labels = {h.label for h in person_tables()}
    assert {
        "patients.PatientEvent",
        "medicines.Intervention",
        "careplans.CarePlanNeedEvent",
    } <= labels


def test_the_test_person_has_a_row_in_every_table(member, patient):
    """hold_everything must keep up with the walk: a table added later with no row here
    fails this test, so the bundle's and the erasure's tests cover it."""
    hold_everything(patient, member("pharmacist"))
    empty = [m._meta.label for m, qs in rows_about(patient.pk).items() if not qs.exists()]
    assert empty == []


def test_rows_of_another_person_are_not_walked(member, patient, foreign_patient):
    hold_everything(foreign_patient, member("pharmacist", net=foreign_patient.network))
    found = {m._meta.label: qs.count() for m, qs in rows_about(patient.pk).items()}
    assert found["patients.Patient"] == 1
    assert sum(found.values()) - found["patients.Patient"] - found["patients.PatientEvent"] == 0
