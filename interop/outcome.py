"""Errors as FHIR ``OperationOutcome`` (API.md 1.1 "FHIR R4"), for every status the FHIR
endpoints give: the REST API's rules decide the status, this only changes the body."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from fhir.resources.R4B.operationoutcome import OperationOutcome
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.errors import Conflict, NotAllowed

# HTTP status -> the OperationOutcome issue type (http://hl7.org/fhir/issue-type).
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


class FhirError(Exception):
    """An error the FHIR layer raises with its status and issues (each a text, and where the
    problem lies as a FHIRPath ``expression``)."""

    def __init__(self, status_code: int, *issues: str | tuple[str, str], code: str = "") -> None:
        super().__init__(issues[0] if issues else "")
        self.status_code = status_code
        self.issues = issues
        self.code = code


def outcome(
    status_code: int, *issues: str | tuple[str, str], code: str = "", severity: str = "error"
) -> OperationOutcome:
    """An OperationOutcome with one issue per text; a (text, expression) pair names where."""
    issue_code = code or ISSUE_CODES.get(status_code, "exception")
    found: list[dict[str, Any]] = []
    for issue in issues or ("Error.",):
        text, expression = issue if isinstance(issue, tuple) else (issue, "")
        entry: dict[str, Any] = {
            "severity": severity,
            "code": issue_code,
            "diagnostics": text,
            "details": {"text": text},
        }
        if expression:
            entry["expression"] = [expression]
        found.append(entry)
    return OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": found})


def _flatten(detail: Any, prefix: str = "") -> list[tuple[str, str]]:
    """DRF's nested error detail as (message, where) pairs."""
    if isinstance(detail, dict):
        pairs: list[tuple[str, str]] = []
        for key, value in detail.items():
            where = key if not prefix else f"{prefix}.{key}"
            pairs += _flatten(value, "" if key in ("detail", "non_field_errors") else where)
        return pairs
    if isinstance(detail, list):
        return [pair for item in detail for pair in _flatten(item, prefix)]
    return [(str(detail), prefix)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler for the FHIR views: the same statuses as the REST API, with an
    OperationOutcome body."""
    headers: dict[str, str] = {}
    if isinstance(exc, FhirError):
        status_code, issues, code = exc.status_code, exc.issues, exc.code
    elif isinstance(exc, DjangoValidationError):
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        status_code, code = status.HTTP_400_BAD_REQUEST, ""
        issues = tuple((m, "" if k == "__all__" else k) for k, ms in messages.items() for m in ms)
    elif isinstance(exc, Conflict):
        status_code, issues, code = status.HTTP_409_CONFLICT, (exc.message,), ""
    elif isinstance(exc, NotAllowed | PermissionDenied):
        status_code, code = status.HTTP_403_FORBIDDEN, ""
        issues = (str(getattr(exc, "message", "") or exc or "You may not do this."),)
    elif isinstance(exc, Http404):
        status_code, issues, code = status.HTTP_404_NOT_FOUND, (str(exc) or "Not found.",), ""
    elif isinstance(exc, exceptions.APIException):
        status_code, code = exc.status_code, ""
        issues = tuple(_flatten(exc.detail)) or (str(exc),)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = "Token"
            status_code = status.HTTP_401_UNAUTHORIZED
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    else:
        return None
    body = outcome(status_code, *issues, code=code)
    return Response(body, status=status_code, headers=headers)
