"""Every FHIR resource ICN returns parses with fhir.resources (R4B models) and names its UK
Core profile (issue #18 "Done when")."""

import json

from fhir.resources.R4B import get_fhir_model_class

UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"
NO_PROFILE = {"Bundle", "OperationOutcome", "CapabilityStatement"}


def resources_in(body: dict) -> list[dict]:
    """The body and every resource nested in a Bundle's entries."""
    found = [body]
    for entry in body.get("entry", []) if body.get("resourceType") == "Bundle" else []:
        if "resource" in entry:
            found += resources_in(entry["resource"])
    return found


def check(body: dict) -> dict:
    for resource in resources_in(body):
        kind = resource["resourceType"]
        get_fhir_model_class(kind).model_validate(resource)  # raises if it does not parse
        if kind not in NO_PROFILE:
            profiles = resource.get("meta", {}).get("profile", [])
            assert profiles and profiles[0].startswith(UK_CORE), (kind, profiles)
    return body


class fhir_client:
    def __init__(self, client):
        self.client = client

    def _answer(self, response):
        assert response["Content-Type"].startswith("application/fhir+json"), response[
            "Content-Type"
        ]
        body = json.loads(response.content) if response.content else None
        if body is not None:
            check(body)
        return response.status_code, body

    def get(self, url, **kwargs):
        return self._answer(self.client.get(url, HTTP_ACCEPT="application/fhir+json", **kwargs))

    def post(self, url, body, **kwargs):
        return self._answer(
            self.client.post(
                url,
                json.dumps(body),
                content_type="application/fhir+json",
                HTTP_ACCEPT="application/fhir+json",
                **kwargs,
            )
        )


def entries(bundle: dict, kind: str | None = None) -> list[dict]:
    return [
        e["resource"]
        for e in bundle.get("entry", [])
        if kind is None or e["resource"]["resourceType"] == kind
    ]
