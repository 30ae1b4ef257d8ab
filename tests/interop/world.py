"""One example of each FHIR resource type, for the tests that walk the registry (the
access trail, the query counts, the round trip). A registered type without a maker here
fails tests/interop/test_trail_meta.py, so a new type cannot slip through.

MAKERS: resource type -> make(patient, member) -> the id of one resource of that type about
`patient`, readable by the chair of `patient`'s network.
"""


def _patient(patient, member):
    return str(patient.pk)


MAKERS = {
    "Patient": _patient,
}
