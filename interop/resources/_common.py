"""Small helpers the resource modules share: reading a FHIR date-time back into Python and
naming a member as a reference's display."""

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from networks.models import Membership

from .. import codes
from ..outcome import FhirError
from ..registry import ImportContext


def when(value: Any, where: str) -> datetime | None:
    """A FHIR dateTime (or date) as an aware datetime; None when absent. A date alone is
    midnight in the server's time zone."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise FhirError(422, (f"{value!r} is not a date and time.", where)) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def day(value: Any, where: str) -> date | None:
    """A FHIR date (or the date of a dateTime); None when absent."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise FhirError(422, (f"{value!r} is not a date.", where)) from exc


def person_name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def codes_of(concept: dict[str, Any] | None, system: str) -> list[str]:
    """The codes of one system in a CodeableConcept (JSON)."""
    return [
        c["code"]
        for c in (concept or {}).get("coding", [])
        if c.get("system") == system and c.get("code")
    ]


# A member named in a resource (a visitor, a care plan's author, a care team member): their
# display name, and their username as an identifier in ICN's own system, so that bringing the
# record into a network where the same person is a member names them again.
USERNAME = codes.icn_identifier("user")


def practitioner(user: Any) -> dict[str, Any]:
    """A logical reference to a member (ICN serves no Practitioner resources)."""
    if user is None:
        return {"display": "a former member"}
    return {
        "type": "Practitioner",
        "identifier": {"system": USERNAME, "value": user.get_username()},
        "display": person_name(user),
    }


def member_here(reference: dict[str, Any] | None, ctx: ImportContext) -> Any:
    """The user a practitioner reference names, when they are an active member of the
    network the record is brought into; else None (the caller falls back to who brings it)."""
    identifier = (reference or {}).get("identifier") or {}
    if identifier.get("system") != USERNAME or not identifier.get("value"):
        return None
    membership = (
        Membership.objects.filter(
            network=ctx.network, user__username=identifier["value"], is_active=True
        )
        .select_related("user")
        .first()
    )
    return membership.user if membership else None
