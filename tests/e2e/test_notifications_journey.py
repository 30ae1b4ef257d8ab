"""Browser journey: a member with unread notifications sees the count on the bell; a new
notification made on the server reaches the bell without a reload (and is announced); the
bell opens the notifications page, and opening one marks it read. At phone and desktop
widths (headless Debian Chromium). Screenshots go to /tmp/shots/."""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from notifications.models import Notification
from notifications.services import notification_send
from tests.e2e.pages import log_in
from tests.factories import PatientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
PASSWORD = "a-good-long-password"  # tests.factories.UserFactory


def log_in_user(page: Page, base: str, username: str) -> None:
    log_in(page, base, username, PASSWORD)


@pytest.fixture
def world(live_server, member, network, other_network, settings):
    settings.ICN_BELL_POLL_SECONDS = 1
    pharmacist = member("pharmacist")
    member("pharmacist", net=other_network, username=pharmacist.username)  # the switcher too
    pharmacist.first_name, pharmacist.last_name = "Priya", "Shah"
    pharmacist.save()
    away = member("gp")
    away.first_name, away.last_name = "Gareth", "Evans"
    away.save()
    edith = PatientFactory(network=network, given_name="Edith", family_name="Okafor")
    notification_send(
        recipient=pharmacist,
        kind="referral_untriaged",
        title="A referral for Edith Okafor is waiting for triage",
        body="Medicines optimisation, urgent: waiting 2 working days.",
        url=f"/patients/{edith.pk}/",
        subject_type="referral",
        subject_id=1,
        network=network,
    )
    Notification.objects.create(
        recipient=pharmacist,
        key="cover-demo",
        kind="action_assigned",
        title="Covering for Gareth Evans: Review Edith Okafor's medicines before the huddle",
        covering_for=away,
        network=network,
        url=f"/patients/{edith.pk}/",
    )
    Notification.objects.create(
        recipient=pharmacist,
        key="read-demo",
        kind="meeting_minutes",
        title="The minutes of Tuesday's huddle are ready",
        network=network,
        url="/huddles/",
        read_at=timezone.now(),
    )
    return {"base": live_server.url, "pharmacist": pharmacist, "edith": edith, "net": network}


def test_bell_counts_updates_without_reload_and_opens_a_notification(page: Page, world):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    base, pharmacist, edith = world["base"], world["pharmacist"], world["edith"]

    page.set_viewport_size(DESKTOP)
    log_in_user(page, base, pharmacist.username)
    bell = page.get_by_role("link", name="Notifications, 2 unread")
    expect(bell).to_be_visible()
    expect(page.locator(".bell__badge")).to_have_text("2")

    # Something happens on the server; the bell shows it without a reload, and a screen
    # reader hears it.
    page.evaluate("window.icnNoReload = true")
    notification_send(
        recipient=pharmacist,
        kind="action_assigned",
        title="Call Edith Okafor about her dosette box",
        url=f"/patients/{edith.pk}/",
        subject_type="action",
        subject_id=7,
        network=world["net"],
    )
    expect(page.get_by_role("link", name="Notifications, 3 unread")).to_be_visible(timeout=10_000)
    expect(page.locator(".bell__badge")).to_have_text("3")
    expect(page.locator("#notification-bell-status")).to_have_text("New notification. 3 unread.")
    assert page.evaluate("window.icnNoReload") is True
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "notifications-bell-desktop.png"))

    # The bell opens the page: newest first, unread marked, the deputy's copy says so.
    page.get_by_role("link", name=re.compile(r"^Notifications, \d+ unread$")).click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Notifications")
    items = page.locator(".notification")
    expect(items).to_have_count(4)
    expect(items.first).to_contain_text("Call Edith Okafor about her dosette box")
    expect(page.locator(".notification--unread")).to_have_count(3)
    expect(page.get_by_text("Covering for Gareth Evans", exact=True)).to_be_visible()
    page.screenshot(path=str(SHOTS / "notifications-desktop.png"), full_page=True)

    # Opening one goes to what it is about and marks it read.
    page.get_by_role(
        "button", name="A referral for Edith Okafor is waiting for triage", exact=True
    ).click()
    expect(page).to_have_url(re.compile(rf"/patients/{edith.pk}/$"))
    expect(page.get_by_role("link", name="Notifications, 2 unread")).to_be_visible()
    opened = Notification.objects.get(recipient=pharmacist, kind="referral_untriaged")
    assert opened.read_at is not None

    # On a phone: mark one read in place (htmx), then the rest at once.
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/notifications/")
    page.screenshot(path=str(SHOTS / "notifications-375.png"), full_page=True)
    page.get_by_role("button", name=re.compile(r"^Mark as read\s*: Call Edith Okafor")).click()
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    expect(page.locator(".notification--unread")).to_have_count(1)
    expect(page.locator("#notifications-unread-count")).to_have_text("1")
    page.screenshot(path=str(SHOTS / "notifications-375-header.png"))
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("1 notification marked as read.")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(page.locator(".notification--unread")).to_have_count(0)

    # How we e-mail you.
    page.get_by_role("link", name="Choose how we e-mail you").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How we e-mail you")
    page.get_by_label("Straight away").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your e-mail choice is saved.")).to_be_visible()
    expect(page.get_by_label("Straight away")).to_be_checked()
    page.screenshot(path=str(SHOTS / "notifications-settings-375.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SHOTS / "notifications-settings-desktop.png"), full_page=True)

    assert errors == []
