"""Browser journey (issue #19): the chair opens case finding from the meetings list, reads why
a person is suggested, puts them on the next huddle in one step, and finds them on that
meeting's agenda with the reasons; the list no longer offers someone already on it twice
(headless Debian Chromium; screenshots at 1280 and 375 wide)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from audit.models import AccessEvent
from huddles.models import AgendaItem, Episode
from tests.e2e.pages import fits_the_screen, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")


def test_chair_adds_a_suggested_person_to_the_next_huddle(page: Page, demo):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, demo, "chair.thornton-heath")
    page.goto(f"{demo}/meetings/")
    page.get_by_role("link", name=re.compile("Case finding")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Case finding")
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    page.screenshot(path=str(SHOTS / "case-finding-1280.png"), full_page=True)

    # The first suggestion: its score is the sum of the points beside its reasons.
    first = rows.first
    name = first.locator("th a").inner_text()
    score = int(first.locator("td").nth(1).inner_text().split()[-1])
    reasons = first.locator("td ul li").all_inner_texts()
    points = [int(m) for r in reasons for m in re.findall(r"\(\+(\d+)\)", r)]
    assert reasons and sum(points) == score, (reasons, score)
    listed = AccessEvent.objects.filter(what="case_finding").count()
    assert listed >= rows.count()  # opening the list is a look at every person on it

    before = AgendaItem.objects.count()
    first.get_by_role("button", name=re.compile("Add to next huddle")).click()
    expect(page.get_by_text(re.compile(r"is on the agenda of"))).to_be_visible()
    assert AgendaItem.objects.count() == before + 1
    item = AgendaItem.objects.latest("pk")
    assert item.reason.startswith(f"Suggested by case finding, score {score}: ")
    family, given = name.split(", ")
    assert item.patient.family_name.upper() == family and item.patient.given_name == given

    page.screenshot(path=str(SHOTS / "case-finding-added-1280.png"), full_page=True)
    # On the agenda, the person is on the caseload: no longer suggested.
    expect(page.locator("tbody tr").filter(has_text=name)).to_have_count(0)
    assert Episode.objects.filter(patient=item.patient, closed_at__isnull=True).exists()

    page.goto(f"{demo}/meetings/{item.meeting_id}/")
    expect(page.get_by_text(item.patient.given_name).first).to_be_visible()
    expect(page.get_by_text(re.compile("Suggested by case finding")).first).to_be_visible()

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{demo}/reports/case-finding/")
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "case-finding-375.png"), full_page=True)
