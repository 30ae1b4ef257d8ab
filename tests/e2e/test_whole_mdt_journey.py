"""Browser journey (issue 15, "done when"): the whole MDT at the huddle. Croydon's huddle with
the PIC and a guest present: the PIC reads their person's minutes, which name the guest, and
the minutes open as a PDF. Dorset's virtual ward with the hospital consultant present: the
consultant reads the minutes that name them. (Headless Debian Chromium.)"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from huddles import services
from huddles.models import Guest, Meeting
from networks.models import Membership, Network
from patients.models import Patient
from tests.e2e.pages import log_in
from tests.e2e.test_pic_huddle_journey import a_huddle_with_one_of_the_pics_people

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def held_now(meeting: Meeting) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - datetime.timedelta(minutes=5)
    )


def mark_present(page: Page, user_id: int) -> None:
    page.get_by_text(re.compile(r"Who is here \(")).click()
    page.locator(f"#present-{user_id}").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.locator("#attendance")).to_contain_text("1 present")


def close(page: Page, meeting: Meeting, demo: str) -> None:
    page.goto(f"{demo}/meetings/{meeting.pk}/close/")
    page.get_by_role("button", name=re.compile("^Close the")).click()
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/minutes/$"))
    assert Meeting.objects.get(pk=meeting.pk).status == "closed"


def test_croydon_with_the_pic_and_a_guest_and_dorset_with_a_consultant(
    page: Page, browser: Browser, demo
):
    # Croydon: the facilitator marks the PIC present and records a guest.
    meeting, (_, ours, _) = a_huddle_with_one_of_the_pics_people()
    pic_user = Membership.objects.get(network__slug="thornton-heath", role="pic").user
    log_in(page, demo, "chair.thornton-heath")
    page.goto(f"{demo}/meetings/{meeting.pk}/run/{ours.pk}/")
    mark_present(page, pic_user.pk)
    page.get_by_text(re.compile(r"Guests who are not members")).click()
    page.get_by_label("Guest's name").fill("Pat Lodge")
    page.locator("#guest-role").fill("Daughter")
    page.get_by_role("button", name="Add guest").click()
    expect(page.locator("#attendance")).to_contain_text("Added Pat Lodge.")
    assert Guest.objects.filter(meeting=meeting, name="Pat Lodge").exists()
    close(page, meeting, demo)

    # The PIC reads their person's minutes, with who was there, and opens the PDF.
    pic_context = browser.new_context()
    pic = pic_context.new_page()
    log_in(pic, demo, "pic.thornton-heath")
    pic.goto(f"{demo}/meetings/{meeting.pk}/minutes/")
    minutes = pic.locator("main")
    expect(minutes).to_contain_text(ours.patient.full_name)
    expect(minutes).to_contain_text("Pat Lodge")
    expect(minutes).to_contain_text(pic_user.get_full_name())
    link = pic.get_by_role("link", name=re.compile("Minutes as PDF"))
    pdf = pic.request.get(f"{demo}{link.get_attribute('href')}")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    pic_context.close()

    # Dorset: the coordinator runs the virtual ward with the hospital consultant present.
    purbeck = Network.objects.get(slug="purbeck")
    coordinator = Membership.objects.get(network=purbeck, role="chair").user
    consultant = Membership.objects.get(network=purbeck, role="hospital_consultant").user
    ward = services.meeting_add(
        network=purbeck,
        starts_at=timezone.now() + datetime.timedelta(hours=2),
        reason="Extra virtual ward",
        by=coordinator,
    )
    person = Patient.objects.filter(network=purbeck).first()
    item = services.agenda_add(meeting=ward, patient=person, by=coordinator, reason="Falls")
    held_now(ward)
    dorset_context = browser.new_context()
    chair = dorset_context.new_page()
    log_in(chair, demo, "chair.purbeck")
    chair.goto(f"{demo}/meetings/{ward.pk}/run/{item.pk}/")
    mark_present(chair, consultant.pk)
    close(chair, ward, demo)
    dorset_context.close()

    consultant_context = browser.new_context()
    reader = consultant_context.new_page()
    log_in(reader, demo, "hospital_consultant.purbeck")
    reader.goto(f"{demo}/meetings/{ward.pk}/minutes/")
    expect(reader.locator("main")).to_contain_text(person.full_name)
    expect(reader.locator("main")).to_contain_text(consultant.get_full_name())
    consultant_context.close()
