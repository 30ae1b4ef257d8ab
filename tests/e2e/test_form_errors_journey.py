"""Browser journey under DEBUG, as `make run` serves: a form error answered to htmx stays in
place. django-htmx's debug script replaces the whole document with any htmx response of
status 400, 403, 404 or 500; pages answer form errors with 422, which it leaves alone, so
the error shows beside the field and the header, the page and its URL stay (headless
Debian Chromium)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from huddles import services
from huddles.models import AgendaItem, Episode
from networks.models import Membership, Network
from patients.models import Patient
from referrals.models import Referral
from referrals.services import referral_accept, referral_create
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fill_date(scope: Page | Locator, label: str, day: datetime.date) -> None:
    """A date field, whether a browser date input or the NHS three-field date input."""
    group = scope.get_by_role("group", name=label)
    if group.count():
        group.get_by_label("Day").fill(str(day.day))
        group.get_by_label("Month").fill(str(day.month))
        group.get_by_label("Year").fill(str(day.year))
    else:
        scope.get_by_label(label, exact=True).fill(day.isoformat())


def free_people(network: Network, count: int) -> list[Patient]:
    """People with no open MDT referral and no open episode, so each can be referred."""
    busy = set(
        Referral.objects.filter(service="mdt", status__in=Referral.OPEN).values_list(
            "patient_id", flat=True
        )
    ) | set(Episode.objects.filter(closed_at__isnull=True).values_list("patient_id", flat=True))
    people = list(
        Patient.objects.filter(network=network)
        .exclude(pk__in=busy)
        .exclude(consent_mdt="refused")  # no agenda for one who refused (issue 17)
        .order_by("id")[:count]
    )
    assert len(people) == count, "seed_demo left too few people free to refer to the MDT"
    return people


def expect_page_kept(page: Page, url: str, heading: str) -> None:
    """The page around the form is still there: the header, the heading, the same address."""
    expect(page.get_by_role("banner")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page).to_have_url(url)


def test_form_errors_stay_in_place_under_debug(page: Page, demo, settings):
    settings.DEBUG = True  # the pages render django-htmx's debug script, as under `make run`
    network = Network.objects.get(slug="thornton-heath")
    chair = Membership.objects.get(network=network, role="chair").user
    gp = Membership.objects.get(network=network, role="gp").user
    on_agenda, to_decline = free_people(network, 2)
    referral_accept(
        referral=referral_create(
            patient=on_agenda, service="mdt", reason="Two falls this month", by=gp
        ).referral,
        by=chair,
    )
    meeting = services.next_meeting(network)
    services.agenda_build(meeting=meeting)
    item = AgendaItem.objects.get(meeting=meeting, patient=on_agenda)
    referral_create(patient=to_decline, service="mdt", reason="Lives alone, confused", by=gp)

    log_in(page, demo, "chair.thornton-heath")
    run_url = f"{demo}/meetings/{meeting.pk}/run/{item.pk}/"
    page.goto(run_url)
    debug_script = page.locator("script[data-debug='True']")
    expect(debug_script).to_have_count(1)  # otherwise this journey proves nothing

    # A discharge without the admission-avoided answer.
    page.get_by_label("Reason for discharge").fill("Falls clinic seen; key safe fitted")
    page.get_by_role("button", name="Record decision: discharge").click()
    expect(page.get_by_text("Answer yes, no or unsure")).to_be_visible()
    expect_page_kept(page, run_url, "Huddle")
    expect(page.get_by_role("heading", name=on_agenda.full_name, exact=True)).to_be_visible()
    expect(page.get_by_label("Discussion notes")).to_be_visible()

    # A review date before the meeting itself.
    meeting_day = timezone.localdate(meeting.starts_at)
    fill_date(page, "Next review", meeting_day - datetime.timedelta(days=1))
    page.get_by_role("button", name="Record decision: continue").click()
    expect(page.get_by_text("The next review cannot be before this meeting.")).to_be_visible()
    expect_page_kept(page, run_url, "Huddle")
    item.refresh_from_db()
    assert item.decision == "" and item.next_review_on is None

    # Declining a referral without a reason.
    inbox_url = f"{demo}/referrals/inbox/mdt/"
    page.goto(inbox_url)
    expect(debug_script).to_have_count(1)
    decline = f"Decline the referral for {to_decline.full_name}"
    page.locator("summary", has_text=to_decline.full_name).click()
    page.get_by_role("button", name=decline, exact=True).click()
    expect(page.get_by_text("Choose why you are declining.")).to_be_visible()
    expect_page_kept(page, inbox_url, "Referrals")
    expect(page.get_by_role("button", name=decline, exact=True)).to_be_visible()
    assert Referral.objects.get(patient=to_decline, service="mdt").status == "new"
