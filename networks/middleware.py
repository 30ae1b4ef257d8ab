"""The database's scope for a request (core/rls.py, docs/adr/0006): the signed-in user's
active networks, so PostgreSQL's row-level security returns no other network's rows even to
a query that forgot its selector. API token users are scoped where DRF authenticates them
(core.api.ScopedAPIMixin, through the ``network_scope`` port)."""

from collections.abc import Callable

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from core import rls

from .selectors import active_memberships


def scope_network_ids(user: object) -> list[int]:
    """The networks whose rows the user's requests may see (the ``network_scope`` port)."""
    return list(active_memberships(user))  # type: ignore[arg-type]


class NetworkScopeMiddleware:
    """After authentication. Nothing is sent for a role that bypasses RLS (the owner)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if rls.enforced():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                rls.set_scope(scope_network_ids(user))
            else:
                rls.clear_scope()
        return self.get_response(request)


def _clear_after_request(**kwargs: object) -> None:
    # After the response is sent (a streamed CSV reads as it goes), and on errors too: a reused
    # connection carries no scope into the next request.
    rls.clear_scope()


request_finished.connect(_clear_after_request, dispatch_uid="icn_rls_clear")
