"""NEWS2 (Royal College of Physicians, 2017): the aggregate score from six physiological
parameters plus supplemental oxygen. Each parameter scores 0-3 by the published bands."""

from dataclasses import dataclass
from decimal import Decimal

ALERT = "alert"


def respiration_rate(rate: int) -> int:
    if rate <= 8:
        return 3
    if rate <= 11:
        return 1
    if rate <= 20:
        return 0
    if rate <= 24:
        return 2
    return 3


def spo2_scale_1(spo2: int) -> int:
    if spo2 <= 91:
        return 3
    if spo2 <= 93:
        return 2
    if spo2 <= 95:
        return 1
    return 0


def spo2_scale_2(spo2: int, on_oxygen: bool) -> int:
    """For people with hypercapnic respiratory failure (target 88-92%), on a clinician's
    decision. 93% or more scores only when on oxygen."""
    if spo2 <= 83:
        return 3
    if spo2 <= 85:
        return 2
    if spo2 <= 87:
        return 1
    if spo2 <= 92 or not on_oxygen:
        return 0
    if spo2 <= 94:
        return 1
    if spo2 <= 96:
        return 2
    return 3


def air_or_oxygen(on_oxygen: bool) -> int:
    return 2 if on_oxygen else 0


def systolic_bp(systolic: int) -> int:
    if systolic <= 90:
        return 3
    if systolic <= 100:
        return 2
    if systolic <= 110:
        return 1
    if systolic <= 219:
        return 0
    return 3


def pulse(rate: int) -> int:
    if rate <= 40:
        return 3
    if rate <= 50:
        return 1
    if rate <= 90:
        return 0
    if rate <= 110:
        return 1
    if rate <= 130:
        return 2
    return 3


def consciousness(level: str) -> int:
    """ACVPU: alert scores 0; new confusion, voice, pain or unresponsive score 3."""
    return 0 if level == ALERT else 3


def temperature(celsius: Decimal | float) -> int:
    t = Decimal(str(celsius))
    if t <= Decimal("35.0"):
        return 3
    if t <= Decimal("36.0"):
        return 1
    if t <= Decimal("38.0"):
        return 0
    if t <= Decimal("39.0"):
        return 1
    return 2


@dataclass(frozen=True)
class News2:
    score: int
    parts: dict[str, int]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def measured(self) -> bool:
        """Anything was measured: more than the air/oxygen part, which is always there."""
        return len(self.parts) > 1

    @property
    def any_red(self) -> bool:
        """A single parameter scoring 3: an urgent ward-based response in hospital."""
        return 3 in self.parts.values()

    @property
    def risk(self) -> str:
        if self.score >= 7:
            return "high"
        if self.score >= 5:
            return "medium"
        if self.any_red:
            return "low-medium"
        return "low"

    @property
    def needs_attention(self) -> bool:
        return self.score >= 5

    @property
    def escalation(self) -> str:
        return escalation(self)

    @property
    def guidance(self) -> str:
        """The RCP clinical response the score asks for ("" when none)."""
        return GUIDANCE.get(escalation(self), "")


# Escalation (RCP NEWS2 clinical response): what a visit's score asks of the network.
NO_ESCALATION, URGENT, EMERGENCY = "none", "urgent", "emergency"
GUIDANCE = {
    URGENT: (
        "NEWS2 of 5 or 6, or 3 in any single parameter: urgent response \u2013 urgent review by "
        "a clinician competent in acute illness, within the hour."
    ),
    EMERGENCY: (
        "NEWS2 of 7 or more: emergency response \u2013 urgent assessment by a clinical team with "
        "critical-care competencies; usually transfer to a higher level of care."
    ),
}


def escalation(result: News2) -> str:
    """none, urgent (5-6, or 3 in one parameter) or emergency (7 or more)."""
    if result.score >= 7:
        return EMERGENCY
    if result.score >= 5 or result.any_red:
        return URGENT
    return NO_ESCALATION


PARAMETERS = ("respiratory_rate", "spo2", "systolic_bp", "pulse", "consciousness", "temperature_c")


def news2(
    *,
    respiratory_rate: int | None = None,
    spo2: int | None = None,
    on_oxygen: bool = False,
    spo2_scale: int = 1,
    systolic_bp_value: int | None = None,
    pulse_rate: int | None = None,
    consciousness_level: str | None = None,
    temperature_c: Decimal | float | None = None,
) -> News2:
    """The score from what was measured; `missing` names what was not, so a partial score
    is never mistaken for a complete one."""
    parts: dict[str, int] = {}
    if respiratory_rate is not None:
        parts["respiratory_rate"] = respiration_rate(respiratory_rate)
    if spo2 is not None:
        parts["spo2"] = spo2_scale_2(spo2, on_oxygen) if spo2_scale == 2 else spo2_scale_1(spo2)
    parts["air_or_oxygen"] = air_or_oxygen(on_oxygen)
    if systolic_bp_value is not None:
        parts["systolic_bp"] = systolic_bp(systolic_bp_value)
    if pulse_rate is not None:
        parts["pulse"] = pulse(pulse_rate)
    if consciousness_level:
        parts["consciousness"] = consciousness(consciousness_level)
    if temperature_c is not None:
        parts["temperature_c"] = temperature(temperature_c)
    missing = tuple(p for p in PARAMETERS if p not in parts)
    return News2(score=sum(parts.values()), parts=parts, missing=missing)
