"""Browser journey: a PIC agrees a goal with a person ("what matters to me") on their page
and later marks it met, inline (htmx), at desktop and phone widths (headless Debian
Chromium). Screenshots of the goals section go to /tmp/shots/goals-*.png."""

import re
from pathlib import Path

import pytest
from django.db.models import Count
from playwright.sync_api import Page, expect

from patients.models import Goal, Patient
from tests.e2e.dates import fill_date
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
# Screenshots keep the caret: hiding it puts style="" on inputs, which htmx's settling then
# copies onto the swapped-in inputs, and the CSP (style-src 'self') rightly refuses.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


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

    page.set_viewport_size(DESKTOP)
    log_in(page, demo, "pic.thornton-heath")
    page.goto(f"{demo}/patients/{person.pk}/")
    expect(page.get_by_role("heading", name="What matters to me: goals")).to_be_visible()
    page.evaluate("window.notReloaded = true")  # gone if a form reloads the page

    # A goal of only spaces (the browser's own check lets it through) is refused next to
    # the field, in place.
    goals.get_by_label("The goal, in the person's words").fill("   ")
    goals.get_by_role("button", name="Add goal").click()
    expect(goals.locator("#goal-new-description_error")).to_contain_text("required")
    assert Goal.objects.filter(patient=person).count() == person.n

    goals.get_by_label("The goal, in the person's words").fill(
        "To go to the Saturday market with my daughter"
    )
    goals.get_by_role("button", name="Add goal").click()
    expect(goals.get_by_role("status")).to_have_text("Goal added.")
    item = goals.locator("li", has_text="To go to the Saturday market with my daughter")
    expect(item.locator(".tag")).to_have_text("Working on it")
    goals.screenshot(path=str(SHOTS / "goals-added-1280.png"), caret="initial")

    item.get_by_text("Record outcome").click()
    item.get_by_label("Note").fill("Went twice this month")
    item.get_by_role("button", name=re.compile(r"^Met\b")).click()
    expect(goals.get_by_role("status")).to_have_text("Goal marked as met.")
    item = goals.locator("li", has_text="To go to the Saturday market with my daughter")
    expect(item.locator(".tag")).to_have_text("Met")
    expect(item).to_contain_text("Went twice this month")
    assert page.evaluate("window.notReloaded") is True
    goal = Goal.objects.get(description="To go to the Saturday market with my daughter")
    assert (goal.outcome, goal.outcome_by.username) == ("met", "pic.thornton-heath")
    goals.screenshot(path=str(SHOTS / "goals-1280.png"), caret="initial")
    first = goals.locator(".goal-list__item").first
    first.get_by_text(re.compile(r"(Record|Change) outcome")).click()
    goals.screenshot(path=str(SHOTS / "goals-outcome-form-1280.png"), caret="initial")

    # On a phone: the section fits, and the outcome form opens within it.
    page.set_viewport_size(PHONE)
    page.reload()
    assert fits_the_screen(page)
    goals.screenshot(path=str(SHOTS / "goals-375.png"), caret="initial")
    first = goals.locator(".goal-list__item").first
    first.get_by_text(re.compile(r"(Record|Change) outcome")).click()
    expect(first.get_by_label("Note")).to_be_visible()
    assert fits_the_screen(page)
    first.screenshot(path=str(SHOTS / "goals-outcome-form-375.png"), caret="initial")
    # A date in the future is refused in place, the form left open with the message by it.
    fill_date(first, "Date of the outcome", "2999-01-01")
    first.get_by_role("button", name=re.compile(r"^Partly met\b")).click()
    first = goals.locator(".goal-list__item").first
    expect(first.get_by_role("alert")).to_contain_text("The outcome was not recorded")
    expect(first.get_by_role("group", name=re.compile("^Date of the outcome"))).to_contain_text(
        "future"
    )
    assert fits_the_screen(page)
    first.screenshot(path=str(SHOTS / "goals-outcome-error-375.png"), caret="initial")
    # The only console error is the refused blank goal's 400; nothing breaks the CSP.
    assert [e for e in errors if "400" not in e] == [], errors
