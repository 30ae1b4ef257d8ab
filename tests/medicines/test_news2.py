"""NEWS2 against the Royal College of Physicians' published scoring bands (2017 chart)."""

from decimal import Decimal

import pytest

from medicines import news2 as n


@pytest.mark.parametrize(
    ("rate", "score"),
    [(4, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (40, 3)],
)
def test_respiration_rate(rate, score):
    assert n.respiration_rate(rate) == score


@pytest.mark.parametrize(
    ("spo2", "score"), [(85, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
)
def test_spo2_scale_1(spo2, score):
    assert n.spo2_scale_1(spo2) == score


@pytest.mark.parametrize(
    ("spo2", "on_oxygen", "score"),
    [
        (83, False, 3),
        (84, False, 2),
        (85, False, 2),
        (86, False, 1),
        (87, False, 1),
        (88, False, 0),
        (92, False, 0),
        (93, False, 0),
        (99, False, 0),
        (88, True, 0),
        (92, True, 0),
        (93, True, 1),
        (94, True, 1),
        (95, True, 2),
        (96, True, 2),
        (97, True, 3),
        (100, True, 3),
    ],
)
def test_spo2_scale_2(spo2, on_oxygen, score):
    assert n.spo2_scale_2(spo2, on_oxygen) == score


def test_air_or_oxygen():
    assert (n.air_or_oxygen(False), n.air_or_oxygen(True)) == (0, 2)


@pytest.mark.parametrize(
    ("bp", "score"),
    [(70, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)],
)
def test_systolic_bp(bp, score):
    assert n.systolic_bp(bp) == score


@pytest.mark.parametrize(
    ("rate", "score"),
    [
        (35, 3),
        (40, 3),
        (41, 1),
        (50, 1),
        (51, 0),
        (90, 0),
        (91, 1),
        (110, 1),
        (111, 2),
        (130, 2),
        (131, 3),
    ],
)
def test_pulse(rate, score):
    assert n.pulse(rate) == score


@pytest.mark.parametrize(
    ("level", "score"),
    [("alert", 0), ("confusion", 3), ("voice", 3), ("pain", 3), ("unresponsive", 3)],
)
def test_consciousness(level, score):
    assert n.consciousness(level) == score


@pytest.mark.parametrize(
    ("t", "score"),
    [
        ("34.0", 3),
        ("35.0", 3),
        ("35.1", 1),
        ("36.0", 1),
        ("36.1", 0),
        ("38.0", 0),
        ("38.1", 1),
        ("39.0", 1),
        ("39.1", 2),
        ("41.0", 2),
    ],
)
def test_temperature(t, score):
    assert n.temperature(Decimal(t)) == score


def test_aggregate_and_risk():
    healthy = n.news2(
        respiratory_rate=16,
        spo2=97,
        systolic_bp_value=130,
        pulse_rate=72,
        consciousness_level="alert",
        temperature_c=Decimal("36.8"),
    )
    assert (healthy.score, healthy.complete, healthy.risk) == (0, True, "low")
    unwell = n.news2(
        respiratory_rate=22,
        spo2=93,
        on_oxygen=False,
        systolic_bp_value=105,
        pulse_rate=112,
        consciousness_level="alert",
        temperature_c=Decimal("38.4"),
    )
    assert unwell.score == 2 + 2 + 1 + 2 + 1  # 8
    assert unwell.risk == "high" and unwell.needs_attention
    red = n.news2(
        respiratory_rate=16,
        spo2=97,
        systolic_bp_value=130,
        pulse_rate=72,
        consciousness_level="confusion",
        temperature_c=Decimal("36.8"),
    )
    assert (red.score, red.risk) == (3, "low-medium")


def test_partial_observations_say_what_is_missing():
    partial = n.news2(pulse_rate=120, systolic_bp_value=95)
    assert partial.score == 4 and not partial.complete
    assert set(partial.missing) == {"respiratory_rate", "spo2", "consciousness", "temperature_c"}
