"""Browser journey: the chair agrees a care plan in meeting mode, in place, with an
intervention owned by the pharmacist; the pharmacist logs in and finds it on My work
(headless Debian Chromium)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from actions.models import Action
from careplans.models import CarePlan
from huddles import services
from networks.models import Membership, Network
from patients.models import Patient
from tests.e2e.dates import fill_date
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_care_plan_agreed_in_the_meeting_lands_on_the_owners_my_work(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    network = Network.objects.get(slug="thornton-heath")
    chair = Membership.objects.get(network=network, role="chair").user
    pharmacist = Membership.objects.get(network=network, role="pharmacist").user
    person = (
        Patient.objects.filter(network=network, care_plan__isnull=True)
        .exclude(consent_mdt="refused")  # no agenda for one who refused (issue 17)
        .order_by("id")
        .first()
    )
    meeting = services.next_meeting(network)
    item = services.agenda_add(meeting=meeting, patient=person, by=chair, reason="Falls")
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    review = (timezone.localdate() + datetime.timedelta(days=28)).isoformat()
    title = "Review night-time medicines after the falls"

    log_in(page, demo, "chair.thornton-heath")
    page.goto(f"{demo}/meetings/{meeting.pk}/run/{item.pk}/")
    expect(page.locator("#person-name")).to_have_text(person.full_name)
    card = page.locator("#care-plan")
    expect(card).to_contain_text("No care plan agreed yet.")  # loaded in place by htmx
    card.get_by_text("Agree a care plan").click()
    card.get_by_label("Need 1: domain").select_option(label="Medicines")
    card.get_by_label("Need 1", exact=True).fill("Sedation at night; two falls")
    card.get_by_label("Intervention 1", exact=True).fill(title)
    card.get_by_label("Intervention 1: owner").select_option(
        label=f"{pharmacist.get_full_name()}, Pharmacist"
    )
    fill_date(card, "Intervention 1: due", due)
    fill_date(card, "Review the plan on", review)
    card.get_by_role("button", name="Agree the care plan").click()

    # Back to the same person in the meeting, the plan agreed.
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/run/{item.pk}/$"))
    expect(page.locator("#messages")).to_contain_text("Care plan saved: version 1")
    expect(page.locator("#care-plan")).to_contain_text("Version 1")
    expect(page.locator("#care-plan")).to_contain_text(title)
    plan = CarePlan.objects.get(patient=person)
    assert plan.version == 1 and plan.updated_by == chair
    (task,) = Action.objects.filter(patient=person, source="care_plan")
    assert task.assignee == pharmacist and task.title == title

    # The pharmacist finds it on My work.
    page.context.clear_cookies()
    log_in(page, demo, "pharmacist.thornton-heath")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("My work")
    ).click()
    expect(page.locator(f"#task-{task.pk}")).to_contain_text(title)
    expect(page.locator(f"#task-{task.pk}")).to_contain_text(person.full_name)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
