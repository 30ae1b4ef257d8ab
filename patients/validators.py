from django.core.exceptions import ValidationError
from django.utils import timezone

from core import nhs_number


def validate_nhs_number(value: str) -> None:
    nhs_number.validate(value)


def validate_not_future(value) -> None:
    if value > timezone.localdate():
        raise ValidationError("Date of birth cannot be in the future.", code="future")
