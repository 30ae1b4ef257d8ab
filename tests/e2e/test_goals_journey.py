"""Browser journey: a PIC agrees a goal with a person ("what matters to me") from their page
and later marks it met, each on a small page of its own that returns to the goals section
with the confirmation there and focused, at desktop and phone widths (headless Debian
Chromium). Screenshots of the goals section go to /tmp/shots/goals-*.png."""

import re
from pathlib import Path

import pytest
from django.db.models import Count
from playwright.sync_api import Page, expect

from patients.models import Goal, Patient
from tests.e2e.dates import fill_date
from tests.e2e.pages import fits_the_screen, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def test_pic_agrees_a_goal_and_marks_it_met(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The Thornton Heath person with the most goals from seed_demo, for a varied section.
    person = (
        Patient.objects.filter(network__slug="thornton-heath")
        .annotate(n=Count("goals"))
        .order_by("-n", "id")
        .first()
    )
    goals = page.locator("#goals")
    description = "To go to the Saturday market with my daughter"

    page.set_viewport_size(DESKTOP)
    log_in(page, demo, "pic.thornton-heath")
    page.goto(f"{demo}/patients/{person.pk}/")
    expect(page.get_by_role("heading", name="What matters to me: goals")).to_be_visible()

    # A goal of only spaces is refused next to the field, nothing saved (422).
    goals.get_by_role("link", name=re.compile(r"^Agree a goal")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agree a goal")
    page.get_by_label("The goal, in the person's words").fill("   ")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.locator("#id_description_error")).to_contain_text("required")
    assert Goal.objects.filter(patient=person).count() == person.n

    page.get_by_label("The goal, in the person's words").fill(description)
    page.get_by_role("button", name="Add goal").click()
    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#goals$"))
    done = goals.get_by_role("alert")
    expect(done).to_contain_text("Goal added.")
    expect(done).to_be_focused()
    expect(done).to_be_in_viewport()
    item = goals.locator("li", has_text=description)
    expect(item).to_contain_text("Working on it")
    goals.screenshot(path=str(SHOTS / "goals-added-1280.png"))

    item.get_by_role("link", name=re.compile(r"^Record outcome")).click()
    expect(page.get_by_text(description)).to_be_visible()
    page.get_by_label("Note").fill("Went twice this month")
    page.get_by_role("button", name=re.compile(r"^Met\b")).click()
    done = goals.get_by_role("alert")
    expect(done).to_contain_text("Goal marked as met.")
    expect(done).to_be_focused()
    item = goals.locator("li", has_text=description)
    expect(item).to_contain_text("Met")
    expect(item).to_contain_text("Went twice this month")
    goal = Goal.objects.get(description=description)
    assert (goal.outcome, goal.outcome_by.username) == ("met", "pic.thornton-heath")
    goals.screenshot(path=str(SHOTS / "goals-1280.png"))

    # On a phone: the section fits, and a date in the future is refused by its field.
    page.set_viewport_size(PHONE)
    page.goto(f"{demo}/patients/{person.pk}/#goals")
    assert fits_the_screen(page)
    goals.screenshot(path=str(SHOTS / "goals-375.png"))
    item = goals.locator("li", has_text=description)
    item.get_by_role("link", name=re.compile(r"^Change outcome")).click()
    assert fits_the_screen(page)
    fill_date(page, "Date of the outcome", "2999-01-01")
    page.get_by_role("button", name=re.compile(r"^Partly met\b")).click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.locator("#id_on_error")).to_contain_text("future")
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "goals-outcome-error-375.png"))
    goal.refresh_from_db()
    assert goal.outcome == "met"
    # The only console errors are the refused forms' 422s; nothing breaks the CSP.
    assert [e for e in errors if "422" not in e] == [], errors
