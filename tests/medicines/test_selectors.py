import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from medicines.selectors import care_home_stratification, my_day
from medicines.services import medication_add, visit_log
from patients.services import frailty_record
from referrals.services import referral_accept, referral_create
from reports.models import AdmissionEvent
from tests.factories import OrganisationFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_my_day_lists_follow_ups_and_accepted_referrals_awaiting_a_visit(member, network):
    pharmacist = member("pharmacist")
    gp = member("gp")
    frail = PatientFactory(network=network, frailty="severe", family_name="Frail")
    fit = PatientFactory(network=network, frailty="fit", family_name="Fit")
    urgent = PatientFactory(network=network, frailty="mild", family_name="Urgent")
    visited = PatientFactory(network=network, family_name="Visited")
    for person, urgency in (
        (fit, "routine"),
        (frail, "routine"),
        (urgent, "urgent"),
        (visited, "routine"),
    ):
        referral = referral_create(
            patient=person, service="medicines_optimisation", reason="Meds", urgency=urgency, by=gp
        ).referral
        referral_accept(referral=referral, by=pharmacist)
    visit_log(
        patient=visited,
        by=pharmacist,
        kind="home",
        visited_at=timezone.now(),
        follow_up_on=timezone.localdate(),
    )
    day = my_day(pharmacist, network)
    assert [r.patient.family_name for r in day["awaiting_visit"]] == ["Urgent", "Frail", "Fit"]
    assert [a.patient.family_name for a in day["follow_ups"]] == ["Visited"]
    assert [v.patient.family_name for v in day["visits_today"]] == ["Visited"]
    assert my_day(gp, network)["follow_ups"] == []


def _on_medicines(person, how_many: int, by) -> None:
    for i in range(how_many):
        medication_add(
            patient=person, by=by, name=f"Medicine {i}", dose_amount=1, frequency="once_daily"
        )


def test_care_home_residents_are_stratified(member, network):
    home = OrganisationFactory(kind="care_home", name="Beulah Court")
    pharmacist = member("pharmacist")
    PatientFactory(network=network, care_home=home, care_needs=["end_of_life"], family_name="Eol")
    PatientFactory(
        network=network, care_home=home, frailty="severe", care_needs=[], family_name="Severe"
    )
    many = PatientFactory(
        network=network, care_home=home, frailty="mild", care_needs=[], family_name="Many"
    )
    _on_medicines(many, 10, pharmacist)
    PatientFactory(
        network=network,
        care_home=home,
        frailty="mild",
        care_needs=["new_resident", "swallowing"],
        family_name="New",
    )
    PatientFactory(
        network=network, care_home=home, frailty="fit", care_needs=[], family_name="Settled"
    )
    PatientFactory(
        network=network, care_home=None, care_needs=["end_of_life"], family_name="AtHome"
    )
    groups = care_home_stratification(network)
    assert {p.family_name: r for p, r in groups["pharmacist"]} == {
        "Eol": ["end_of_life"],
        "Severe": ["high frailty (severe frailty)"],
        "Many": ["10 medicines"],
    }
    assert [(p.family_name, r) for p, r in groups["technician"]] == [
        ("New", ["new_resident", "swallowing"])
    ]
    assert [p.family_name for p, _ in groups["routine"]] == ["Settled"]


def _admit(person, days_ago: int, by) -> None:
    AdmissionEvent.objects.create(
        network=person.network,
        patient=person,
        admitted_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        kind="emergency",
        recorded_by=by,
    )


def _placed(network) -> dict[str, tuple[str, list[str]]]:
    groups = care_home_stratification(network)
    return {p.family_name: (group, r) for group, rows in groups.items() for p, r in rows}


def test_stratification_reads_admissions_medicines_and_frailty_from_data(member, network):
    """No need ticked by hand: a recent admission sends a resident to the technicians, three
    admissions in a year, ten medicines or a severe CFS to the pharmacists, each with why."""
    home = OrganisationFactory(kind="care_home")
    pharmacist = member("pharmacist")
    back = PatientFactory(network=network, care_home=home, care_needs=[], family_name="Back")
    _admit(back, 10, pharmacist)
    often = PatientFactory(network=network, care_home=home, care_needs=[], family_name="Often")
    for days in (20, 100, 200):
        _admit(often, days, pharmacist)
    _admit(often, 500, pharmacist)  # older than a year: not counted
    frail = PatientFactory(network=network, care_home=home, care_needs=[], family_name="Frail")
    frailty_record(
        patient=frail, by=pharmacist, scale="cfs", score=7, assessed_on=timezone.localdate()
    )
    gulp = PatientFactory(
        network=network, care_home=home, care_needs=["swallowing"], family_name="Gulp"
    )
    _on_medicines(gulp, 10, pharmacist)
    quiet = PatientFactory(network=network, care_home=home, care_needs=[], family_name="Quiet")
    _admit(quiet, 200, pharmacist)
    placed = _placed(network)
    assert placed["Back"] == ("technician", ["admitted in the last 30 days"])
    assert placed["Often"] == (
        "pharmacist",
        ["3 admissions in 365 days", "admitted in the last 30 days"],
    )
    assert placed["Frail"] == ("pharmacist", ["high frailty (severe frailty)"])
    assert placed["Gulp"] == ("pharmacist", ["10 medicines", "swallowing"])
    assert placed["Quiet"] == ("routine", [])


def test_a_swallowing_problem_is_never_routine(member, network):
    home = OrganisationFactory(kind="care_home")
    PatientFactory(network=network, care_home=home, care_needs=["swallowing"], family_name="Gulp")
    assert _placed(network)["Gulp"] == ("technician", ["swallowing"])


@override_settings(
    ICN_STRATIFICATION={
        "RECENT_DISCHARGE_DAYS": 5,
        "COMPLEX_MEDICINES": 3,
        "HIGH_FRAILTY": "moderate",
        "HOSPITAL_USE_ADMISSIONS": 1,
        "HOSPITAL_USE_DAYS": 30,
    }
)
def test_the_thresholds_come_from_settings(member, network):
    home = OrganisationFactory(kind="care_home")
    pharmacist = member("pharmacist")
    back = PatientFactory(
        network=network, care_home=home, frailty="fit", care_needs=[], family_name="Back"
    )
    _admit(back, 10, pharmacist)  # not in the last 5 days, but 1 in 30
    PatientFactory(
        network=network, care_home=home, frailty="moderate", care_needs=[], family_name="Mod"
    )
    three = PatientFactory(
        network=network, care_home=home, frailty="fit", care_needs=[], family_name="Three"
    )
    _on_medicines(three, 3, pharmacist)
    mild = PatientFactory(
        network=network, care_home=home, frailty="mild", care_needs=[], family_name="Mild"
    )
    _admit(mild, 40, pharmacist)
    placed = _placed(network)
    assert placed["Back"] == ("pharmacist", ["1 admission in 30 days"])
    assert placed["Mod"] == ("pharmacist", ["high frailty (moderate frailty)"])
    assert placed["Three"] == ("pharmacist", ["3 medicines"])
    assert placed["Mild"] == ("routine", [])


def test_stratification_is_two_queries_and_shows_the_first_of_each_group(
    member, network, django_assert_num_queries
):
    """Every resident's inputs as values, then the records of those shown: two queries
    however many residents; `shown` keeps each group's first, `totals` counts them all."""
    home = OrganisationFactory(kind="care_home")
    with django_assert_num_queries(2):  # no residents yet: the same two
        assert care_home_stratification(network).totals == dict.fromkeys(
            ("pharmacist", "technician", "routine"), 0
        )
    for _ in range(5):
        PatientFactory(network=network, care_home=home, care_needs=[], frailty="fit")
    with django_assert_num_queries(2):
        everyone = care_home_stratification(network)
    assert everyone.totals == {"pharmacist": 0, "technician": 0, "routine": 5}
    for _ in range(7):
        PatientFactory(network=network, care_home=home, care_needs=["swallowing"])
    with django_assert_num_queries(2):
        first = care_home_stratification(network, shown=3)
    assert first.totals == {"pharmacist": 0, "technician": 7, "routine": 5}
    assert [len(rows) for rows in first.values()] == [0, 3, 3]
    whole = care_home_stratification(network)
    assert first["technician"] == whole["technician"][:3]
