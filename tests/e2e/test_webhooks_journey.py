"""The chair's webhooks page in the browser: a webhook added by keyboard-reachable labels, its
secret shown once, the delivery log, the error state; axe (WCAG 2.2 AA) and the phone width
over each state (the page also runs in the whole-site tour of test_accessibility.py)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import Findings, open_context, session_of
from tests.webhooks.receiver import Receiver
from webhooks.models import Delivery, Subscription
from webhooks.services import delivery_send, event_record

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_the_chair_adds_a_webhook_and_reads_the_log(
    browser, live_server, member, network, receiver
):
    context = open_context(browser, live_server.url, session_of(member("chair")))
    page = context.new_page()
    findings = Findings()

    page.goto("/referrals/services/")
    page.get_by_role("link", name="Webhooks").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Webhooks")

    page.get_by_role("button", name="Add the webhook").click()  # nothing chosen
    expect(page.get_by_role("alert")).to_contain_text("nothing has been saved")
    findings.both_widths(page, "webhooks with errors", "chair")

    page.get_by_label("Address to send to").fill(receiver.url + "/" + "a-long-path" * 8)
    page.get_by_label("A referral was accepted").check()
    page.get_by_label("A task was done").check()
    page.get_by_role("button", name="Add the webhook").click()
    subscription = Subscription.objects.get()
    expect(page.locator("#secret")).to_contain_text(subscription.secret)
    assert subscription.events == ["referral.accepted", "task.done"]
    findings.both_widths(page, "webhooks with the secret", "chair")

    event_record(network_id=network.pk, type="task.done", data={"task": "Task/1"})
    delivery_send(delivery_id=Delivery.objects.get().pk)
    page.goto("/webhooks/")
    expect(page.locator("#secret")).to_have_count(0)
    row = page.locator("#deliveries tbody tr").first
    expect(row).to_contain_text("task.done")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("HTTP 200")
    findings.both_widths(page, "webhooks with the log", "chair")

    page.get_by_role("button", name=f"Remove the webhook to {subscription.url}").click()
    expect(page.locator("#subscriptions")).to_have_count(0)
    context.close()
    assert not findings.problems, findings.report()
