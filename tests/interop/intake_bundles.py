"""UK Core's own example Patient and ServiceRequest (tests/interop/examples/README.md) as a
transaction Bundle, the way a partner system sends a referral to ``POST /fhir/R4/``."""

import copy
import json
from pathlib import Path

from core.nhs_number import synthetic

EXAMPLES = Path(__file__).parent / "examples"
PATIENT = "UKCore-Patient-RichardSmith-Example"
REQUEST = "UKCore-ServiceRequest-ColonoscopyRequest-Example"
BASE = "https://fhir.example-trust.nhs.uk/R4"  # the sender's own FHIR base
NHS = "https://fhir.nhs.uk/Id/nhs-number"
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
EXAMPLE_NHS = synthetic(120038)


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def bundle(patient: dict | None = None, request: dict | None = None) -> dict:
    """The examples as a transaction: both entries on the sender's base, so the
    ServiceRequest's ``subject`` (``Patient/UKCore-Patient-RichardSmith-Example``, as
    published) resolves to the Patient entry by FHIR's rule."""
    patient = copy.deepcopy(patient or example(PATIENT))
    request = copy.deepcopy(request or example(REQUEST))
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"{BASE}/Patient/{patient['id']}",
                "resource": patient,
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": f"{BASE}/ServiceRequest/{request['id']}",
                "resource": request,
                "request": {"method": "POST", "url": "ServiceRequest"},
            },
        ],
    }


def another(seed: int, service: str = "gp") -> dict:
    """The examples for another person (a synthetic NHS number from `seed`) and another
    referral identifier, to the ICN service `service`."""
    sent = bundle()
    patient, request = sent["entry"][0]["resource"], sent["entry"][1]["resource"]
    patient["identifier"][0]["value"] = synthetic(seed)
    request["identifier"][0]["value"] = f"REF-{seed}"
    request["code"]["coding"][1]["code"] = service
    return sent
