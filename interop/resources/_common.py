"""Small helpers the resource modules share: reading a FHIR date-time back into Python and
naming a member as a reference's display."""

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from ..outcome import FhirError


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
