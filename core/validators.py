"""Validators shared by models, forms and serializers."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

SINGLE_LINE_MESSAGE = "Use a single line (no line breaks)."

# Every character str.splitlines() breaks a line at: CR, LF, VT, FF, the file/group/record
# separators, NEL, and the Unicode line and paragraph separators.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def single_line(value: object) -> None:
    """A one-line field (a title, a name): refuses any line break. Such text is shown on one
    line, and may become an e-mail subject, where a line break is a header injection."""
    if isinstance(value, str) and not LINE_BREAKS.isdisjoint(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="single_line")


def one_line(text: str) -> str:
    """`text` with every run of whitespace, line breaks included, collapsed to one space: for
    text that must be a single line whatever was stored (an e-mail subject)."""
    return " ".join(text.split())


EARLIEST_DATE = datetime.date(1900, 1, 1)
YEARS_AHEAD = 5


def _day(value: datetime.date) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def not_before_1900(value: datetime.date | None) -> None:
    """Any date (or moment) a person gives: none is before 1900, which is a typing slip."""
    if value is not None and _day(value) < EARLIEST_DATE:
        raise ValidationError("Give a date from 1900 on.", code="before_1900")


def five_years_ahead(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def within_five_years_ahead(value: datetime.date | None) -> None:
    """A due, review or follow-up date: at most five years from today."""
    if value is not None and _day(value) > five_years_ahead():
        raise ValidationError(
            "Give a date no more than %(years)s years ahead.",
            code="too_far_ahead",
            params={"years": YEARS_AHEAD},
        )
