"""Browser journey at a phone's size: a pharmacist logs a home visit with observations and
three red flags, and sees the referrals it raised (headless Debian Chromium)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from actions.models import Action
from medicines.models import Visit
from patients.models import Patient
from referrals.models import PatientFlag, Referral
from tests.e2e.dates import fill_date
from tests.e2e.pages import fits_the_screen, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FLAGS = {
    "no_heating": ("Heating broken or not used", "social_services", "Social services"),
    "fall": ("Has fallen", "physiotherapy", "Physiotherapy"),
    "loneliness": ("Lonely or isolated", "pic", "Personal independence coordination"),
}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 375, "height": 740}}


def a_person_without_these_flags() -> Patient:
    """A Thornton Heath person with none of the three flags active and no open referral to
    the services they route to (so each flag raises a referral of its own)."""
    busy = set(
        PatientFlag.objects.filter(flag__code__in=FLAGS, resolved_at__isnull=True).values_list(
            "patient_id", flat=True
        )
    ) | set(
        Referral.objects.filter(
            status__in=Referral.OPEN, service__in=[s for _, s, _ in FLAGS.values()]
        ).values_list("patient_id", flat=True)
    )
    person = (
        Patient.objects.filter(network__slug="thornton-heath", visits__isnull=True)
        # Consent to share, so the loneliness flag reaches the PIC (issue 17).
        .filter(consent_sharing__in=["given", "best_interest"])
        .exclude(pk__in=busy)
        .order_by("id")
        .first()
    )
    assert person is not None, "seed_demo left no one without these red flags"
    return person


def short_date(day: datetime.date) -> str:
    """As the confirmation gives it: "30 Nov", with the year when it is not this year."""
    if day.year == timezone.localdate().year:
        return f"{day.day} {day:%b}"
    return f"{day.day} {day:%b %Y}"


def test_pharmacist_logs_a_home_visit_with_red_flags_on_a_phone(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    person = a_person_without_these_flags()
    follow_up = timezone.localdate() + datetime.timedelta(days=14)

    log_in(page, demo, "pharmacist.thornton-heath")
    page.goto(f"{demo}/patients/{person.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(person.full_name)
    visits = page.locator("#visits")
    expect(visits.get_by_role("heading", name="Visits")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Log a visit")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Log a visit")
    assert fits_the_screen(page)
    expect(page.get_by_label("Home visit", exact=True)).to_be_checked()
    # The parts of the form are folded until opened.
    page.locator("summary").filter(has_text="Risk assessment").click()
    expect(page.locator("#risk-recommendation")).to_contain_text("Recommended: home visit")
    page.get_by_label("Infection risk to or from the person").check()
    expect(page.locator("#risk-recommendation")).to_contain_text("Recommended: phone or video")
    page.get_by_label("Infection risk to or from the person").uncheck()
    expect(page.locator("#risk-recommendation")).to_contain_text("Recommended: home visit")

    # Observations: the live NEWS2 fills in as they are typed.
    page.locator("summary").filter(has_text="Observations and NEWS2").click()
    page.get_by_label("Systolic (mmHg)").fill("132")
    page.get_by_label("Diastolic (mmHg)").fill("80")
    page.get_by_label("Pulse (beats/min)").fill("104")
    page.get_by_label("Breathing rate (breaths/min)").fill("22")
    page.get_by_label("Temperature (°C)").fill("37.9")
    page.get_by_label("Oxygen saturation, SpO₂ (%)").fill("95")
    page.get_by_label("Consciousness (ACVPU)").select_option("alert")
    preview = page.locator("#news2-preview")
    expect(preview).to_contain_text("NEWS2 4")  # pulse 1 + breathing 2 + SpO2 1
    expect(preview).not_to_contain_text("Partial")
    page.get_by_label("Summary").fill("House cold, heater broken; fell last week; sees no one.")

    page.locator("summary").filter(has_text="Red flags noticed").click()
    for label, _, _ in FLAGS.values():
        page.get_by_label(label, exact=True).check()
    page.locator("summary").filter(has_text="Follow-up").click()
    fill_date(page, "Follow-up date", follow_up)
    assert fits_the_screen(page)
    page.get_by_role("button", name="Save visit").click()

    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#visits$"))
    confirmation = page.locator("#visits").get_by_role("alert")
    expect(confirmation).to_be_focused()
    expect(confirmation).to_contain_text("Visit saved. NEWS2 4.")
    expect(confirmation).to_contain_text("Raised referrals to")
    for _, _, service in FLAGS.values():
        expect(confirmation).to_contain_text(service)
    expect(confirmation).to_contain_text(f"Follow-up on {short_date(follow_up)} for you.")
    expect(page.locator("#visits")).to_contain_text("NEWS2 4")

    # The Referrals section lists the three it raised.
    referrals = page.locator("#referrals")
    for label, _, service in FLAGS.values():
        expect(referrals).to_contain_text(service)
        expect(referrals.get_by_text(label, exact=True).first).to_be_visible()

    raised = Referral.objects.filter(patient=person, origin="red_flag")
    assert sorted(raised.values_list("service", flat=True)) == sorted(
        s for _, s, _ in FLAGS.values()
    )
    assert all(r.referred_by.username == "pharmacist.thornton-heath" for r in raised)
    visit = Visit.objects.get(patient=person)
    assert visit.news2_score == 4 and visit.news2_complete
    task = Action.objects.get(patient=person, source="visit")
    assert task.assignee.username == "pharmacist.thornton-heath"
    assert task.due_on == follow_up and visit.follow_up_action == task
    assert not [e for e in errors if "Content Security Policy" in e], errors
