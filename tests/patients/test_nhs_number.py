import pytest
from django.core.exceptions import ValidationError

from core import nhs_number


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "943-476-5919", " 9434765919 "])
def test_valid_numbers_are_normalised_to_ten_digits(value):
    assert nhs_number.validate(value) == "9434765919"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("9434765918", "checksum"),  # wrong check digit
        ("1234567890", "checksum"),  # remainder gives 10: never valid
        ("943476591", "format"),
        ("94347659190", "format"),
        ("94347659I9", "format"),
        ("", "format"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        nhs_number.validate(value)
    assert exc.value.code == code


def test_display_is_3_3_4():
    assert nhs_number.display("9434765919") == "943 476 5919"


def test_synthetic_numbers_are_valid_and_in_the_999_range():
    numbers = {nhs_number.synthetic(i) for i in range(200)}
    assert all(n.startswith("999") and nhs_number.is_valid(n) for n in numbers)
    assert len(numbers) > 150
