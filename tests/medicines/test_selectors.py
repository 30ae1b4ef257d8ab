import pytest
from django.utils import timezone

from medicines.selectors import care_home_stratification, my_day
from medicines.services import medication_add, visit_log
from referrals.services import referral_accept, referral_create
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
    for i in range(10):
        medication_add(
            patient=many, by=pharmacist, name=f"Medicine {i}", dose_amount=1, frequency="once_daily"
        )
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
        "Severe": ["high frailty"],
        "Many": ["10 medicines"],
    }
    assert [(p.family_name, r) for p, r in groups["technician"]] == [
        ("New", ["new_resident", "swallowing"])
    ]
    assert [p.family_name for p, _ in groups["routine"]] == ["Settled"]
