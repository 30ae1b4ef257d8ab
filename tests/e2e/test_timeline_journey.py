"""Browser journey: the chair reads a demo person's timeline on their page, keeps only the
MDT discussions, opens the whole timeline on its own page; the PIC reads the same person's
timeline without its clinical content; on a phone it fits the screen (headless Debian
Chromium). Screenshots go to /tmp/shots/timeline-*.png."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from huddles.models import AgendaItem
from patients.models import Patient
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")


def test_chair_and_pic_read_the_timeline(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    SHOTS.mkdir(parents=True, exist_ok=True)
    # A Thornton Heath person discussed at past meetings (seed_demo's report history).
    item = AgendaItem.objects.filter(
        meeting__network__slug="thornton-heath", decision="discharge"
    ).first()
    person = Patient.objects.get(pk=item.patient_id)
    timeline = page.locator("#timeline")

    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, demo, "chair.thornton-heath")
    page.goto(f"{demo}/patients/{person.pk}/")
    page.get_by_role("link", name="Timeline", exact=True).click()
    expect(timeline.get_by_role("heading", name="Timeline")).to_be_visible()
    timeline.screenshot(path=SHOTS / "timeline-chair.png")

    # Only the discussions: the filter (folded away on the person's page) is a plain GET,
    # the choice stays ticked.
    timeline.get_by_text("Show only some kinds").click()
    for label in (
        "On and off the caseload",
        "Referrals",
        "Visits",
        "Hospital admissions",
        "Consent",
    ):
        timeline.get_by_label(label).uncheck()
    timeline.get_by_label("Frailty").uncheck()
    timeline.get_by_role("button", name="Show these").click()
    expect(timeline.get_by_label("MDT discussions")).to_be_checked()
    expect(timeline.get_by_label("Referrals")).not_to_be_checked()
    expect(timeline.get_by_text("Discharged from the MDT caseload")).to_have_count(0)
    expect(timeline.locator(".timeline__entry").first).to_contain_text("Discussed at the huddle")
    timeline.get_by_role(
        "link", name=re.compile("^(See the whole timeline|Open the timeline on its own page)")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("timeline")
    expect(timeline.get_by_label("Referrals")).not_to_be_checked()  # the filter came along
    # The whole timeline has the discharge and the notes of the discussion.
    page.goto(f"{demo}/patients/{person.pk}/timeline/")
    expect(timeline.get_by_text("Discharged from the MDT caseload").first).to_be_visible()
    expect(timeline.get_by_text(f"Notes: {item.notes}").first).to_be_visible()

    # The PIC: the discussion and decision, no notes, no filter for visits.
    page.context.clear_cookies()
    log_in(page, demo, "pic.thornton-heath")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{demo}/patients/{person.pk}/timeline/")
    expect(timeline.get_by_text("Decision: Discharge").first).to_be_visible()
    expect(timeline.get_by_text(item.notes)).to_have_count(0)
    expect(timeline.get_by_label("Visits")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    timeline.screenshot(path=SHOTS / "timeline-pic-phone.png")
    assert errors == []
