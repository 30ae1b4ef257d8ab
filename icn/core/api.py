"""Shared API machinery: authentication, pagination, errors, the scoping marker."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Conflict, NotAllowed


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _django_errors(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            field: [m for e in errs for m in e.messages] for field, errs in exc.error_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(_django_errors(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        body = {"detail": exc.message}
        if exc.field:
            body[exc.field] = [exc.message]
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(exc.message)
    return drf_exception_handler(exc, context)


class ScopedAPIMixin:
    """Marks an API view whose reads go through a selector scoped to the caller's networks.
    The meta-test (tests/test_access_meta.py) fails for any API view without it."""

    icn_scoped = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        import pghistory

        if request.user.is_authenticated:
            pghistory.context(user=request.user.pk, username=request.user.get_username())
