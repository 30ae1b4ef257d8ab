"""Observation (UK Core vital-signs profiles, ACVPU and early warning score): a visit's
measurements, one Observation each, and the visit's NEWS2 total.

Each visit (medicines.Visit) gives up to seven Observations with ids ``{visit}-{part}``
("12-bp", "12-news2"), all naming ``Encounter/{visit}``. Codes as UK Core profiles them
(NHSDigital/FHIR-R4-UKCORE-STAGING-MAIN, structuredefinitions/ and examples/):

- blood pressure: UKCore-Observation-VitalSigns-BloodPressure, LOINC 85354-9 (SNOMED CT
  75367002), components systolic 8480-6 and diastolic 8462-4 in mm[Hg];
- pulse: UKCore-Observation-VitalSigns-HeartRate, LOINC 8867-4 (SNOMED CT 364075005), /min;
- breathing: UKCore-Observation-VitalSigns-RespirationRate, LOINC 9279-1 (86290005), /min;
- SpO2: UKCore-Observation-VitalSigns-OxygenSaturation, LOINC 2708-6 (the profile's fixed
  code) with 59408-5 (by pulse oximetry, as measured at home) and SNOMED CT 431314004, %;
- temperature: UKCore-Observation-VitalSigns-BodyTemperature, LOINC 8310-5, Cel;
- consciousness: UKCore-Observation-ACVPU, SNOMED CT 1104441000000107, the value from the
  UKCore-ACVPU ValueSet;
- NEWS2 total: UKCore-Observation-EarlyWarningTotalScore, SNOMED CT 1104051000000101. The
  profile fixes the value as a Quantity in {ScoreOf} (not valueInteger), so the score is
  ``valueQuantity.value``; its parts are components with the RCP's sub-score codes, as in
  UK Core's NEWS2 Bundle example (they also carry air or oxygen and the SpO2 scale).

A restricted visit a reader may not open gives that reader no Observations (the REST API
blanks the same observations).
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Value
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.resource import Resource

from medicines.models import Visit
from medicines.selectors import seal_visits

from .. import codes
from ..outcome import FhirError
from ..registry import (
    Context,
    ImportContext,
    ResourceType,
    SearchError,
    meta,
    reference,
    register,
)
from .encounter import visit_rows

SNOMED, LOINC, UCUM = codes.SNOMED, codes.LOINC, codes.UCUM
VITAL_SIGNS = {
    "coding": [
        {"system": codes.OBSERVATION_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}
    ]
}
SURVEY = {"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}

# part -> (profile, codings, the visit's fields that hold it)
PARTS: dict[str, tuple[str, list[dict[str, str]], tuple[str, ...]]] = {
    "bp": (
        "Observation-VitalSigns-BloodPressure",
        [
            {
                "system": LOINC,
                "code": "85354-9",
                "display": "Blood pressure panel with all children optional",
            },
            {"system": SNOMED, "code": "75367002", "display": "Blood pressure"},
        ],
        ("systolic_bp", "diastolic_bp"),
    ),
    "pulse": (
        "Observation-VitalSigns-HeartRate",
        [
            {"system": LOINC, "code": "8867-4", "display": "Heart rate"},
            {"system": SNOMED, "code": "364075005", "display": "Heart rate"},
        ],
        ("pulse",),
    ),
    "rr": (
        "Observation-VitalSigns-RespirationRate",
        [
            {"system": LOINC, "code": "9279-1", "display": "Respiratory rate"},
            {"system": SNOMED, "code": "86290005", "display": "Respiratory rate"},
        ],
        ("respiratory_rate",),
    ),
    "spo2": (
        "Observation-VitalSigns-OxygenSaturation",
        [
            {"system": LOINC, "code": "2708-6", "display": "Oxygen saturation in Arterial blood"},
            {
                "system": LOINC,
                "code": "59408-5",
                "display": "Oxygen saturation in Arterial blood by Pulse oximetry",
            },
            {"system": SNOMED, "code": "431314004", "display": "Peripheral oxygen saturation"},
        ],
        ("spo2",),
    ),
    "temp": (
        "Observation-VitalSigns-BodyTemperature",
        [
            {"system": LOINC, "code": "8310-5", "display": "Body temperature"},
            {"system": SNOMED, "code": "386725007", "display": "Body temperature"},
        ],
        ("temperature_c",),
    ),
    "acvpu": (
        "Observation-ACVPU",
        [
            {
                "system": SNOMED,
                "code": "1104441000000107",
                "display": "ACVPU (Alert Confusion Voice Pain Unresponsive) scale score",
            }
        ],
        ("consciousness",),
    ),
    "news2": (
        "Observation-EarlyWarningTotalScore",
        [
            {
                "system": SNOMED,
                "code": "1104051000000101",
                "display": "Royal College of Physicians NEWS2 (National Early Warning Score 2) "
                "total score",
            }
        ],
        ("news2_score",),
    ),
}
NEWS2 = "news2"
# The part of a code: "85354-9" -> "bp" (any of a part's codings finds it).
PART_BY_CODE = {coding["code"]: part for part, (_, cs, _) in PARTS.items() for coding in cs}
SYSTOLIC = {"system": LOINC, "code": "8480-6", "display": "Systolic blood pressure"}
DIASTOLIC = {"system": LOINC, "code": "8462-4", "display": "Diastolic blood pressure"}
# ACVPU (UKCore-ACVPU ValueSet, SNOMED CT) <-> Visit.Consciousness.
ACVPU = {
    Visit.Consciousness.ALERT: ("248234008", "Mentally alert"),
    Visit.Consciousness.CONFUSION: ("130987000", "Acute confusion"),
    Visit.Consciousness.VOICE: ("300202002", "Responds to voice"),
    Visit.Consciousness.PAIN: ("450847001", "Responds to pain"),
    Visit.Consciousness.UNRESPONSIVE: ("422768004", "Unresponsive"),
}
CONSCIOUSNESS_BY_CODE = {code: level for level, (code, _) in ACVPU.items()}
# NEWS2 sub-scores (SNOMED CT, the RCP's, as UK Core's NEWS2 Bundle example codes them).
NEWS2_PARTS = {
    "respiratory_rate": ("1104301000000104", "respiration rate score"),
    "spo2": ("1104311000000102", "oxygen saturation scale 1 score"),
    "spo2_scale_2": ("1104321000000108", "oxygen saturation scale 2 score"),
    "air_or_oxygen": ("1104331000000105", "air or oxygen score"),
    "systolic_bp": ("1104341000000101", "systolic blood pressure score"),
    "pulse": ("1104351000000103", "pulse score"),
    "consciousness": ("1104361000000100", "consciousness score"),
    "temperature_c": ("1104371000000107", "temperature score"),
}
NEWS2_PART_BY_CODE = {code: name for name, (code, _) in NEWS2_PARTS.items()}
NEWS2_LABEL = "Royal College of Physicians NEWS2 (National Early Warning Score 2) - "


def _quantity(value: Any, unit: str, code: str) -> dict[str, Any]:
    number = float(value) if isinstance(value, Decimal) else value
    return {"value": number, "unit": unit, "system": UCUM, "code": code}


def _score(value: int) -> dict[str, Any]:
    return _quantity(value, "score", "{ScoreOf}")


def to_fhir(visits: Sequence[Visit], ctx: Context) -> list[Resource]:
    seal_visits(ctx.user, list(visits))
    found: list[Resource] = []
    for visit in visits:
        if visit.sealed:
            continue
        wanted = getattr(visit, "fhir_parts", None)
        for part in PARTS:
            if wanted and part not in wanted.split(","):
                continue
            resource = _observation(visit, part)
            if resource is not None:
                found.append(resource)
    return found


def _observation(visit: Visit, part: str) -> Observation | None:
    profile, codings, fields = PARTS[part]
    if all(getattr(visit, name) is None or getattr(visit, name) == "" for name in fields):
        return None
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"{visit.pk}-{part}",
        "meta": meta(profile),
        "status": "final",
        "category": [SURVEY if part in {"acvpu", NEWS2} else VITAL_SIGNS],
        "code": {"coding": codings, "text": codings[0]["display"]},
        "subject": reference("Patient", visit.patient_id),
        "encounter": reference("Encounter", visit.pk),
        "effectiveDateTime": visit.visited_at.isoformat(),
    }
    if part == "bp":
        components = []
        if visit.systolic_bp is not None:
            components.append(
                {
                    "code": {"coding": [SYSTOLIC]},
                    "valueQuantity": _quantity(visit.systolic_bp, "mmHg", "mm[Hg]"),
                }
            )
        if visit.diastolic_bp is not None:
            components.append(
                {
                    "code": {"coding": [DIASTOLIC]},
                    "valueQuantity": _quantity(visit.diastolic_bp, "mmHg", "mm[Hg]"),
                }
            )
        resource["component"] = components
    elif part in {"pulse", "rr"}:
        value = visit.pulse if part == "pulse" else visit.respiratory_rate
        resource["valueQuantity"] = _quantity(value, "per minute", "/min")
    elif part == "spo2":
        resource["valueQuantity"] = _quantity(visit.spo2, "percent", "%")
    elif part == "temp":
        resource["valueQuantity"] = _quantity(visit.temperature_c, "degree Celsius", "Cel")
    elif part == "acvpu":
        code, display = ACVPU[Visit.Consciousness(visit.consciousness)]
        resource["valueCodeableConcept"] = {
            "coding": [{"system": SNOMED, "code": code, "display": display}]
        }
    else:
        resource["valueQuantity"] = _score(visit.news2_score)  # type: ignore[arg-type]
        resource["component"] = _news2_components(visit)
        if not visit.news2_complete:
            missing = ", ".join(visit.news2().missing).replace("_c", "").replace("_", " ")
            resource["note"] = [{"text": f"Partial score: not measured: {missing}."}]
    return Observation.model_validate(resource)


def _news2_components(visit: Visit) -> list[dict[str, Any]]:
    components = []
    for name, value in visit.news2().parts.items():
        key = "spo2_scale_2" if name == "spo2" and visit.spo2_scale == 2 else name
        code, label = NEWS2_PARTS[key]
        components.append(
            {
                "code": {
                    "coding": [{"system": SNOMED, "code": code, "display": NEWS2_LABEL + label}]
                },
                "valueQuantity": _score(value),
            }
        )
    return components


# --- search -----------------------------------------------------------------------------------


def by_code(visits: QuerySet[Visit], value: str) -> QuerySet[Visit]:
    """``code=http://loinc.org|8867-4`` or ``code=8867-4``; several, comma-separated, are
    any of them. The visits with such a measurement, marked with the parts to give."""
    parts = []
    for token in value.split(","):
        system, _, code = token.strip().rpartition("|")
        part = PART_BY_CODE.get(code)
        if part is None or (system and system not in {LOINC, SNOMED}):
            raise SearchError(
                f"ICN has no observation with code {token.strip()!r} (LOINC or SNOMED CT, "
                "e.g. http://loinc.org|8867-4)."
            )
        parts.append(part)
    measured = Q()
    for part in parts:
        for name in PARTS[part][2]:
            measured |= (
                ~Q(consciousness="") if name == "consciousness" else Q(**{f"{name}__isnull": False})
            )
    return visits.filter(measured).annotate(fhir_parts=Value(",".join(parts)))


def row_id(id_: str) -> int | None:
    visit, _, part = id_.partition("-")
    return int(visit) if visit.isdigit() and part in PARTS else None


# --- bringing a record in ---------------------------------------------------------------------


def _codes(concept: dict[str, Any] | None) -> list[str]:
    return [c.get("code", "") for c in (concept or {}).get("coding") or []]


# The UCUM units ICN holds each measurement in (and those UK Core's examples also use).
UNITS = {
    "bp": {"mm[Hg]"},
    "pulse": {"/min", "{beats}/min"},
    "rr": {"/min", "{Breaths}/min", "{breaths}/min"},
    "spo2": {"%"},
    "temp": {"Cel"},
    NEWS2: {"{ScoreOf}", "{score}"},
}


def _value(quantity: dict[str, Any] | None, where: str, part: str) -> Any:
    """The quantity's value, in the unit ICN holds the part in (a code ICN does not hold it
    in is refused, never converted)."""
    if not quantity or "value" not in quantity:
        raise FhirError(422, (f"The observation has no value ({where}).", where))
    unit = quantity.get("code")
    if unit is not None and unit not in UNITS[part]:
        held = " or ".join(sorted(UNITS[part]))
        raise FhirError(422, (f"ICN holds this measurement in {held}, not {unit}.", where))
    return quantity["value"]


def _whole(value: Any) -> int:
    return round(Decimal(str(value)))


def from_fhir(resource: dict[str, Any], ctx: ImportContext) -> Visit:
    """Set the measurement on the visit its Encounter became (Observations come after their
    Encounter, and the NEWS2 total after the measurements, as ICN sends them): the NEWS2
    total is computed from the measurements, and refused when it does not agree."""
    ref = (resource.get("encounter") or {}).get("reference")
    visit: Visit | None = ctx.row(ref)
    if visit is None:
        raise FhirError(
            422, ("An Observation names the Encounter (visit) it was measured in.", "encounter")
        )
    part = next((PART_BY_CODE[c] for c in _codes(resource.get("code")) if c in PART_BY_CODE), None)
    if part is None:
        raise FhirError(422, ("ICN holds no observation with this code.", "Observation.code"))
    if part == "bp":
        for component in resource.get("component") or []:
            found = _codes(component.get("code"))
            value = _whole(_value(component.get("valueQuantity"), "component.valueQuantity", part))
            if SYSTOLIC["code"] in found:
                visit.systolic_bp = value
            elif DIASTOLIC["code"] in found:
                visit.diastolic_bp = value
    elif part in {"pulse", "rr", "spo2"}:
        value = _whole(_value(resource.get("valueQuantity"), "Observation.valueQuantity", part))
        name = {"pulse": "pulse", "rr": "respiratory_rate", "spo2": "spo2"}[part]
        setattr(visit, name, value)
    elif part == "temp":
        value = _value(resource.get("valueQuantity"), "Observation.valueQuantity", part)
        visit.temperature_c = Decimal(str(value)).quantize(Decimal("0.1"))
    elif part == "acvpu":
        found = _codes(resource.get("valueCodeableConcept"))
        level = next((CONSCIOUSNESS_BY_CODE[c] for c in found if c in CONSCIOUSNESS_BY_CODE), None)
        if level is None:
            raise FhirError(
                422, ("ACVPU is one of the UKCore-ACVPU codes.", "Observation.valueCodeableConcept")
            )
        visit.consciousness = level
    else:
        _news2_from_fhir(visit, resource)
    result = visit.news2()
    visit.news2_score = result.score if result.measured else None
    visit.news2_complete = result.complete
    visit.full_clean()
    visit.save()
    return visit


def _news2_from_fhir(visit: Visit, resource: dict[str, Any]) -> None:
    if "valueInteger" in resource:  # as some systems send a score
        sent = int(resource["valueInteger"])
    else:
        sent = _whole(_value(resource.get("valueQuantity"), "Observation.valueQuantity", NEWS2))
    for component in resource.get("component") or []:
        for code in _codes(component.get("code")):
            name = NEWS2_PART_BY_CODE.get(code)
            if name == "air_or_oxygen":
                value = _value(component.get("valueQuantity"), "component.valueQuantity", NEWS2)
                visit.on_oxygen = _whole(value) > 0
            elif name == "spo2_scale_2":
                visit.spo2_scale = 2
    computed = visit.news2().score
    if computed != sent:
        raise FhirError(
            422,
            (
                f"The NEWS2 total sent ({sent}) is not the one its measurements give ({computed}).",
                "Observation.valueQuantity",
            ),
        )


OBSERVATION = register(
    ResourceType(
        name="Observation",
        profile=codes.profile("Observation-VitalSigns"),
        rows=visit_rows,
        to_fhir=to_fhir,
        from_fhir=from_fhir,
        search={"code": by_code},
        row_id=row_id,
        counts_rows=False,
        order=60,
        description="A visit's vital signs (LOINC, as UK Core profiles them: blood pressure, "
        "pulse, breathing rate, SpO2, temperature), consciousness (ACVPU) and the NEWS2 total "
        "(SNOMED CT 1104051000000101); ids {visit}-{part}.",
    )
)
