"""GP medication lists as FHIR Bundles of UK Core MedicationStatements, for tests."""

import json

NHS = "https://fhir.nhs.uk/Id/nhs-number"


def dosage(amount=1, unit="tablet", per_day=1, text=None, **extra):
    d = {
        "text": text or f"{amount} {unit} {per_day} times a day",
        "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
        "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]},
        "doseAndRate": [{"doseQuantity": {"value": amount, "unit": unit}}],
    }
    d.update(extra)
    return d


def statement(name, code=None, dose=None, nhs_number=None, **extra):
    concept = {"text": name}
    if code:
        concept["coding"] = [{"system": "https://dmd.nhs.uk", "code": code, "display": name}]
    resource = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": concept,
        "subject": {"reference": "urn:uuid:patient-1"},
    }
    if nhs_number:
        resource["subject"] = {"identifier": {"system": NHS, "value": nhs_number}}
    if dose is not False:
        resource["dosage"] = [dose or dosage()]
    resource.update(extra)
    return resource


def bundle(nhs_number, *statements, kind="collection"):
    entries = [
        {
            "fullUrl": "urn:uuid:patient-1",
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": NHS, "value": nhs_number}],
            },
        }
    ]
    entries += [{"fullUrl": f"urn:uuid:ms-{i}", "resource": s} for i, s in enumerate(statements)]
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def text(data) -> str:
    return json.dumps(data)
