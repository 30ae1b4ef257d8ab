"""The medicines pages, first part: who may open them, the visit form, its live fragments
(NEWS2, risk advice) and the medicines sections of the person's page."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from actions.models import Action
from audit.models import AccessEvent
from medicines.models import Intervention, Medication, MedicationReview, Visit
from medicines.services import visit_log
from referrals.models import PatientFlag, Referral

from .helpers import (
    HX,
    THREE_FLAGS,
    add_medicine,
    message_texts,
    short_date,
    text,
    visit_data,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]


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
    assert 'value="home" id="id_kind_0" checked required' in page
    assert 'name="visited_at-day"' in page and 'name="visited_at-time"' in page
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
    # One empty change row, "Add another" for more, and every part folded away.
    assert 'name="iv0-kind"' in page and 'name="iv1-kind"' not in page
    assert 'name="iv-TOTAL_FORMS" value="1"' in page
    assert 'name="add_row"' in page and ">Add another change</button>" in page
    assert 'id="active-medicines"' in page
    assert "<details" in page and " open>" not in page


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
    assert response["Location"] == f"/patients/{patient.pk}/#visits"
    [message] = get_messages(response.wsgi_request)
    assert message.level_tag == "warning"
    assert "NEWS2 6: urgent response. NEWS2 of 5 or 6" in str(message)
    assert "An urgent task, due today, went to the GP queue." in str(message)


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
def test_impossible_or_wrong_input_is_422_inline_and_nothing_saved(
    client, login, patient, change, field, error
):
    login("pharmacist")
    data = visit_data(
        red_flags=THREE_FLAGS,
        follow_up_on=(timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
    )
    data.update(change)
    response = client.post(f"/medicines/patients/{patient.pk}/visit/", data)
    assert response.status_code == 422
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
    assert response.status_code == 422
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
    assert response.status_code == 422
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
    assert f'href="/medicines/patients/{patient.pk}/visit/">Add a visit' in visits
    assert visits.index("Breathless and hot") < visits.index("Older call")  # newest first
    assert ">NEWS2 6 (partial)</strong>" in visits
    assert f"with {nurse.get_full_name()}" in visits
    assert "Phone call" in visits and "Home visit" in visits


# --- the phone-first form: parts that open, "Add another" without a script -------------------


def test_add_another_without_a_script_adds_a_row_keeps_the_typing_and_saves_nothing(
    client, login, patient
):
    login("pharmacist")
    data = visit_data(
        red_flags=["no_heating"],
        summary="Heater broken",
        **{"iv-TOTAL_FORMS": "1", "iv0-kind": "started", "iv0-medicine": "Sertraline"},
    )
    data["add_row"] = "1"
    response = client.post(f"/medicines/patients/{patient.pk}/visit/", data)
    assert response.status_code == 200
    page = text(response)
    assert 'name="iv-TOTAL_FORMS" value="2"' in page
    assert 'name="iv1-kind"' in page and 'name="iv2-kind"' not in page
    assert 'name="iv0-medicine" value="Sertraline"' in page
    assert "Heater broken" in page and 'id="flag-no_heating"' in page
    assert 'aria-describedby="flag-no_heating-routes" checked' in page
    # The row is not finished (no dose) but asking for a row is not an error.
    assert "There is a problem" not in page and "Give the dose" not in page
    # The changes, red flags and observations are open: they hold what was typed.
    for part in ("changes-part", "red-flags-part", "observations-part"):
        assert f'id="{part}" open>' in page
    assert 'id="follow-up-part">' in page  # nothing typed there: still folded
    assert not Visit.objects.exists() and not Referral.objects.exists()


def test_rows_added_by_the_script_are_read_and_saved(client, login, patient):
    pharmacist = login("pharmacist")
    add_medicine(patient, pharmacist, "Amlodipine", strength="5 mg")
    data = visit_data(
        **{
            "iv-TOTAL_FORMS": "2",
            "iv1-kind": "stopped",
            "iv1-medicine": "amlodipine",
        }
    )
    response = client.post(f"/medicines/patients/{patient.pk}/visit/", data)
    assert response.status_code == 302
    assert Intervention.objects.get().kind == "stopped"


def test_an_error_opens_its_part_on_the_re_render(client, login, patient):
    login("pharmacist")
    data = visit_data(follow_up_on="2001-01-01")
    response = client.post(f"/medicines/patients/{patient.pk}/visit/", data)
    assert response.status_code == 422
    page = text(response)
    assert 'id="follow-up-part" open>' in page
    assert 'name="follow_up_on-year" type="text" inputmode="numeric" value="2001"' in page


def test_the_visit_date_in_the_boxes_is_saved(client, login, patient):
    login("pharmacist")
    when = timezone.localtime() - datetime.timedelta(days=1)
    data = visit_data()
    del data["visited_at"]
    data.update(
        {
            "visited_at-day": str(when.day),
            "visited_at-month": str(when.month),
            "visited_at-year": str(when.year),
            "visited_at-time": "9:30",
        }
    )
    response = client.post(f"/medicines/patients/{patient.pk}/visit/", data)
    assert response.status_code == 302
    saved = timezone.localtime(Visit.objects.get().visited_at)
    assert (saved.date(), saved.hour, saved.minute) == (when.date(), 9, 30)
