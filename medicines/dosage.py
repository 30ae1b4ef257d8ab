"""A medication line's structured dose as a FHIR ``Dosage`` (UK Core's dose syntax), and back.

ICN keeps the dose as fields (amount, unit, frequency, route: medicines.models.Medication),
so what the pharmacist typed is what is sent. A Dosage from another system that these
fields cannot hold exactly (three times a week, a range, a taper) is refused with a reason
(``DosageNotHeld``), never rounded to something near: the pharmacist reconciles it by hand.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from fhir.resources.R4B.dosage import Dosage

from .models import Frequency, Medication

SNOMED = "http://snomed.info/sct"

# Route of administration (SNOMED CT, the UK Core ValueSet's codes).
ROUTES: dict[str, tuple[str, str]] = {
    Medication.Route.ORAL: ("26643006", "Oral route"),
    Medication.Route.INHALED: ("447694001", "Respiratory tract route"),
    Medication.Route.TOPICAL: ("6064005", "Topical route"),
    Medication.Route.TRANSDERMAL: ("45890007", "Transdermal route"),
    Medication.Route.SUBCUTANEOUS: ("34206005", "Subcutaneous route"),
    Medication.Route.EYE: ("54485002", "Ophthalmic route"),
    Medication.Route.EAR: ("10547007", "Otic route"),
    Medication.Route.NASAL: ("46713006", "Nasal route"),
}
ROUTE_BY_CODE = {code: route for route, (code, _label) in ROUTES.items()}

# Frequency -> Timing.repeat (and "when" for at night).
TIMINGS: dict[str, dict[str, Any]] = {
    Frequency.ONCE_DAILY: {"frequency": 1, "period": 1, "periodUnit": "d"},
    Frequency.TWICE_DAILY: {"frequency": 2, "period": 1, "periodUnit": "d"},
    Frequency.THREE_TIMES_DAILY: {"frequency": 3, "period": 1, "periodUnit": "d"},
    Frequency.FOUR_TIMES_DAILY: {"frequency": 4, "period": 1, "periodUnit": "d"},
    Frequency.AT_NIGHT: {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["HS"]},
    Frequency.WEEKLY: {"frequency": 1, "period": 1, "periodUnit": "wk"},
}


class DosageNotHeld(ValueError):
    """A Dosage ICN's fields cannot hold exactly; the message says what."""


def to_fhir(medication: Medication) -> Dosage:
    """The line's dose as a Dosage: the text a person reads, and the same in structure."""
    dosage: dict[str, Any] = {
        "sequence": 1,
        "text": medication.dose_display,
        "doseAndRate": [
            {
                "doseQuantity": {
                    "value": float(medication.dose_amount),
                    "unit": medication.dose_unit,
                }
            }
        ],
    }
    if medication.frequency == Frequency.AS_REQUIRED:
        dosage["asNeededBoolean"] = True
    else:
        dosage["timing"] = {"repeat": dict(TIMINGS[medication.frequency])}
    if medication.route in ROUTES:
        code, label = ROUTES[medication.route]
        dosage["route"] = {"coding": [{"system": SNOMED, "code": code, "display": label}]}
    return Dosage.model_validate(dosage)


def from_fhir(dosage: dict[str, Any]) -> dict[str, Any]:
    """A Dosage (as JSON) as Medication fields: ``dose_amount``, ``dose_unit``,
    ``frequency``, ``route``. Raises DosageNotHeld for what they cannot hold exactly."""
    Dosage.model_validate(dosage)  # a malformed Dosage is refused before it is read
    rates = dosage.get("doseAndRate") or []
    quantity = (rates[0].get("doseQuantity") if rates else None) or {}
    if "value" not in quantity:
        raise DosageNotHeld("The dose has no amount (doseQuantity.value).")
    try:
        amount = Decimal(str(quantity["value"]))
    except InvalidOperation as exc:
        raise DosageNotHeld("The dose amount is not a number.") from exc
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise DosageNotHeld("The dose amount must be more than 0, to 2 decimal places.")
    unit = (quantity.get("unit") or quantity.get("code") or "").strip()
    if not unit:
        raise DosageNotHeld("The dose has no unit.")
    return {
        "dose_amount": amount,
        "dose_unit": unit[:20],
        "frequency": _frequency(dosage),
        "route": _route(dosage),
    }


def _frequency(dosage: dict[str, Any]) -> str:
    repeat = (dosage.get("timing") or {}).get("repeat")
    if dosage.get("asNeededBoolean") or dosage.get("asNeededCodeableConcept"):
        if repeat:
            raise DosageNotHeld("A dose both when required and on a schedule.")
        return Frequency.AS_REQUIRED
    if not repeat:
        raise DosageNotHeld("The dose has no timing (timing.repeat) and is not when required.")
    shape = {
        "frequency": repeat.get("frequency", 1),
        "period": repeat.get("period"),
        "periodUnit": repeat.get("periodUnit"),
    }
    if repeat.get("when"):
        shape["when"] = list(repeat["when"])
    extra = set(repeat) - {"frequency", "period", "periodUnit", "when"}
    for frequency, timing in TIMINGS.items():
        if shape == timing and not extra:
            return frequency
    raise DosageNotHeld(
        f"ICN holds doses 1-4 times a day, at night or weekly; not {dosage.get('text') or repeat}."
    )


def _route(dosage: dict[str, Any]) -> str:
    codings = (dosage.get("route") or {}).get("coding") or []
    for coding in codings:
        if coding.get("system") == SNOMED and coding.get("code") in ROUTE_BY_CODE:
            return ROUTE_BY_CODE[coding["code"]]
    return Medication.Route.OTHER if codings else Medication.Route.ORAL
