"""``application/fhir+json`` in and out. A response's data is a ``fhir.resources`` model (so
nothing leaves that the model did not validate) or, for DRF's own errors, an
OperationOutcome built by interop/outcome.py."""

import json
from typing import Any

from fhir.resources.R4B.resource import Resource
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer

FHIR_JSON = "application/fhir+json"


def as_json(resource: Resource) -> dict[str, Any]:
    """A resource as FHIR JSON (empty elements left out, as FHIR requires)."""
    return json.loads(resource.model_dump_json(exclude_none=True))


class FhirJSONRenderer(BaseRenderer):
    media_type = FHIR_JSON
    format = "json"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if data is None:
            return b""
        if isinstance(data, Resource):
            return data.model_dump_json(exclude_none=True).encode()
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class PlainJSONRenderer(FhirJSONRenderer):
    """For a client that asks for ``application/json``: the same FHIR JSON."""

    media_type = "application/json"


class FhirJSONParser(JSONParser):
    media_type = FHIR_JSON


class PlainJSONParser(JSONParser):
    media_type = "application/json"
