"""Browser journey: a nurse's visit scores NEWS2 7; the confirmation says emergency response,
an urgent task goes to the GP queue, and the warning stays on the person's page until the GP
acknowledges it (headless Debian Chromium)."""

import re

import pytest
from playwright.sync_api import Page, expect

from actions.models import Action
from medicines.models import Visit
from patients.models import Patient
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMERGENCY = "NEWS2 of 7 or more: emergency response"


def test_news2_of_seven_warns_until_the_gp_acknowledges(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    person = (
        Patient.objects.filter(network__slug="thornton-heath", visits__isnull=True)
        .order_by("id")
        .first()
    )
    assert person is not None

    log_in(page, demo, "community_nurse.thornton-heath")
    page.goto(f"{demo}/medicines/patients/{person.pk}/visit/")
    page.locator("summary").filter(has_text="Observations and NEWS2").click()
    page.get_by_label("Pulse (beats/min)").fill("95")
    page.get_by_label("Breathing rate (breaths/min)").fill("25")
    page.get_by_label("Oxygen saturation, SpO₂ (%)").fill("91")
    preview = page.locator("#news2-preview")
    expect(preview).to_contain_text("NEWS2 7")
    expect(preview).to_contain_text(EMERGENCY)
    page.get_by_role("button", name="Save visit").click()

    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#visits$"))
    confirmation = page.locator("#visits").get_by_role("alert")
    expect(confirmation).to_be_focused()
    expect(confirmation).to_contain_text("NEWS2 7 (partial): emergency response.")
    expect(confirmation).to_contain_text("An urgent task, due today, went to the GP queue.")
    warning = page.locator(".news2-warning")
    expect(warning).to_contain_text(EMERGENCY)
    visit = Visit.objects.get(patient=person)
    [task] = Action.objects.filter(patient=person, assignee_role="gp")
    assert task.title.startswith("Urgent: NEWS2 7") and visit.news2_task == task

    page.context.clear_cookies()
    log_in(page, demo, "gp.thornton-heath")
    page.goto(f"{demo}/patients/{person.pk}/")
    warning = page.locator(".news2-warning")
    expect(warning).to_contain_text("NEWS2 7: emergency response")
    warning.get_by_role("button", name=re.compile(r"^Acknowledge")).click()

    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#medicines$"))
    expect(page.locator("#medicines").get_by_role("alert")).to_contain_text("acknowledged")
    expect(page.locator(".news2-warning")).to_have_count(0)
    expect(page.locator(f"#visit-{visit.pk}")).to_contain_text("Emergency response, acknowledged")
    visit.refresh_from_db()
    assert visit.news2_acknowledged_by.username == "gp.thornton-heath"
    assert not [e for e in errors if "Content Security Policy" in e], errors
