"""Browser journey (issue #16.5): meeting mode on a phone (375 x 812) never scrolls sideways,
in every state the chair goes through: the agenda, a person with visits, actions and a care
plan, a person with a high NEWS2, attendance and guests open, a recorded decision, an action
added, and the close (headless Debian Chromium)."""

import re

import pytest
from playwright.sync_api import Page, expect

from huddles import services
from medicines.models import Visit
from networks.models import Membership, Network
from tests.e2e.pages import log_in
from tests.factories import meeting_started

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def page_width(page: Page) -> int:
    page.wait_for_load_state("networkidle")
    return page.evaluate("() => document.scrollingElement.scrollWidth")


def test_meeting_mode_fits_a_phone_in_every_state(page: Page, demo):
    network = Network.objects.get(slug="thornton-heath")
    chair = Membership.objects.get(network=network, role="chair").user
    meeting = services.next_meeting(network)
    visited = meeting.items.exclude(status="removed").first()
    assert Visit.objects.filter(patient=visited.patient).exists(), "seed_demo: visits to show"
    high = Visit.objects.filter(patient__network=network, news2_score__gte=5).first()
    assert high is not None, "seed_demo: a visit with NEWS2 5 or more"
    news2 = services.agenda_add(
        meeting=meeting, patient=high.patient, by=chair, reason="NEWS2 " * 30
    )
    services.guest_add(
        meeting=meeting, by=chair, name="Patricia Lodge-Wetherington", role="Daughter"
    )
    meeting_started(meeting)

    page.set_viewport_size(PHONE)
    log_in(page, demo, "chair.thornton-heath")
    widths = {}

    page.goto(f"{demo}/meetings/{meeting.pk}/")
    widths["agenda"] = page_width(page)

    page.goto(f"{demo}/meetings/{meeting.pk}/run/{visited.pk}/")
    expect(page.get_by_role("heading", name="Visits")).to_be_visible()
    expect(page.get_by_role("heading", name="Interventions")).to_be_visible()
    widths["person with visits and care plan"] = page_width(page)

    page.get_by_text("Keyboard shortcuts").click()
    page.get_by_text(re.compile(r"^Who is here")).click()
    page.get_by_text(re.compile(r"^Guests who are not members")).click()
    expect(page.get_by_role("button", name="Save attendance")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Remove Patricia"))).to_be_visible()
    widths["attendance and guests"] = page_width(page)

    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_text("Say what needs doing.")).to_be_visible()
    widths["action refused"] = page_width(page)

    page.goto(f"{demo}/meetings/{meeting.pk}/run/{news2.pk}/")
    expect(page.get_by_text("5 or more: needs attention")).to_have_count(1)
    widths["person with NEWS2 7"] = page_width(page)

    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Reason for discharge").fill("Seen at home; settled " * 10)
    page.get_by_role("button", name="Record decision: discharge").click()
    expect(page.get_by_text(re.compile("is discharged from the huddle"))).to_be_visible()
    widths["decision recorded"] = page_width(page)

    page.goto(f"{demo}/meetings/{meeting.pk}/close/")
    widths["close"] = page_width(page)

    print(f"meeting mode at 375 px: {widths}")
    assert len(widths) == 7
    assert {name: width for name, width in widths.items() if width > 375} == {}
