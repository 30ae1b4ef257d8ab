"""Named extension points: how a lower floor tells a higher one that something happened, or
asks it for its part of a page, without importing it (STYLE.md "Layers (the house)").

A port is a name in ``settings.ICN_PORTS`` mapped to dotted paths of callables that the shell
(``icn/settings``) composes. The kernel resolves them; it knows no app. Callers call the port,
never the consumers directly (saleor's ``PluginsManager``). No Django signals: a port is an
ordinary call, in the caller's transaction, in the order the settings list.

Ports in use (each documented where it is called):
- ``referral_accepted_for_mdt``: ``(*, referral, by)`` after an MDT referral is accepted.
- ``network_created``: ``(*, network, by)`` after a network is saved (its built-in
  services are created and its meetings scheduled at once, so no page creates them on a GET).
- ``person_page_sections``: ``(user, patient) -> dict`` context for the person's page, one
  callable per app that owns sections of it.
- ``person_timeline``: ``(user, patient) -> list[patients.timeline.Entry]``, what one app
  holds of the person's history that the user may see, in a fixed number of queries.
- ``caseload_columns``: ``(user) -> list[patients.caseload.CaseloadColumn]``, columns of the
  people list that apps above patients own, each an expression (a Subquery on the person) the
  list annotates, so it filters and sorts on them in SQL across pages, in one query a page.
- ``admissions_within``: ``(days) -> Expression``, a person's admissions in the last ``days``
  days counted on ``OuterRef("pk")`` (reports), for floors below reports (medicines).
- ``patient_involvement``: ``(*, memberships, now) -> Q`` on Patient, one way the apps above
  patients make a clinical member involved in a person's care (patients.involvement).
- ``navigation_counts``: objects with ``expressions(user, membership)`` and
  ``apply(navigation, values, request, membership)`` for the counts in the header.
- ``consent_recorded``: ``(*, patient, was, by)`` after a person's consent is recorded
  (``was``: the two consents before), so the floors above close what rested on a consent
  now refused (PIC referrals and tasks, agendas of meetings not yet held).
- ``consent_to_share_needed``: ``(*, patient, by, flag)`` when a red flag for the PIC raised
  no referral for want of consent to share: a task to ask for it.
- ``network_scope``: ``(user) -> list[int]``, the networks whose rows the user's API
  requests may see (``core.api.ScopedAPIMixin``, for row-level security, core/rls.py).
- ``reminder_sweeps``: mappings of a name to a sweep ``(now) -> int``, one per domain (its
  ``<app>/reminders.SWEEPS``); the beat task and the morning digest run them all.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


class UnknownPort(LookupError):
    pass


@cache
def _resolve(name: str, paths: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(import_string(path) for path in paths)


def port(name: str) -> tuple[Any, ...]:
    """The callables (or objects) registered for ``name``, in the order settings give."""
    ports: dict[str, list[str]] = getattr(settings, "ICN_PORTS", {})
    if name not in ports:
        raise UnknownPort(f"No port named {name!r} in settings.ICN_PORTS")
    return _resolve(name, tuple(ports[name]))


def call(name: str, *args: Any, **kwargs: Any) -> list[Any]:
    """Call every callable registered for ``name``; their results in order."""
    return [consumer(*args, **kwargs) for consumer in port(name)]


Consumer = Callable[..., Any]
