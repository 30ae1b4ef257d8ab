"""Browser journeys for the roles of issue #15.2: the Thornton Heath facilitator records a
care home manager as a guest at the huddle (meeting mode, htmx) and the minutes name her;
Heathfield Lodge's care home staff see only their residents, and nothing clinical."""

import re

import pytest
from playwright.sync_api import Page, expect

from huddles import services
from huddles.models import Guest
from networks.models import Membership, Network
from patients.models import Patient
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_facilitator_records_a_guest_and_the_minutes_name_her(page: Page, demo):
    network = Network.objects.get(slug="thornton-heath")
    meeting = services.next_meeting(network)

    log_in(page, demo, "chair.thornton-heath")
    page.goto(f"{demo}/meetings/{meeting.pk}/run/")
    page.get_by_text("Guests who are not members (0)").click()
    page.get_by_label("Guest's name").fill("Pat Lodge")
    page.locator("#guest-role").fill("Registered manager")
    page.locator("#guest-organisation").fill("Heathfield Lodge Care Home")
    page.get_by_role("button", name="Add guest").click()
    expect(page.locator("#attendance")).to_contain_text("Added Pat Lodge.")
    expect(page.locator("#attendance")).to_contain_text(
        "Pat Lodge, Registered manager (Heathfield Lodge Care Home)"
    )
    # A name left empty: a clear error, nothing saved.
    page.get_by_role("button", name="Add guest").click()
    expect(page.locator("#attendance")).to_contain_text("Give the guest's name.")
    assert list(Guest.objects.filter(meeting=meeting).values_list("name", flat=True)) == [
        "Pat Lodge"
    ]

    page.goto(f"{demo}/meetings/{meeting.pk}/minutes/")
    expect(page.locator(".minutes__facts")).to_contain_text(
        "Pat Lodge, Registered manager (Heathfield Lodge Care Home)"
    )


def test_care_home_staff_see_only_their_residents(page: Page, demo):
    carer = Membership.objects.get(user__username="care_home_staff.thornton-heath")
    residents = Patient.objects.filter(network=carer.network, care_home=carer.care_home)
    others = Patient.objects.filter(network=carer.network).exclude(care_home=carer.care_home)
    assert residents.exists() and others.exists()

    log_in(page, demo, "care_home_staff.thornton-heath")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Huddles")).to_have_count(0)
    nav.get_by_role("link", name="People").click()
    table = page.locator("main")
    for person in residents:
        expect(table).to_contain_text(person.nhs_number_display)
    for person in others:
        expect(table).not_to_contain_text(person.nhs_number_display)
    resident = residents.first()
    page.goto(f"{demo}/patients/{resident.pk}/")
    expect(page.locator("main")).to_contain_text(resident.nhs_number_display)
    expect(page.locator("main")).not_to_contain_text("Clinical notes")
    other = others.first()
    response = page.goto(f"{demo}/patients/{other.pk}/")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text(re.compile("cannot see this page", re.I))
