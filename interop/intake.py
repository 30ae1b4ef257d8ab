"""``POST /fhir/R4/``: a transaction Bundle of one Patient and one ServiceRequest, the
referral intake for partner systems (API.md 1.1 "FHIR R4")."""

from typing import Any

from fhir.resources.R4B.resource import Resource

from core.typing import User

from .outcome import FhirError
from .registry import Context


def process(*, bundle: Any, user: User, ctx: Context) -> tuple[Resource, int]:
    """The transaction-response Bundle and its status; raises FhirError with nothing saved."""
    raise FhirError(501, "The referral intake is not open yet.", code="not-supported")
