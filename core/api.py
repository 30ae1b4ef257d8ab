"""Shared API machinery: authentication, pagination, errors, the scoping marker."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import ports, rls
from .constraints import errors_by_field
from .errors import Conflict, NotAllowed


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class RowsOfPage:
    """A list to paginate whose count is the model queryset's and whose page is plain rows
    (``values_list(*columns)``) of that queryset: the count without the joins the columns
    bring (PostgreSQL answers it from an index), the page without model instances."""

    def __init__(
        self,
        queryset: QuerySet[Any],
        columns: Sequence[str],
        annotations: Mapping[str, Any] | None = None,
    ) -> None:
        self.queryset = queryset
        self.columns = columns
        # Columns computed for the page only (scalar subqueries standing in for joins).
        self.annotations = dict(annotations or {})

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: int | slice) -> list[Any]:
        rows = self.queryset.annotate(**self.annotations) if self.annotations else self.queryset
        return list(rows.values_list(*self.columns)[index])


def _django_errors(exc: DjangoValidationError) -> dict[str, Any]:
    """A model's or a service's ValidationError as the API's 400 body: a constraint's error
    under its field (core.constraints), never Django's `__all__`."""
    if hasattr(exc, "error_dict"):
        return errors_by_field(exc.error_dict)
    return errors_by_field({NON_FIELD_ERRORS: exc.error_list})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        return Response(_django_errors(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        body: dict[str, Any] = {"detail": exc.message}
        if exc.field:
            body[exc.field] = [exc.message]
        body.update(exc.extra)
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(exc.message)
    return drf_exception_handler(exc, context)


def _too_large(exception: Exception | None) -> str | None:
    """What Django refused a request body for being too large, naming the limit; None for any
    other bad request."""
    if isinstance(exception, RequestDataTooBig):
        return (
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes "
            "(files apart)."
        )
    if isinstance(exception, TooManyFieldsSent):
        return f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields."
    if isinstance(exception, TooManyFilesSent):
        return f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES:,} files."
    return None


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE (or with too many
    fields) when it is read, which for the API is inside DRF's `request.data`. Under /api/ that
    is the API's JSON error, 413 naming the limit; a page gets a plain 413 page."""
    message = _too_large(exception)
    if request.path.startswith("/api/"):
        if message:
            return JsonResponse({"detail": message}, status=413)
        return JsonResponse({"detail": "Bad request."}, status=400)
    if message:
        return HttpResponse(
            f"<!doctype html><title>Too large</title><h1>Too large (413)</h1><p>{message}</p>",
            status=413,
        )
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: a URL under /api/ that matches no route (e.g. a non-numeric id) gets the
    API's JSON 404, not the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


NUL_MESSAGE = "Null characters are not allowed."


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def reject_nul_characters(request: Request, path_kwargs: dict[str, Any]) -> None:
    """400 for a NUL (0x00) character anywhere in the query or the body, 404 in the path.
    PostgreSQL can neither store nor compare text containing one, so any lookup with it would
    fail as a server error; DRF's CharField rejects it, but slug lookups don't."""
    if _has_nul(path_kwargs):
        raise exceptions.NotFound()
    errors: dict[str, list[str]] = {}
    # A body is read only where the method has one (a GET's stray body stays ignored).
    body = {} if request.method in SAFE_METHODS else request.data
    for source in (request.query_params, body):
        if hasattr(source, "lists"):  # QueryDict: every value of a repeated key
            items = source.lists()
        elif isinstance(source, dict):
            items = source.items()
        else:  # a JSON array or scalar body
            items = [("non_field_errors", source)]
        for key, value in items:
            if _has_nul(key) or _has_nul(value):
                errors[key.replace("\x00", "") or "non_field_errors"] = [NUL_MESSAGE]
    if errors:
        raise exceptions.ValidationError(errors)


class ScopedAPIMixin(APIView):
    """Marks an API view whose reads go through a selector scoped to the caller's networks.
    The meta-test (tests/test_access_meta.py) fails for any API view without it."""

    icn_scoped = True

    def perform_authentication(self, request: Request) -> None:
        """Once DRF knows the caller (a token or the session), the database's scope is their
        networks (core/rls.py), before any permission check or read."""
        super().perform_authentication(request)
        if rls.enforced():
            if request.user.is_authenticated:
                found = ports.call("network_scope", request.user)
                rls.set_scope(network_id for ids in found for network_id in ids)
            else:
                rls.clear_scope()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        reject_nul_characters(request, kwargs)
        import pghistory

        if request.user.is_authenticated:
            pghistory.context(user=request.user.pk, username=request.user.get_username())


# -- OpenAPI: the error responses of API.md (Conventions), declared once for every operation ----

_ERROR_SCHEMAS = {
    "ValidationErrors": {
        "type": "object",
        "description": 'Invalid input: `{"field": ["message", ...]}` (`non_field_errors` for the '
        "whole request); nested objects and lists mirror the request.",
        "additionalProperties": {},
    },
    "ErrorDetail": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ConflictDetail": {
        "type": "object",
        "description": "`detail`, and the clashing field's messages when there is one.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
}
_ERROR_RESPONSES = {
    "400": ("Invalid input; nothing was saved.", "ValidationErrors"),
    "401": ("Not authenticated.", "ErrorDetail"),
    "403": ("Authenticated, but this role may not do this.", "ErrorDetail"),
    "404": ("Not found, or outside the caller's networks.", "ErrorDetail"),
    "409": (
        "Conflicts with what is stored (duplicate, stale update, wrong state).",
        "ConflictDetail",
    ),
    "413": (
        f"The request body is over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes (files "
        f"apart) or has over {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields; nothing was "
        "saved.",
        "ErrorDetail",
    ),
}
_WRITES = {"post", "put", "patch", "delete"}


def _error_statuses(method: str, operation: dict) -> list[str]:
    security = operation.get("security") or []
    authenticated = bool(security) and {} not in security
    params = operation.get("parameters", [])
    query = {p["name"] for p in params if p.get("in") == "query"}
    statuses = []
    if query or "requestBody" in operation:
        statuses.append("400")
    if "requestBody" in operation:
        statuses.append("413")
    if authenticated:
        statuses += ["401", "403"]
        # Objects outside the caller's networks, an unknown network, a page past the end.
        if any(p.get("in") == "path" for p in params) or query & {"page", "network"}:
            statuses.append("404")
        if method in _WRITES:
            statuses.append("409")
    return statuses


def document_error_responses(
    result: dict[str, Any], generator: object, request: object, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: adds the error responses each operation can give
    (400 invalid input or query, 401, 403, 404, 409) unless the view documents its own."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(_ERROR_SCHEMAS)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code in _error_statuses(method, operation):
                if code in responses:
                    continue
                description, component = _ERROR_RESPONSES[code]
                responses[code] = {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{component}"}
                        }
                    },
                }
    return result
