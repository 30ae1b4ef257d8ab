"""Browser journey (issue #14.5): a pharmacist adds a task about a person from their page,
is refused an identical one with a link to it, follows the link, reassigns the task to a
named colleague, and another task is marked done with a note (headless Debian Chromium)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from actions.models import Action
from networks.models import Membership
from patients.models import Patient
from tests.e2e.dates import fill_date
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pharmacist_adds_reassigns_and_completes_tasks(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    membership = Membership.objects.select_related("network", "user").get(
        user__username="pharmacist.thornton-heath"
    )
    network = membership.network
    social_worker = Membership.objects.get(network=network, role="social_worker").user
    person = Patient.objects.filter(network=network).order_by("id").first()
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    title = "Ask the carer about missed evening doses"

    log_in(page, demo, "pharmacist.thornton-heath")
    page.goto(f"{demo}/patients/{person.pk}/")
    page.get_by_role("link", name=f"Add a task about {person.full_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a task")

    def fill_and_submit() -> None:
        page.get_by_label("Task", exact=True).fill(title)
        fill_date(page, "Due", due)
        page.get_by_label("For", exact=True).select_option(label="Pharmacist queue")
        page.get_by_role("button", name="Add the task").click()

    fill_and_submit()
    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#tasks$"))
    expect(page.locator("#tasks")).to_contain_text(title)
    task = Action.objects.get(patient=person, title=title)

    # The same again: refused, with a link to the open task.
    page.goto(f"{demo}/my-work/tasks/new/?patient={person.pk}")
    fill_and_submit()
    expect(page.get_by_role("alert")).to_contain_text("An identical open task")
    page.locator("#task-title_error").get_by_role("link", name="See the open task").click()
    expect(page).to_have_url(re.compile(rf"/my-work/tasks/{task.pk}/$"))

    # Reassign it to the social worker by name.
    page.get_by_role("link", name="Change or reassign the task").click()
    name = social_worker.get_full_name() or social_worker.get_username()
    page.get_by_label("For", exact=True).select_option(label=f"{name}, Social worker")
    page.get_by_role("button", name="Save the task").click()
    expect(page.locator("main")).to_contain_text(name)
    task.refresh_from_db()
    assert task.assignee_id == social_worker.pk

    # Another task, the pharmacist's own: done with a note from its page.
    page.goto(f"{demo}/my-work/tasks/new/?patient={person.pk}")
    page.get_by_label("Task", exact=True).fill("Drop off the new blister pack")
    fill_date(page, "Due", due)
    me = membership.user.get_full_name() or membership.user.get_username()
    page.get_by_label("For", exact=True).select_option(label=f"{me}, Pharmacist")
    page.get_by_role("button", name="Add the task").click()
    own = Action.objects.get(patient=person, title="Drop off the new blister pack")
    page.goto(f"{demo}/my-work/tasks/{own.pk}/")
    page.get_by_label("What was done").fill("Delivered; carer shown the new pack.")
    page.get_by_role("button", name="Done").click()
    own.refresh_from_db()
    assert (own.status, own.done_note) == ("done", "Delivered; carer shown the new pack.")
    # The refused duplicate is a 409 page, which the browser logs; nothing else.
    assert [e for e in errors if "status of 409" not in e] == []
