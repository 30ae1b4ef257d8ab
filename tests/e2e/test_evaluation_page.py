"""The evaluation page (/reports/evaluation/) in Chromium with its figures filled in (the access
matrix's world has none): axe (WCAG 2.2 AA) at desktop and phone widths, no sideways scroll,
and the page as a commissioner reads it; then the page with a period put wrong."""

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_accessibility import Findings, open_context, session_of
from tests.reports.test_evaluation import build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_evaluation_page_passes_axe_with_its_figures(
    browser: Browser, live_server, network, other_network, member, tmp_path
):
    build(network, other_network, member("chair"))
    commissioner = member("commissioner")
    context = open_context(browser, live_server.url, session_of(commissioner))
    page = context.new_page()
    findings = Findings()

    page.goto(f"/reports/evaluation/?network={network.slug}&from=2026-01&to=2026-06")
    expect(page.get_by_role("heading", name="Before and after, the same people")).to_be_visible()
    expect(page.get_by_text(re.compile("regression to the mean"))).to_be_visible()
    table = page.get_by_role("table", name=re.compile("equal windows"))
    # Followed to the real today (after July 2026), P3 is followed long enough too: 4 people.
    row = table.get_by_role("row", name=re.compile("People counted"))
    expect(row.get_by_role("cell")).to_have_text("4")
    page.screenshot(path=tmp_path / "evaluation-desktop.png", full_page=True)
    findings.both_widths(page, "evaluation with figures", "commissioner")
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path=tmp_path / "evaluation-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label("First month").fill("2026-06")
    page.get_by_label("Last month").fill("2026-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_contain_text("The last month cannot be before the first.")
    findings.both_widths(page, "evaluation with a period put wrong", "commissioner")
    context.close()
    assert findings.checked == 4
    assert not findings.problems, findings.report()
