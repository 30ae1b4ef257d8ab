"""Browser journey (issue 15.1): the PIC in Croydon's huddle. The facilitator runs a huddle
of three people; the Age UK personal independence coordinator, on the care team of one of
them, follows the meeting and sees only that person, without the clinical discussion, and
adds a social note; after the facilitator closes the meeting, the PIC reads that person's
minutes, with the social note and without the clinical notes (headless Debian Chromium)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from huddles import services
from huddles.models import AgendaItem, Meeting
from networks.models import Membership, Network
from patients.models import CareTeamMember, Patient
from patients.services import care_team_add
from referrals.models import Referral
from tests.e2e.dates import fill_date
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLINICAL = "Chest clear; stop the amoxicillin"
SOCIAL = "Lonely since her sister moved; keen on the Thursday lunch club"


def a_huddle_with_one_of_the_pics_people():
    """An extra huddle (held now) with three people: the middle one on the PIC's care team,
    the others people the PIC does not support. Returns the meeting and the three items."""
    network = Network.objects.get(slug="thornton-heath")
    chair = Membership.objects.get(network=network, role="chair").user
    pic = Membership.objects.get(network=network, role="pic")
    supported = set(
        CareTeamMember.objects.filter(membership=pic).values_list("patient_id", flat=True)
    ) | set(
        Referral.objects.filter(network=network, service="pic")
        .exclude(status__in=["declined", "withdrawn"])
        .values_list("patient_id", flat=True)
    )
    people = list(
        Patient.objects.filter(network=network)
        .exclude(pk__in=supported)
        .exclude(consent_mdt="refused")  # no agenda for one who refused (issue 17)
        .order_by("id")[:3]
    )
    assert len(people) == 3, "seed_demo left too few people the PIC does not support"
    care_team_add(patient=people[1], membership=pic, by=chair, involvement="Befriending")
    meeting = services.meeting_add(
        network=network,
        starts_at=timezone.now() + datetime.timedelta(hours=3),
        reason="Extra huddle",
        by=chair,
    )
    items = [
        services.agenda_add(meeting=meeting, patient=person, by=chair, reason="Two falls")
        for person in people
    ]
    # Held now: started a few minutes ago (a meeting closes once it has taken place).
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    return meeting, items


def test_the_pic_follows_the_huddle_and_reads_their_persons_minutes(
    page: Page, browser: Browser, demo
):
    meeting, (before, ours, after) = a_huddle_with_one_of_the_pics_people()
    run_ours = f"{demo}/meetings/{meeting.pk}/run/{ours.pk}/"

    # The facilitator starts and records the clinical discussion of the PIC's person.
    log_in(page, demo, "chair.thornton-heath")
    page.goto(run_ours)
    expect(page.locator("#person-name")).to_have_text(ours.patient.full_name)
    page.get_by_label("Discussion notes").fill(CLINICAL)
    expect(page.locator("#notes-state")).to_contain_text("Saved")

    # The PIC follows the huddle: only their person, no clinical discussion.
    pic_context = browser.new_context()
    pic = pic_context.new_page()
    log_in(pic, demo, "pic.thornton-heath")
    pic.get_by_role("navigation", name="Main").get_by_role("link", name="Huddles").click()
    pic.locator(f"#meeting-{meeting.pk} a").first.click()
    agenda = pic.get_by_role("list", name="Agenda").get_by_role("listitem")
    expect(agenda).to_have_count(1)
    expect(agenda).to_contain_text(ours.patient.full_name)
    expect(pic.get_by_text(before.patient.full_name)).to_have_count(0)
    pic.get_by_role("link", name="Follow the huddle").click()
    expect(pic).to_have_url(re.compile(rf"/meetings/{meeting.pk}/run/{ours.pk}/$"))
    expect(pic.locator("#person-name")).to_have_text(ours.patient.full_name)
    expect(pic.get_by_text(CLINICAL)).to_have_count(0)
    expect(pic.get_by_role("button", name=re.compile("Close the"))).to_have_count(0)
    pic.get_by_role("textbox", name="Social notes").fill(SOCIAL)
    pic.get_by_role("button", name="Save social notes").click()
    expect(pic.locator("#social")).to_contain_text("Social notes saved.")

    # The facilitator sees the social note, decides, and closes the huddle.
    page.goto(run_ours)
    expect(page.get_by_role("textbox", name="Social notes")).to_have_value(SOCIAL)
    review = timezone.localdate() + datetime.timedelta(days=14)
    fill_date(page, "Next review", review)
    page.get_by_role("button", name="Record decision: continue").click()
    expect(page.locator("#record")).to_contain_text(f"{ours.patient.full_name} continues")
    page.get_by_role("link", name="Close the huddle").click()  # the confirmation first
    page.get_by_role("button", name="Close the huddle").click()
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/minutes/$"))
    assert Meeting.objects.get(pk=meeting.pk).status == "closed"

    # The PIC reads the minutes of their person: the social note, not the clinical notes.
    pic.goto(f"{demo}/meetings/{meeting.pk}/")
    pic.get_by_role("link", name="Minutes").click()
    expect(pic.get_by_role("heading", level=1)).to_contain_text("Minutes")
    minutes = pic.locator("main")
    expect(minutes).to_contain_text(ours.patient.full_name)
    expect(minutes).to_contain_text(SOCIAL)
    expect(minutes).not_to_contain_text(CLINICAL)
    expect(minutes).not_to_contain_text(before.patient.full_name)
    expect(minutes).not_to_contain_text(after.patient.full_name)
    pic_context.close()

    saved = AgendaItem.objects.get(pk=ours.pk)
    assert saved.social_notes == SOCIAL and saved.notes == CLINICAL
