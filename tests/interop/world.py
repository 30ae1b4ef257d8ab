"""One example of each FHIR resource type, for the tests that walk the registry (the
access trail, the query counts, the round trip). A registered type without a maker here
fails tests/interop/test_trail_meta.py, so a new type cannot slip through.

MAKERS: resource type -> make(patient, member) -> the id of one resource of that type about
`patient`, readable by the chair of `patient`'s network.
"""

from . import clinical


def _patient(patient, member):
    return str(patient.pk)


def _encounter(patient, member):
    return str(clinical.make_visit(patient, member("pharmacist")).pk)


def _observation(patient, member):
    return f"{clinical.make_visit(patient, member('pharmacist')).pk}-news2"


def _medication_statement(patient, member):
    return str(clinical.make_medication(patient, member("pharmacist")).pk)


def _care_plan(patient, member):
    return str(clinical.make_care_plan(patient, member("chair")).pk)


MAKERS = {
    "Patient": _patient,
    "Encounter": _encounter,
    "Observation": _observation,
    "MedicationStatement": _medication_statement,
    "CarePlan": _care_plan,
}
