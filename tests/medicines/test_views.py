"""The medicines pages: the visit form (with its live NEWS2 and risk advice), the Medicines and
Visits sections of the person's page, the medication and review forms, the dispensing
history with the red flags derived from it, and My day; who may open each, what is saved
(and what is not), the access trail, and query counts that do not grow with rows."""

import datetime
import html
import io

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action
from audit.models import AccessEvent
from medicines.models import Intervention, Medication, MedicationReview, Supply, Visit
from medicines.services import medication_add, supplies_add, visit_log
from referrals.models import PatientFlag, Referral
from referrals.services import referral_accept, referral_create
from tests.factories import ActionFactory, OrganisationFactory, PatientFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
THREE_FLAGS = ["no_heating", "fall", "loneliness"]


def text(response) -> str:
    return html.unescape(response.content.decode())


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def short_date(day: datetime.date) -> str:
    if day.year == timezone.localdate().year:
        return f"{day.day} {day:%b}"
    return f"{day.day} {day:%b %Y}"


def now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def login(client, member):
    def make(role="pharmacist", net=None):
        user = member(role, net=net)
        client.force_login(user)
        return user

    return make


def visit_data(**overrides) -> dict:
    data = {
        "kind": "home",
        "visited_at": now_local(),
        "preference": "none",
        "systolic_bp": "128",
        "diastolic_bp": "78",
        "pulse": "72",
        "respiratory_rate": "16",
        "temperature_c": "36.8",
        "spo2": "97",
        "spo2_scale": "1",
        "consciousness": "alert",
        "summary": "Cold house; has fallen twice; sees no one.",
    }
    data.update(overrides)
    return data


def add_medicine(patient, by, name, **kwargs):
    kwargs.setdefault("dose_amount", 1)
    kwargs.setdefault("frequency", "once_daily")
    return medication_add(patient=patient, by=by, name=name, **kwargs)


# --- who may open the pages ------------------------------------------------------------------

PATIENT_PAGES = [
    "/medicines/patients/{pk}/visit/",
    "/medicines/patients/{pk}/medicines/new/",
    "/medicines/patients/{pk}/reviews/new/",
    "/medicines/patients/{pk}/dispensing/",
]


@pytest.mark.parametrize("url", PATIENT_PAGES)
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("pharmacist", 200),
        ("pharmacy_technician", 200),
        ("gp", 200),
        ("pic", 403),
        ("manager", 403),
    ],
)
def test_patient_pages_by_role(client, login, patient, url, role, status):
    login(role)
    assert client.get(url.format(pk=patient.pk)).status_code == status


@pytest.mark.parametrize("url", PATIENT_PAGES)
def test_patient_pages_of_another_network_are_404(client, login, foreign_patient, url):
    login("pharmacist")
    assert client.get(url.format(pk=foreign_patient.pk)).status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("pharmacist", 200),
        ("pharmacy_technician", 200),
        ("gp", 200),
        ("pic", 403),
        ("manager", 403),
    ],
)
def test_my_day_and_fragments_by_role(client, login, role, status):
    login(role)
    assert client.get("/medicines/my-day/").status_code == status
    assert client.get("/medicines/visit/news2/", {"pulse": "80"}, headers=HX).status_code == status
    assert client.get("/medicines/visit/recommendation/", headers=HX).status_code == status


def test_refused_visit_form_is_written_to_the_access_trail(client, login, patient):
    user = login("manager")
    assert client.get(f"/medicines/patients/{patient.pk}/visit/").status_code == 403
    event = AccessEvent.objects.get(user=user)
    assert (event.what, event.outcome, event.patient_id) == ("visit", "denied", patient.pk)


def test_my_day_nav_link_for_pharmacists_and_technicians_only(client, login, patient):
    for role, shown in (("pharmacist", True), ("pharmacy_technician", True), ("gp", False)):
        login(role)
        page = text(client.get(f"/patients/{patient.pk}/"))
        assert ('href="/medicines/my-day/"' in page) is shown, role


# --- the visit form --------------------------------------------------------------------------


def test_visit_form_is_quick_on_a_phone(client, login, network, patient, member):
    login("pharmacist")
    nurse = member("community_nurse")
    member("partner_system")
    page = text(client.get(f"/medicines/patients/{patient.pk}/visit/"))
    # Kind as radios, home by default; when defaults to now; units in the labels.
    assert 'type="radio" name="kind" value="home"' in page
    assert 'value="home" id="id_kind_0" required checked' in page
    assert 'type="datetime-local" name="visited_at"' in page
    for label in (
        "Systolic (mmHg)",
        "Diastolic (mmHg)",
        "Pulse (beats/min)",
        "Breathing rate (breaths/min)",
        "Temperature (°C)",
        "Oxygen saturation, SpO₂ (%)",
        "Consciousness (ACVPU)",
    ):
        assert label in page
    assert 'name="temperature_c"' in page and 'step="0.1"' in page
    assert 'min="25"' in page and 'max="45"' in page and "25 to 45 °C" in page
    assert 'inputmode="numeric"' in page
    # Joint visitor: the network's other members, not a partner system's account.
    assert f"{nurse.get_full_name()}, Community nurse" in page
    assert "Partner system" not in page
    # Live NEWS2 and recommendation, by htmx; red flags grouped with their service.
    assert 'hx-get="/medicines/visit/news2/"' in page
    assert 'hx-get="/medicines/visit/recommendation/"' in page
    assert "Recommended: <strong>home visit</strong>" in page
    assert "Heating broken or not used" in page and "To Social services, urgent" in page
    # Three empty intervention rows.
    for i in range(3):
        assert f'name="iv{i}-kind"' in page
    assert 'id="active-medicines"' in page


def test_visit_with_three_red_flags_raises_three_referrals_and_a_follow_up(client, login, patient):
    pharmacist = login("pharmacist")
    follow_up = timezone.localdate() + datetime.timedelta(days=7)
    response = client.post(
        f"/medicines/patients/{patient.pk}/visit/",
        visit_data(red_flags=THREE_FLAGS, follow_up_on=follow_up.isoformat(), pulse="118"),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/#visits"

    visit = Visit.objects.get()
    assert (visit.patient, visit.visitor, visit.kind) == (patient, pharmacist, "home")
    assert visit.news2_score == 2 and visit.news2_complete  # pulse 118 scores 2
    referrals = Referral.objects.filter(patient=patient, origin="red_flag")
    assert sorted(referrals.values_list("service", flat=True)) == [
        "physiotherapy",
        "pic",
        "social_services",
    ]
    task = Action.objects.get(patient=patient)
    assert (task.assignee, task.due_on, task.source) == (pharmacist, follow_up, "visit")
    assert visit.follow_up_action == task

    [message] = message_texts(response)
    assert message.startswith("Visit saved. NEWS2 2.")
    assert "Raised referrals to " in message
    for service in ("Social services", "Physiotherapy", "Personal independence coordination"):
        assert service in message
    assert f"Follow-up on {short_date(follow_up)} for you." in message
    assert "Risk assessment: home visit recommended." in message


def test_a_visit_with_news2_of_five_or_more_is_saved_with_a_warning(client, login, patient):
    login("pharmacist")
    response = client.post(
        f"/medicines/patients/{patient.pk}/visit/",
        visit_data(respiratory_rate="25", spo2="91"),
    )
    assert response.status_code == 302
    assert Visit.objects.get().news2_score == 6
    [message] = get_messages(response.wsgi_request)
    assert message.tags == "warning"
    assert "NEWS2 6: 5 or more, consider an urgent clinical response." in str(message)


def test_a_second_identical_visit_raises_no_referral(client, login, patient):
    login("pharmacist")
    url = f"/medicines/patients/{patient.pk}/visit/"
    client.post(url, visit_data(red_flags=THREE_FLAGS))
    response = client.post(url, visit_data(red_flags=THREE_FLAGS))
    assert response.status_code == 302
    assert Visit.objects.count() == 2
    assert Referral.objects.filter(patient=patient).count() == 3
    assert PatientFlag.objects.filter(patient=patient).count() == 3
    message = message_texts(response)[-1]
    assert "Raised" not in message
    assert "\u2018Has fallen\u2019 was already active; nothing new was raised." in message


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        (
            {"temperature_c": "80"},
            "temperature_c",
            "Temperature must be between 25 and 45 °C: check the reading.",
        ),
        (
            {"spo2": "120"},
            "spo2",
            "Oxygen saturation must be between 50 and 100%: check the reading.",
        ),
        ({"pulse": "0"}, "pulse", "Pulse must be between 20 and 250 beats/min"),
        ({"systolic_bp": "80", "diastolic_bp": "90"}, "diastolic_bp", "lower than the systolic"),
        ({"pulse": "fast"}, "pulse", "Enter the pulse as a number."),
        ({"consciousness": "sleepy"}, "consciousness", "Select a valid choice"),
        ({"visited_at": "2999-01-01T10:00"}, "visited_at", "cannot be logged for the future"),
        ({"follow_up_on": "2001-01-01"}, "follow_up_on", "cannot be in the past"),
        ({"iv0-kind": "started", "iv0-medicine": "Sertraline"}, "iv0-dose_amount", "Give the dose"),
        ({"iv0-kind": "stopped", "iv0-medicine": "Unknownol"}, "iv0-medicine", "not on the active"),
        ({"iv0-medicine": "Aspirin"}, "iv0-kind", "Choose what was done"),
    ],
)
def test_impossible_or_wrong_input_is_400_inline_and_nothing_saved(
    client, login, patient, change, field, error
):
    login("pharmacist")
    data = visit_data(
        red_flags=THREE_FLAGS,
        follow_up_on=(timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
    )
    data.update(change)
    response = client.post(f"/medicines/patients/{patient.pk}/visit/", data)
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem: nothing has been saved" in page
    assert error in page
    assert f'id="id_{field}_error"' in page
    assert f'<a href="#id_{field}' in page  # the error summary leads to the field
    assert not Visit.objects.exists()
    assert not Referral.objects.exists() and not PatientFlag.objects.exists()
    assert not Action.objects.exists()
    # What was typed is kept (nothing silently lost).
    assert (
        'value="no_heating" id="flag-no_heating" aria-describedby="flag-no_heating-routes" checked'
        in page
    )


def test_both_impossible_readings_are_shown_at_once(client, login, patient):
    login("pharmacist")
    response = client.post(
        f"/medicines/patients/{patient.pk}/visit/", visit_data(temperature_c="80", spo2="120")
    )
    assert response.status_code == 400
    page = text(response)
    assert "Temperature must be between 25 and 45 °C" in page
    assert "Oxygen saturation must be between 50 and 100%" in page
    assert 'value="80"' in page and 'value="120"' in page
    assert "Not counted, outside the plausible range: oxygen saturation, temperature" in page
    assert not Visit.objects.exists()


def test_interventions_update_the_medication_list(client, login, patient):
    pharmacist = login("pharmacist")
    amlodipine = add_medicine(patient, pharmacist, "Amlodipine", strength="5 mg")
    add_medicine(patient, pharmacist, "Bisoprolol", strength="2.5 mg")
    add_medicine(patient, pharmacist, "Ramipril", strength="5 mg", dose_unit="capsule")
    response = client.post(
        f"/medicines/patients/{patient.pk}/visit/",
        visit_data(
            **{
                "iv0-kind": "stopped",
                "iv0-medicine": "amlodipine",
                "iv0-note": "Ankle swelling",
                "iv1-kind": "started",
                "iv1-medicine": "Sertraline",
                "iv1-dose_amount": "50",
                "iv1-dose_unit": "mg",
                "iv1-frequency": "once_daily",
                "iv2-kind": "dose_changed",
                "iv2-medicine": "Ramipril",
                "iv2-dose_amount": "2",
            }
        ),
    )
    assert response.status_code == 302, text(response)
    amlodipine.refresh_from_db()
    assert amlodipine.stopped_on == timezone.localdate()
    assert amlodipine.stop_reason == "Ankle swelling"
    sertraline = Medication.objects.get(name="Sertraline")
    assert sertraline.is_active and sertraline.dose_display == "50 mg once a day"
    assert Medication.objects.get(name="Ramipril").dose_display == "2 capsule once a day"
    assert list(Intervention.objects.values_list("kind", flat=True)) == [
        "stopped",
        "started",
        "dose_changed",
    ]
    assert "3 changes to medicines recorded on the list." in message_texts(response)[0]
    # The person's page shows the reconciled list: the stopped one in a closed disclosure.
    page = text(client.get(f"/patients/{patient.pk}/"))
    medicines = page[page.index('id="medicines"') : page.index('id="visits"')]
    assert "Sertraline" in medicines and "Bisoprolol" in medicines
    stopped = medicines[medicines.index("<details") :]
    assert "Stopped medicines (1)" in stopped and "Amlodipine 5 mg" in stopped
    assert "Amlodipine" not in medicines[: medicines.index("<details")]
    visits = page[page.index('id="visits"') :]
    assert "Stopped: amlodipine" in visits or "Stopped: Amlodipine" in visits
    assert "Started: Sertraline" in visits


def test_blank_intervention_rows_are_ignored(client, login, patient):
    login("pharmacist")
    data = visit_data(**{f"iv{i}-{f}": "" for i in range(3) for f in ("kind", "medicine")})
    assert client.post(f"/medicines/patients/{patient.pk}/visit/", data).status_code == 302
    assert not Intervention.objects.exists()


def test_the_visit_form_writes_one_access_event(client, login, patient):
    user = login("pharmacist")
    client.get(f"/medicines/patients/{patient.pk}/visit/")
    assert (
        AccessEvent.objects.filter(
            user=user, patient=patient, what="visit_form", channel="page"
        ).count()
        == 1
    )


def test_joint_visitor_is_recorded(client, login, patient, member):
    login("pharmacist")
    nurse = member("community_nurse")
    response = client.post(
        f"/medicines/patients/{patient.pk}/visit/", visit_data(joint_visitor=str(nurse.pk))
    )
    assert response.status_code == 302
    assert Visit.objects.get().joint_visitor == nurse


def test_a_member_of_another_network_cannot_be_the_joint_visitor(
    client, login, patient, member, other_network
):
    login("pharmacist")
    outsider = member("community_nurse", net=other_network, username="nurse.purbeck")
    response = client.post(
        f"/medicines/patients/{patient.pk}/visit/", visit_data(joint_visitor=str(outsider.pk))
    )
    assert response.status_code == 400
    assert not Visit.objects.exists()


# --- the live fragments ----------------------------------------------------------------------


def test_news2_preview_highlights_five_or_more_and_says_what_is_missing(client, login):
    login("pharmacist")
    response = client.get(
        "/medicines/visit/news2/", {"respiratory_rate": "25", "spo2": "91"}, headers=HX
    )
    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page
    assert 'class="news2 news2--high"' in page
    assert '<strong class="news2__value">6</strong>' in page
    assert "5 or more: consider an urgent clinical response" in page
    assert (
        "Partial: not measured systolic blood pressure, pulse, consciousness, temperature." in page
    )


def test_news2_preview_complete_and_low(client, login):
    login("pharmacist")
    data = visit_data()
    page = text(client.get("/medicines/visit/news2/", data, headers=HX))
    assert '<strong class="news2__value">0</strong>' in page
    assert "news2--high" not in page and "Partial" not in page
    assert "Low clinical risk" in page


def test_news2_preview_on_oxygen_and_a_single_red_score(client, login):
    login("pharmacist")
    data = visit_data(on_oxygen="on", consciousness="confusion")
    page = text(client.get("/medicines/visit/news2/", data, headers=HX))
    assert '<strong class="news2__value">5</strong>' in page  # oxygen 2 + new confusion 3
    assert "news2--high" in page


def test_news2_preview_skips_impossible_readings(client, login):
    login("pharmacist")
    page = text(client.get("/medicines/visit/news2/", {"pulse": "120", "spo2": "120"}, headers=HX))
    assert '<strong class="news2__value">2</strong>' in page
    assert "Not counted, outside the plausible range: oxygen saturation." in page


def test_news2_preview_with_nothing_measured(client, login):
    login("pharmacist")
    page = text(client.get("/medicines/visit/news2/", {}, headers=HX))
    assert "enter observations to see the score" in page


@pytest.mark.parametrize(
    ("data", "advice"),
    [
        ({}, "home visit"),
        ({"preference": "home"}, "home visit"),
        ({"infection_risk": "on"}, "phone or video"),
        ({"lone_working_risk": "on"}, "phone or video"),
        ({"preference": "remote"}, "phone or video"),
    ],
)
def test_risk_recommendation_fragment(client, login, data, advice):
    login("pharmacist")
    page = text(client.get("/medicines/visit/recommendation/", data, headers=HX))
    assert "<html" not in page
    assert f"Recommended: <strong>{advice}</strong>" in page


# --- the person's page -----------------------------------------------------------------------


def test_pic_sees_no_medicines_or_visits(client, login, member, patient):
    pharmacist = member("pharmacist")
    add_medicine(patient, pharmacist, "Amlodipine")
    visit_log(patient=patient, by=pharmacist, kind="home", visited_at=timezone.now())
    login("pic")
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert 'id="medicines"' not in page and 'id="visits"' not in page
    assert "Amlodipine" not in page and "Log a visit" not in page
    assert 'href="#medicines"' not in page


def test_patient_page_sections_for_a_pharmacist(client, login, member, patient):
    pharmacist = login("pharmacist")
    nurse = member("community_nurse")
    add_medicine(
        patient,
        pharmacist,
        "Donepezil",
        strength="10 mg",
        prescriber="Dr Shah",
        started_on=datetime.date(2024, 3, 1),
        compliance_aid=True,
    )
    old = timezone.now() - datetime.timedelta(days=10)
    visit_log(patient=patient, by=pharmacist, kind="phone", visited_at=old, summary="Older call")
    visit_log(
        patient=patient,
        by=pharmacist,
        joint_visitor=nurse,
        kind="home",
        visited_at=timezone.now(),
        summary="Breathless and hot",
        observations={"respiratory_rate": 25, "spo2": 91},
        follow_up_on=timezone.localdate() + datetime.timedelta(days=2),
    )
    MedicationReview.objects.create(
        patient=patient,
        reviewer=pharmacist,
        reviewed_on=timezone.localdate(),
        outcome="changes_recommended",
        agreed_actions="Ask the GP to stop aspirin",
    )
    page = text(client.get(f"/patients/{patient.pk}/"))
    medicines = page[page.index('id="medicines"') : page.index('id="visits"')]
    assert "Donepezil" in medicines and "10 mg" in medicines
    assert "1 tablet once a day" in medicines and "By mouth" in medicines
    assert "1 Mar 2024" in medicines and "Dr Shah" in medicines
    assert "Compliance aid" in medicines
    assert "Changes recommended to the prescriber" in medicines
    assert "Ask the GP to stop aspirin" in medicines
    assert f'href="/medicines/patients/{patient.pk}/medicines/new/"' in medicines
    assert f'href="/medicines/patients/{patient.pk}/reviews/new/"' in medicines
    assert f'href="/medicines/patients/{patient.pk}/dispensing/"' in medicines
    visits = page[page.index('id="visits"') :]
    assert f'class="button" href="/medicines/patients/{patient.pk}/visit/"' in visits
    assert visits.index("Breathless and hot") < visits.index("Older call")  # newest first
    assert 'class="tag news2-tag news2-tag--high">NEWS2 6 (partial)' in visits
    assert f"with {nurse.get_full_name()}" in visits
    assert "Phone call" in visits and "Home visit" in visits


# --- medication list and reviews -------------------------------------------------------------


def test_add_medicine(client, login, patient):
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
            "dmd_code": "39109011000001108",
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
    assert response.status_code == 400
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
    assert response.status_code == 400
    assert "A review cannot be dated in the future." in text(response)
    assert not MedicationReview.objects.exists()


def test_a_review_needs_an_outcome(client, login, patient):
    login("pharmacist")
    response = client.post(
        f"/medicines/patients/{patient.pk}/reviews/new/",
        {"reviewed_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
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
    assert '<ul class="finding__working"' in page
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
    assert response.status_code == 400
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
    assert response.status_code == 400
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
    assert response.status_code == 400
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
    assert '<li class="tag tag--reason">New resident</li>' in technicians
    assert '<li class="tag tag--reason">Swallowing difficulty</li>' in technicians
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
