"""The medicines pages, second part: the medication list and reviews, dispensing history
(by hand and CSV), My day, and query counts that do not grow with rows."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AccessEvent
from medicines.models import Medication, MedicationReview, Supply
from medicines.services import supplies_add, visit_log
from referrals.models import Referral
from referrals.services import referral_accept, referral_create
from tests.factories import ActionFactory, OrganisationFactory, PatientFactory

from .helpers import (
    add_medicine,
    message_texts,
    text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]


# --- medication list and reviews -------------------------------------------------------------


def test_add_medicine(client, login, patient, dmd_release):
    pharmacist = login("pharmacist")
    response = client.post(
        f"/medicines/patients/{patient.pk}/medicines/new/",
        {
            "name": "Metformin",
            "strength": "500 mg",
            "form": "tablet",
            "dose_amount": "2",
            "dose_unit": "tablet",
            "frequency": "twice_daily",
            "route": "oral",
            "dmd_code": "325278007",
            "compliance_aid": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/#medicines"
    medication = Medication.objects.get()
    assert (medication.patient, medication.created_by) == (patient, pharmacist)
    assert medication.compliance_aid and medication.dose_display == "2 tablet twice a day"
    assert message_texts(response) == [
        "Metformin 500 mg 2 tablet twice a day added to the medication list."
    ]


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"name": ""}, "name", "Name the medicine."),
        ({"dose_amount": "0"}, "dose_amount", "greater than or equal to 0.01"),
        ({"dose_amount": ""}, "dose_amount", "Give the dose amount."),
        ({"frequency": "hourly"}, "frequency", "not one of the available choices"),
        ({"dmd_code": "12ab"}, "dmd_code", "A dm+d code is 6 to 18 digits."),
        ({"dmd_code": "39109011000001108"}, "dmd_code", "39109011000001108 is not in the dm+d"),
        ({"started_on": "2999-01-01"}, "started_on", "cannot be in the future"),
    ],
)
def test_add_medicine_errors(client, login, patient, change, field, error):
    login("pharmacist")
    data = {
        "name": "Metformin",
        "form": "tablet",
        "dose_amount": "1",
        "dose_unit": "tablet",
        "frequency": "once_daily",
        "route": "oral",
    }
    data.update(change)
    response = client.post(f"/medicines/patients/{patient.pk}/medicines/new/", data)
    assert response.status_code == 422
    page = text(response)
    assert error in page
    assert f'id="id_{field}_error"' in page
    assert not Medication.objects.exists()


def test_record_a_review(client, login, patient):
    pharmacist = login("pharmacist")
    response = client.post(
        f"/medicines/patients/{patient.pk}/reviews/new/",
        {
            "reviewed_on": timezone.localdate().isoformat(),
            "outcome": "changes_made",
            "agreed_actions": "Stopped aspirin",
        },
    )
    assert response.status_code == 302
    review = MedicationReview.objects.get()
    assert (review.reviewer, review.outcome, review.agreed_actions) == (
        pharmacist,
        "changes_made",
        "Stopped aspirin",
    )


def test_a_review_cannot_be_dated_in_the_future(client, login, patient):
    login("pharmacist")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        f"/medicines/patients/{patient.pk}/reviews/new/",
        {"reviewed_on": tomorrow.isoformat(), "outcome": "no_change"},
    )
    assert response.status_code == 422
    assert "A review cannot be dated in the future." in text(response)
    assert not MedicationReview.objects.exists()


def test_a_review_needs_an_outcome(client, login, patient):
    login("pharmacist")
    response = client.post(
        f"/medicines/patients/{patient.pk}/reviews/new/",
        {"reviewed_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 422
    page = text(response)
    assert "Choose the outcome of the review." in page
    assert 'href="#id_outcome_0"' in page


# --- dispensing history ----------------------------------------------------------------------


def test_dispensing_manual_entry_shows_the_findings_with_working_and_the_referral(
    client, login, patient
):
    pharmacist = login("pharmacist")
    add_medicine(patient, pharmacist, "Amlodipine", strength="5 mg")
    ten_days_ago = timezone.localdate() - datetime.timedelta(days=10)
    response = client.post(
        f"/medicines/patients/{patient.pk}/dispensing/",
        {
            "form": "manual",
            "medicine": "Amlodipine",
            "dispensed_on": ten_days_ago.isoformat(),
            "quantity": "200",
        },
    )
    assert response.status_code == 200
    page = text(response)
    supply = Supply.objects.get()
    assert (supply.quantity, supply.source, supply.created_by) == (200, "manual", pharmacist)
    assert "1 dispensing added." in page
    assert "Raised a referral to Medicines optimisation" in page
    assert "Stockpile of medicines" in page
    assert "More medicine has been supplied than used, by more than 56 days." in page
    assert "Amlodipine: 200 tablet supplied since" in page  # the working, as a bullet
    assert 'aria-labelledby="working-1"' in page and "The working" in page
    referral = Referral.objects.get(patient=patient, service="medicines_optimisation")
    assert referral.origin == "red_flag"
    # The history lists it; the form is empty again.
    assert f"{ten_days_ago.day} {ten_days_ago:%b %Y}" in page
    # Adding the same again is skipped and raises nothing new.
    again = text(
        client.post(
            f"/medicines/patients/{patient.pk}/dispensing/",
            {
                "form": "manual",
                "medicine": "Amlodipine",
                "dispensed_on": ten_days_ago.isoformat(),
                "quantity": "200",
            },
        )
    )
    assert "0 dispensings added.</strong> 1 was already recorded and was skipped." in again
    assert "No new referral: the red flags below were already raised." in again
    assert Referral.objects.filter(patient=patient).count() == 1


def test_dispensing_manual_entry_errors(client, login, patient):
    login("pharmacist")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        f"/medicines/patients/{patient.pk}/dispensing/",
        {"form": "manual", "medicine": "", "dispensed_on": tomorrow.isoformat(), "quantity": "0"},
    )
    assert response.status_code == 422
    page = text(response)
    assert "Name the medicine dispensed." in page
    assert "The dispensing date cannot be in the future." in page
    assert "The quantity must be more than 0." in page
    assert not Supply.objects.exists()


def csv_upload(content: str, name="dispensing.csv"):
    upload = io.BytesIO(content.encode())
    upload.name = name
    return upload


def test_dispensing_csv_upload(client, login, patient):
    pharmacist = login("pharmacist")
    add_medicine(patient, pharmacist, "Amlodipine")
    add_medicine(patient, pharmacist, "Bisoprolol")
    today = timezone.localdate()
    days = [today - datetime.timedelta(days=d) for d in (20, 12, 5)]
    rows = "\n".join(
        f"{name},{day.isoformat()},7"
        for name, day in zip(("Amlodipine", "Bisoprolol", "Amlodipine"), days, strict=True)
    )
    response = client.post(
        f"/medicines/patients/{patient.pk}/dispensing/",
        {"form": "csv", "file": csv_upload(f"medicine,dispensed_on,quantity\n{rows}\n")},
    )
    assert response.status_code == 200, text(response)
    page = text(response)
    assert "3 dispensings added." in page
    assert Supply.objects.filter(source="csv").count() == 3
    # Three dispensing dates within one 28-day cycle: the derived flag with its working.
    assert "Several dispensing dates for regular medicines" in page
    assert "Regular medicines were dispensed on 3 different dates" in page
    assert f"{days[0].day} {days[0]:%b %Y}: Amlodipine" in page
    # Newest first in the history.
    history = page[page.index('id="supplies"') :]
    assert history.index(f"{days[2].day} {days[2]:%b %Y}") < history.index(
        f"{days[0].day} {days[0]:%b %Y}"
    )


def test_dispensing_csv_with_bad_rows_lists_them_by_line_and_saves_nothing(client, login, patient):
    login("pharmacist")
    content = (
        "medicine,dispensed_on,quantity\n"
        "Amlodipine,2025-01-02,28\n"
        "Bisoprolol,yesterday,28\n"
        ",2025-01-02,28\n"
        "Ramipril,2025-01-02,lots\n"
    )
    response = client.post(
        f"/medicines/patients/{patient.pk}/dispensing/",
        {"form": "csv", "file": csv_upload(content)},
    )
    assert response.status_code == 422
    page = text(response)
    assert "Line 3: 'yesterday' is not a date" in page
    assert "Line 4: the medicine is missing" in page
    assert "Line 5: 'lots' is not a quantity" in page
    assert "Line 2" not in page
    assert not Supply.objects.exists() and not Referral.objects.exists()


def test_dispensing_csv_that_is_not_text(client, login, patient):
    login("pharmacist")
    upload = io.BytesIO(b"\xff\xfe\x00\x00binary")
    upload.name = "photo.csv"
    response = client.post(
        f"/medicines/patients/{patient.pk}/dispensing/", {"form": "csv", "file": upload}
    )
    assert response.status_code == 422
    assert "Line 1: the file is not UTF-8 text (save it as CSV UTF-8)." in text(response)


def test_dispensing_page_shows_the_form_inputs_and_writes_the_access_trail(client, login, patient):
    user = login("pharmacist")
    page = text(client.get(f"/medicines/patients/{patient.pk}/dispensing/"))
    assert 'type="file" name="file"' in page and 'accept=".csv"' in page
    assert 'enctype="multipart/form-data"' in page
    assert AccessEvent.objects.filter(user=user, patient=patient, what="dispensing").count() == 1


# --- My day ----------------------------------------------------------------------------------


def accepted_referral(patient, by, triager, urgency="routine"):
    referral = referral_create(
        patient=patient,
        service="medicines_optimisation",
        reason="Struggling with tablets",
        urgency=urgency,
        by=by,
    ).referral
    return referral_accept(referral=referral, by=triager)


def test_my_day_lists_and_ordering(client, login, network, member):
    pharmacist = login("pharmacist")
    gp = member("gp")
    fit = PatientFactory(network=network, frailty="fit", family_name="Fitperson")
    frail = PatientFactory(network=network, frailty="severe", family_name="Frailperson")
    urgent = PatientFactory(network=network, frailty="mild", family_name="Urgentperson")
    for person, urgency in ((fit, "routine"), (frail, "routine"), (urgent, "urgent")):
        accepted_referral(person, gp, pharmacist, urgency)
    visited = PatientFactory(network=network, family_name="Visitedtoday")
    visit_log(
        patient=visited,
        by=pharmacist,
        kind="home",
        visited_at=timezone.now(),
        follow_up_on=timezone.localdate(),
    )
    late = PatientFactory(network=network, family_name="Overdueperson")
    ActionFactory(
        patient=late,
        assignee=pharmacist,
        assignee_role="",
        source="visit",
        title="Follow-up home visit",
        due_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    response = client.get("/medicines/my-day/")
    assert response.status_code == 200
    page = text(response)
    awaiting = page[page.index('id="awaiting"') : page.index('id="care-homes"')]
    positions = [awaiting.index(n) for n in ("Urgentperson", "Frailperson", "Fitperson")]
    assert positions == sorted(positions)
    assert "Urgent" in awaiting and "Severe frailty" in awaiting
    for person in (fit, frail, urgent):
        assert f'href="/medicines/patients/{person.pk}/visit/"' in awaiting
        assert f'href="/patients/{person.pk}/' in awaiting
    follow_ups = page[page.index('id="follow-ups"') : page.index('id="awaiting"')]
    assert follow_ups.index("Overdueperson") < follow_ups.index("Visitedtoday")
    overdue = timezone.localdate() - datetime.timedelta(days=3)
    assert f"Overdue: {overdue.day} {overdue:%b}" in follow_ups
    assert "Due today" in follow_ups
    today = page[page.index('id="today"') : page.index('id="follow-ups"')]
    assert "Visitedtoday" in today and "Home visit".lower() in today
    # One access event per person shown.
    events = AccessEvent.objects.filter(user=pharmacist, what="my_day", channel="page")
    assert sorted(events.values_list("patient_id", flat=True)) == sorted(
        p.pk for p in (fit, frail, urgent, visited, late)
    )


def care_homes(network, by):
    home = OrganisationFactory(kind="care_home", name="Beulah Court")
    PatientFactory(
        network=network, care_home=home, care_needs=["end_of_life"], family_name="Eolresident"
    )
    PatientFactory(
        network=network, care_home=home, frailty="severe", care_needs=[], family_name="Severeone"
    )
    PatientFactory(
        network=network,
        care_home=home,
        frailty="mild",
        care_needs=["new_resident", "swallowing"],
        family_name="Newresident",
    )
    PatientFactory(
        network=network, care_home=home, frailty="fit", care_needs=[], family_name="Settledone"
    )


def test_my_day_shows_the_first_of_a_long_list_with_its_total(
    client, login, network, member, monkeypatch
):
    """A network can have thousands awaiting a visit: each list shows its first rows in
    priority order, says how many there are, and links to all of them; only the people shown
    are in the access trail."""
    from medicines import views

    monkeypatch.setattr(views, "MY_DAY_SHOWN", 2)
    pharmacist = login("pharmacist")
    gp = member("gp")
    people = [
        PatientFactory(network=network, frailty=frailty, family_name=name)
        for name, frailty in (("Fitperson", "fit"), ("Frailperson", "severe"), ("Mildone", "mild"))
    ]
    for person in people:
        accepted_referral(person, gp, pharmacist, "routine")
    page = text(client.get("/medicines/my-day/"))
    awaiting = page[page.index('id="awaiting"') : page.index('id="care-homes"')]
    assert "Frailperson" in awaiting and "Mildone" in awaiting and "Fitperson" not in awaiting
    assert "The first 2 of 3." in awaiting and "Awaiting a visit (3)" in page
    assert 'href="?show=all#awaiting"' in awaiting
    shown = AccessEvent.objects.filter(user=pharmacist, what="my_day")
    assert people[0].pk not in set(shown.values_list("patient_id", flat=True))

    everyone = text(client.get("/medicines/my-day/?show=all"))
    assert "Fitperson" in everyone and "The first" not in everyone


@pytest.mark.parametrize(
    ("role", "first", "second"),
    [
        ("pharmacist", "For pharmacists", "For technicians"),
        ("pharmacy_technician", "For technicians", "For pharmacists"),
        ("gp", "For pharmacists", "For technicians"),
    ],
)
def test_my_day_care_home_lists_own_list_first(client, login, network, role, first, second):
    user = login(role)
    care_homes(network, user)
    page = text(client.get("/medicines/my-day/"))
    homes = page[page.index('id="care-homes"') :]
    assert homes.index(first) < homes.index(second) < homes.index("Routine (1)")
    pharmacists = homes[homes.index("For pharmacists") :]
    technicians = homes[homes.index("For technicians") :]
    assert "Eolresident" in pharmacists and "End of life care" in pharmacists
    assert "Severeone" in pharmacists and "High frailty" in pharmacists
    assert "Newresident" in technicians
    why = technicians[technicians.index('aria-label="Why"') :]
    assert ">New resident</strong>" in why and ">Swallowing difficulty</strong>" in why
    assert "Settledone" in homes[homes.index("Routine (1)") :]
    assert "Beulah Court" in homes


def test_my_day_is_for_the_current_network(client, login, other_network, member):
    login("pharmacist")
    outsider = member("gp", net=other_network, username="gp.purbeck")
    pharmacist_there = member("pharmacist", net=other_network, username="pharm.purbeck")
    elsewhere = PatientFactory(network=other_network, family_name="Elsewhereperson")
    accepted_referral(elsewhere, outsider, pharmacist_there)
    assert "Elsewhereperson" not in text(client.get("/medicines/my-day/"))


# --- query counts ----------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_my_day_queries_do_not_grow(client, login, network, member):
    pharmacist = login("pharmacist")
    gp = member("gp")
    home = OrganisationFactory(kind="care_home", name="Beulah Court")

    def grow(n):
        for _ in range(n):
            visited = PatientFactory(network=network)
            visit_log(
                patient=visited,
                by=pharmacist,
                kind="home",
                visited_at=timezone.now(),
                follow_up_on=timezone.localdate(),
            )
            accepted_referral(PatientFactory(network=network), gp, pharmacist, "urgent")
            PatientFactory(network=network, care_home=home, care_needs=["adherence"])
            PatientFactory(network=network, care_home=home, care_needs=["end_of_life"])

    grow(1)
    few = count_queries(client, "/medicines/my-day/")
    grow(8)
    many = count_queries(client, "/medicines/my-day/")
    assert many == few


def test_patient_page_queries_do_not_grow_with_visits_and_medicines(client, login, patient, member):
    pharmacist = login("pharmacist")
    nurse = member("community_nurse")

    def grow(n, start):
        for i in range(start, start + n):
            add_medicine(patient, pharmacist, f"Medicine {i}")
            visit_log(
                patient=patient,
                by=pharmacist,
                joint_visitor=nurse,
                kind="home",
                visited_at=timezone.now() - datetime.timedelta(hours=i),
                observations={"pulse": 70 + i},
                interventions=[{"kind": "stopped", "medicine": f"Medicine {i}"}],
                follow_up_on=timezone.localdate() + datetime.timedelta(days=1),
            )
            add_medicine(patient, pharmacist, f"Medicine {i}")

    grow(1, 0)
    few = count_queries(client, f"/patients/{patient.pk}/")
    grow(10, 1)
    many = count_queries(client, f"/patients/{patient.pk}/")
    assert many == few


def test_dispensing_page_queries_do_not_grow(client, login, patient):
    pharmacist = login("pharmacist")
    add_medicine(patient, pharmacist, "Amlodipine")
    today = timezone.localdate()

    def grow(n, start):
        supplies_add(
            patient=patient,
            by=pharmacist,
            rows=[
                {
                    "medicine": "Amlodipine",
                    "dispensed_on": today - datetime.timedelta(days=i),
                    "quantity": 1,
                }
                for i in range(start, start + n)
            ],
        )

    grow(3, 0)  # three dates in a cycle: a finding from the start
    few = count_queries(client, f"/medicines/patients/{patient.pk}/dispensing/")
    grow(20, 3)
    many = count_queries(client, f"/medicines/patients/{patient.pk}/dispensing/")
    assert many == few
