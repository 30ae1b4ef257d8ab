"""Browser journey: a pharmacist sees the count of their work in the navigation, opens My
work, claims a task from the pharmacist queue and marks an overdue task done, inline (htmx),
at desktop and phone widths (headless Debian Chromium). Screenshots go to /tmp/shots/."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from actions.models import Action
from actions.selectors import my_work_count
from actions.services import action_create
from networks.models import Membership
from patients.models import Patient
from tests.e2e.pages import fits_the_screen, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def test_pharmacist_claims_from_the_queue_and_marks_an_overdue_task_done(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    SHOTS.mkdir(parents=True, exist_ok=True)

    membership = Membership.objects.select_related("user", "network").get(
        user__username="pharmacist.thornton-heath"
    )
    pharmacist, network = membership.user, membership.network
    chair = Membership.objects.get(network=network, role="chair").user
    people = list(Patient.objects.filter(network=network).order_by("id")[:2])
    today = timezone.localdate()
    overdue = action_create(
        patient=people[0],
        by=chair,
        title="Phone the practice about the warfarin dose",
        due_on=today - datetime.timedelta(days=2),
        assignee=pharmacist,
    )
    queued = action_create(
        patient=people[1],
        by=chair,
        title="Check the blister pack with the carer",
        due_on=today + datetime.timedelta(days=2),
        assignee_role="pharmacist",
    )
    count = my_work_count(pharmacist, network, today)
    assert count >= 2

    # The count is in the navigation on every page.
    page.set_viewport_size(DESKTOP)
    log_in(page, demo, "pharmacist.thornton-heath")
    expect(page).to_have_url(re.compile(r"/medicines/my-day/$"))  # pharmacy starts on My day
    nav_link = page.locator("#nav-my-work a")
    expect(nav_link).to_have_accessible_name(f"My work, {count} to do")
    expect(nav_link.locator(".nav-badge")).to_have_text(str(count))

    nav_link.click()
    expect(page).to_have_url(re.compile(r"/my-work/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("My work")
    expect(nav_link).to_have_attribute("aria-current", "page")
    overdue_row = page.locator(f"#task-{overdue.pk}")
    queued_row = page.locator(f"#task-{queued.pk}")
    expect(page.locator("#overdue")).to_contain_text(overdue.title)
    expect(overdue_row).to_contain_text("Overdue by 2 days")
    expect(page.locator("#queue")).to_contain_text(queued.title)
    expect(queued_row).to_contain_text("Pharmacist queue: not yet claimed")
    page.screenshot(path=str(SHOTS / "my-work-desktop.png"), full_page=True)

    # At a phone's width nothing runs off the side, and the buttons are still there.
    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    expect(queued_row.get_by_role("button", name=re.compile(r"^Claim"))).to_be_visible()
    page.screenshot(path=str(SHOTS / "my-work-375.png"), full_page=True)
    page.screenshot(path=str(SHOTS / "my-work-375-top.png"))

    # Claim from the queue: the row says it is yours now and offers Done.
    queued_row.get_by_role("button", name=f"Claim {queued.title} for {people[1].full_name}").click()
    expect(queued_row.get_by_role("status")).to_have_text("Claimed: this task is yours now.")
    expect(queued_row).to_contain_text("Yours, claimed from the pharmacist queue")
    expect(queued_row.get_by_role("button", name=re.compile(r"^Done"))).to_be_visible()
    queued.refresh_from_db()
    assert queued.assignee_id == pharmacist.pk and queued.claimed_from_role == "pharmacist"
    # Claimed and due later: it leaves the count.
    expect(nav_link.locator(".nav-badge")).to_have_text(str(count - 1))

    # Mark the overdue task done, inline.
    done_name = re.compile(rf"^Done\W+{re.escape(overdue.title)} for {people[0].full_name}$")
    overdue_row.get_by_role("button", name=done_name).click()
    expect(overdue_row.get_by_role("status")).to_contain_text(f"Done: {overdue.title}")
    overdue.refresh_from_db()
    assert overdue.status == Action.Status.DONE and overdue.done_by_id == pharmacist.pk
    remaining = count - 2
    if remaining:
        expect(nav_link.locator(".nav-badge")).to_have_text(str(remaining))
    else:
        expect(nav_link.locator(".nav-badge")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "my-work-375-after.png"), full_page=True)
    page.screenshot(path=str(SHOTS / "my-work-375-after-top.png"))
    page.locator("#away").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "my-work-375-away.png"))

    # After a reload the done task is gone and the claimed one is in Coming up.
    page.set_viewport_size(DESKTOP)
    page.reload()
    expect(page.locator(f"#task-{overdue.pk}")).to_have_count(0)
    expect(page.locator("#coming-up")).to_contain_text(queued.title)
    page.screenshot(path=str(SHOTS / "my-work-desktop-after.png"), full_page=True)
    assert errors == []
