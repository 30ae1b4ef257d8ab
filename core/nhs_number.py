"""NHS numbers: ten digits, the tenth a modulus-11 check digit; shown 3-3-4."""

import re

from django.core.exceptions import ValidationError

_SEPARATORS = re.compile(r"[\s-]")


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid number can end them (11 - r == 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def normalise(value: str) -> str:
    """Strip spaces and hyphens ("943 476 5919" -> "9434765919")."""
    return _SEPARATORS.sub("", value or "")


def is_valid(value: str) -> bool:
    digits = normalise(value)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    return check_digit(digits[:9]) == int(digits[9])


def validate(value: str) -> str:
    """Return the stored form (10 digits) or raise ValidationError with a clear message."""
    digits = normalise(value)
    if not re.fullmatch(r"\d{10}", digits):
        raise ValidationError(
            "An NHS number has 10 digits (spaces allowed, e.g. 943 476 5919).", code="format"
        )
    if check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(
            "This is not a valid NHS number: the check digit does not match. "
            "Please check it has been copied correctly.",
            code="checksum",
        )
    return digits


def display(value: str) -> str:
    digits = normalise(value)
    if len(digits) != 10:
        return value
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def synthetic(seed: int) -> str:
    """A valid NHS number from the synthetic 999 range (for tests and demo data)."""
    n = seed
    while True:
        first_nine = f"999{n % 1_000_000:06d}"
        digit = check_digit(first_nine)
        if digit is not None:
            return first_nine + str(digit)
        n += 1
