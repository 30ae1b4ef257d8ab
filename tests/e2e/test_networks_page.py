"""Networks side by side in a browser: a commissioner of three networks opens the page with
figures in it (tests/reports/compare_world.py), sees a funnel plot per metric with a dot per
network and the outliers named, chooses a service for the monthly trend, and every state
passes axe (WCAG 2.2 AA) at desktop and phone widths without scrolling sideways. Screenshots
go to /tmp/shots (headless Debian Chromium)."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_accessibility import Findings, open_context, session_of
from tests.factories import MembershipFactory, UserFactory
from tests.reports.compare_world import build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")


def test_a_commissioner_compares_networks(browser: Browser, live_server, network, other_network):
    world = build(network, other_network)
    user = UserFactory(first_name="Cara", last_name="Commissioner")
    for key in "abc":
        MembershipFactory(user=user, network=world[key], role="commissioner")
    context = open_context(browser, live_server.url, session_of(user))
    page = context.new_page()
    findings = Findings()
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/reports/networks/?from=2026-06&to=2026-08")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Networks side by side")
    expect(
        page.get_by_role("img", name="Funnel plot: Referrals, per 1,000 population")
    ).to_be_visible()
    assert page.locator("svg.funnel__svg").count() == 7  # six funnels and the trend
    expect(
        page.get_by_role("link", name="Purbeck: referrals per 1,000 population higher")
    ).to_be_visible()
    page.screenshot(path=str(SHOTS / "networks-1280.png"), full_page=True)
    findings.both_widths(page, "networks side by side", "commissioner")
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path=str(SHOTS / "networks-375.png"), full_page=True)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_label("Service", exact=True).select_option(label="GP")
    page.get_by_role("button", name="Show the trend").click()
    expect(
        page.get_by_role("img", name="Referrals per 1,000 population per month: GP")
    ).to_be_visible()
    findings.both_widths(page, "networks side by side, one service", "commissioner")

    page.goto(f"{live_server.url}/reports/networks/?from=June")
    expect(page.get_by_role("alert")).to_contain_text("Give a month as YYYY-MM")
    findings.both_widths(page, "networks side by side with an error", "commissioner")
    context.close()
    assert not findings.problems, findings.report()
