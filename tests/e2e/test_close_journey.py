"""Browser journey (issue #15.4, #15.5): the Thornton Heath facilitator closes a huddle that
has started: the confirmation page says who is carried forward and who gets the minutes,
Close ends it, and the minutes open as a PDF (headless Debian Chromium)."""

import re

import pytest
from playwright.sync_api import Page, expect

from huddles import services
from huddles.models import AgendaItem, Meeting
from networks.models import Membership, Network
from patients.models import Patient
from tests.e2e.pages import log_in
from tests.factories import meeting_started

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_facilitator_confirms_the_close_and_opens_the_minutes_pdf(page: Page, demo):
    network = Network.objects.get(slug="thornton-heath")
    chair = Membership.objects.get(network=network, role="chair").user
    gp = Membership.objects.get(network=network, role="gp").user
    meeting = services.next_meeting(network)
    people = list(
        Patient.objects.filter(network=network)
        .exclude(pk__in=meeting.items.values("patient_id"))
        .exclude(consent_mdt="refused")  # no agenda for one who refused (issue 17)
        .order_by("id")[:2]
    )
    discussed, waiting = (
        services.agenda_add(meeting=meeting, patient=person, by=chair, reason="Falls")
        for person in people
    )
    services.item_update(item=discussed, by=chair, notes="Seen by the GP.", decision="continue")
    services.attendance_set(meeting=meeting, user=gp, present=True, by=chair)

    log_in(page, demo, "chair.thornton-heath")
    # Not started yet: no Close on offer.
    page.goto(f"{demo}/meetings/{meeting.pk}/run/{waiting.pk}/")
    expect(page.get_by_text("Close is offered once the huddle has started")).to_be_visible()
    expect(page.get_by_role("link", name="Close the huddle")).to_have_count(0)

    meeting_started(meeting)
    page.reload()
    page.get_by_role("link", name="Close the huddle").click()
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/close/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Close the huddle?")
    carried = page.locator("section", has=page.get_by_role("heading", name=re.compile("Carried")))
    expect(carried).to_contain_text(waiting.patient.full_name)
    minutes = page.locator("section", has=page.get_by_role("heading", name="Who gets the minutes"))
    expect(minutes).to_contain_text(gp.get_full_name())
    expect(minutes).to_contain_text("present")
    page.get_by_role("button", name="Close the huddle").click()

    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/minutes/$"))
    expect(page.get_by_text("The huddle is closed.")).to_be_visible()
    assert Meeting.objects.get(pk=meeting.pk).status == "closed"
    assert AgendaItem.objects.get(pk=waiting.pk).status == "not_reached"
    link = page.get_by_role("link", name=re.compile("Minutes as PDF"))
    pdf = page.request.get(f"{demo}{link.get_attribute('href')}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
