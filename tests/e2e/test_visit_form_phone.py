"""Browser journeys on a phone (375 x 812): the visit form fits in under two screens with its
parts folded, Save stays in view, a minimal visit is a date and one reading, "Add another"
adds a change row in the page and the red flags filter as you type (headless Chromium)."""

import re

import pytest
from playwright.sync_api import Page, expect

from medicines.models import Intervention, Visit
from patients.models import Patient
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE}


def a_person_without_visits() -> Patient:
    person = (
        Patient.objects.filter(network__slug="thornton-heath", visits__isnull=True)
        .order_by("id")
        .first()
    )
    assert person is not None, "seed_demo left no one without a visit"
    return person


def open_the_form(page: Page, demo: str, person: Patient) -> None:
    log_in(page, demo, "pharmacist.thornton-heath")
    page.goto(f"{demo}/medicines/patients/{person.pk}/visit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a visit")


def open_part(page: Page, name: str) -> None:
    """Open a folded part of the form, as a person does: its summary line."""
    page.locator("summary").filter(has_text=name).click()


def in_view(page: Page, name: str) -> bool:
    box = page.get_by_role("button", name=name).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_a_minimal_visit_on_a_phone_is_a_date_and_one_reading(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    person = a_person_without_visits()
    open_the_form(page, demo, person)

    # Folded, the form from its heading to Save is under two screens; Save is in view.
    height = page.evaluate(
        """() => {
          const top = document.querySelector("h1").getBoundingClientRect().top;
          const form = document.getElementById("visit-form").getBoundingClientRect();
          return Math.round(form.bottom - top);
        }"""
    )
    print(f"visit form, heading to Save, folded at 375 px: {height} px")
    assert height < 2 * PHONE["height"], height
    assert in_view(page, "Save visit")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path="/tmp/visit-form-375.png", full_page=True)
    page.screenshot(path="/tmp/visit-form-375-screen.png")

    # The date and time are filled in with now; type yesterday's date instead.
    when = page.get_by_role("group", name=re.compile("^When"))
    expect(when.get_by_label("Day", exact=True)).not_to_have_value("")
    open_part(page, "Observations and NEWS2")
    page.get_by_label("Pulse (beats/min)").fill("72")
    expect(page.locator("#news2-preview")).to_contain_text("NEWS2")
    page.mouse.wheel(0, 400)
    assert in_view(page, "Save visit")  # still there, scrolled
    page.get_by_role("button", name="Save visit").click()

    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#visits$"))
    visit = Visit.objects.get(patient=person)
    assert visit.pulse == 72 and visit.systolic_bp is None
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_add_another_change_and_filter_the_red_flags_on_a_phone(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    person = a_person_without_visits()
    open_the_form(page, demo, person)

    open_part(page, "Changes to medicines")
    expect(page.get_by_role("group", name="Change 1")).to_be_visible()
    expect(page.get_by_role("group", name="Change 2")).to_have_count(0)
    page.get_by_role("button", name="Add another change").click()
    second = page.get_by_role("group", name="Change 2")
    expect(second).to_be_visible()
    expect(second.get_by_label("What was done")).to_be_focused()
    expect(page.locator("input[name='iv-TOTAL_FORMS']")).to_have_value("2")
    second.get_by_label("What was done").select_option("started")
    second.get_by_label("Medicine").fill("Sertraline")
    second.get_by_label("Dose amount").fill("50")
    second.get_by_label("Unit").fill("mg")
    second.get_by_label("How often").select_option("once_daily")

    open_part(page, "Red flags noticed")
    finder = page.get_by_label("Find a red flag")
    expect(finder).to_be_visible()
    expect(page.get_by_label("Heating broken or not used", exact=True)).to_be_visible()
    finder.fill("fall")
    expect(page.get_by_label("Has fallen", exact=True)).to_be_visible()
    expect(page.get_by_label("Heating broken or not used", exact=True)).to_be_hidden()
    finder.fill("nothing like this")
    expect(page.get_by_text("No red flag matches")).to_be_visible()
    finder.fill("")
    expect(page.get_by_label("Heating broken or not used", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path="/tmp/visit-form-open-375.png", full_page=True)

    page.get_by_role("button", name="Save visit").click()
    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#visits$"))
    change = Intervention.objects.get(visit__patient=person)
    assert change.kind == "started" and change.medicine.lower() == "sertraline"
    assert not [e for e in errors if "Content Security Policy" in e], errors
