"""Red flags derived from dispensing history: each at, below and above its threshold."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from medicines import dispensing, services
from medicines.models import Medication, Supply
from referrals.models import PatientFlag, Referral

TODAY = date(2026, 11, 23)
LIMITS = {
    "cycle_days": 28,
    "max_dates_per_cycle": 2,
    "run_out_spread_days": 7,
    "stockpile_surplus_days": 56,
    "lookback_days": 180,
}


def med(pk, name, per_day=1, frequency="once_daily"):
    return Medication(
        pk=pk, name=name, dose_amount=Decimal(per_day), dose_unit="tablet", frequency=frequency
    )


def supply(pk, med_, on, qty):
    return Supply(
        pk=pk, medication_id=med_.pk, medicine=med_.name, dispensed_on=on, quantity=Decimal(qty)
    )


def codes(findings):
    return [f.code for f in findings]


@pytest.mark.parametrize(("dates", "flagged"), [(2, False), (3, True), (4, True)])
def test_multiple_dispensing_dates_threshold(dates, flagged):
    meds = [med(i, f"Medicine {i}") for i in range(1, 5)]
    start = TODAY - timedelta(days=27)
    supplies = [
        supply(i, meds[i - 1], start + timedelta(days=7 * (i - 1)), 28) for i in range(1, dates + 1)
    ]
    findings = dispensing.analyse(meds, supplies, TODAY, LIMITS)
    assert ("multiple_dispensing_dates" in codes(findings)) is flagged


def test_dates_in_different_cycles_do_not_count_together():
    meds = [med(1, "A"), med(2, "B"), med(3, "C")]
    supplies = [
        supply(1, meds[0], TODAY - timedelta(days=60), 28),
        supply(2, meds[1], TODAY - timedelta(days=30), 28),
        supply(3, meds[2], TODAY, 28),
    ]
    assert "multiple_dispensing_dates" not in codes(
        dispensing.analyse(meds, supplies, TODAY, LIMITS)
    )


def test_as_required_medicines_are_ignored():
    meds = [med(1, "A"), med(2, "B"), med(3, "Paracetamol", frequency="as_required")]
    day = TODAY - timedelta(days=10)
    supplies = [
        supply(1, meds[0], day, 28),
        supply(2, meds[1], day + timedelta(days=1), 28),
        supply(3, meds[2], day + timedelta(days=2), 100),
    ]
    assert "multiple_dispensing_dates" not in codes(
        dispensing.analyse(meds, supplies, TODAY, LIMITS)
    )


@pytest.mark.parametrize(("apart", "flagged"), [(7, False), (8, True), (20, True), (0, False)])
def test_running_out_unevenly_threshold(apart, flagged):
    a, b = med(1, "Amlodipine"), med(2, "Ramipril")
    day = TODAY - timedelta(days=5)
    supplies = [supply(1, a, day, 28), supply(2, b, day, 28 + apart)]
    findings = dispensing.analyse([a, b], supplies, TODAY, LIMITS)
    assert ("medicines_running_out_unevenly" in codes(findings)) is flagged
    if flagged:
        finding = next(f for f in findings if f.code == "medicines_running_out_unevenly")
        assert f"{apart} days apart" in finding.summary
        assert any("Amlodipine runs out" in w for w in finding.working)


@pytest.mark.parametrize(
    ("surplus", "flagged"), [(56, False), (57, True), (10, False), (100, True)]
)
def test_stockpile_threshold(surplus, flagged):
    a = med(1, "Atorvastatin")
    first = TODAY - timedelta(days=30)
    # 30 days used; supplied 30 + surplus days' worth
    supplies = [supply(1, a, first, 28), supply(2, a, first + timedelta(days=5), 2 + surplus)]
    findings = dispensing.analyse([a], supplies, TODAY, LIMITS)
    assert ("medicines_stockpile" in codes(findings)) is flagged
    if flagged:
        (finding,) = [f for f in findings if f.code == "medicines_stockpile"]
        assert f"{surplus} days more than used" in finding.working[0]


def test_twice_daily_dose_halves_the_days_supplied():
    a = med(1, "Metformin", per_day=1, frequency="twice_daily")
    supplies = [supply(1, a, TODAY - timedelta(days=10), 2 * (10 + 60))]  # 70 days at 2 a day
    assert "medicines_stockpile" in codes(dispensing.analyse([a], supplies, TODAY, LIMITS))
    supplies = [supply(1, a, TODAY - timedelta(days=10), 70)]  # 35 days at 2 a day
    assert "medicines_stockpile" not in codes(dispensing.analyse([a], supplies, TODAY, LIMITS))


@pytest.mark.django_db
def test_a_derived_flag_raises_its_referral_once(member, patient):
    pharmacist = member("pharmacist")
    services.medication_add(
        patient=patient,
        by=pharmacist,
        name="Amlodipine",
        strength="5 mg",
        dose_amount=1,
        dose_unit="tablet",
        frequency="once_daily",
    )
    from django.utils import timezone

    today = timezone.localdate()
    rows = [
        {
            "medicine": "amlodipine",
            "dispensed_on": today - timedelta(days=20),
            "quantity": Decimal(112),
        }
    ]
    first = services.supplies_add(patient=patient, by=pharmacist, rows=rows)
    assert codes(first.findings) == ["medicines_stockpile"]
    assert [r.service for r in first.referrals] == ["medicines_optimisation"]
    assert first.supplies[0].medication.name == "Amlodipine"  # matched by name
    flag = PatientFlag.objects.get(flag__code="medicines_stockpile")
    assert flag.raised_from == "dispensing" and "more than used" in flag.note
    again = services.supplies_add(
        patient=patient,
        by=pharmacist,
        rows=[
            *rows,
            {
                "medicine": "Amlodipine",
                "dispensed_on": today - timedelta(days=2),
                "quantity": Decimal(28),
            },
        ],
    )
    assert again.skipped == 1 and len(again.supplies) == 1
    assert again.referrals == []
    assert Referral.objects.filter(service="medicines_optimisation").count() == 1
