"""A medication line's dose as a FHIR Dosage and back (medicines/dosage.py)."""

from decimal import Decimal

import pytest

from medicines.dosage import DosageNotHeld, from_fhir, to_fhir
from medicines.models import Frequency, Medication


def line(**fields):
    values = {
        "name": "Ramipril",
        "dose_amount": Decimal("2.5"),
        "dose_unit": "mg",
        "frequency": Frequency.TWICE_DAILY,
        "route": Medication.Route.ORAL,
    }
    return Medication(**(values | fields))


@pytest.mark.parametrize("frequency", [f.value for f in Frequency])
@pytest.mark.parametrize("route", [r.value for r in Medication.Route])
def test_every_frequency_and_route_goes_out_and_back_unchanged(frequency, route):
    medication = line(frequency=frequency, route=route)
    dosage = to_fhir(medication).model_dump(mode="json", exclude_none=True)
    back = from_fhir(dosage)
    assert back == {
        "dose_amount": Decimal("2.5"),
        "dose_unit": "mg",
        "frequency": frequency,
        # "other" has no SNOMED code: it goes out without a route and comes back by mouth.
        "route": route if route != "other" else "oral",
    }


def test_the_dosage_reads_as_the_pharmacist_wrote_it():
    dosage = to_fhir(line()).model_dump(mode="json", exclude_none=True)
    assert dosage["text"] == "2.5 mg twice a day"
    assert dosage["timing"]["repeat"] == {"frequency": 2, "period": 1, "periodUnit": "d"}
    assert dosage["route"]["coding"][0]["code"] == "26643006"


@pytest.mark.parametrize(
    ("dosage", "says"),
    [
        ({"text": "x"}, "no amount"),
        ({"doseAndRate": [{"doseQuantity": {"value": 1}}], "asNeededBoolean": True}, "no unit"),
        (
            {
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}],
                "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "wk"}},
            },
            "1-4 times a day",
        ),
        (
            {
                "doseAndRate": [{"doseQuantity": {"value": 0.001, "unit": "mg"}}],
                "asNeededBoolean": True,
            },
            "2 decimal places",
        ),
        ({"doseAndRate": [{"doseQuantity": {"value": 1, "unit": "mg"}}]}, "no timing"),
    ],
)
def test_a_dose_icn_cannot_hold_exactly_is_refused_with_a_reason(dosage, says):
    with pytest.raises(DosageNotHeld, match=says):
        from_fhir(dosage)
