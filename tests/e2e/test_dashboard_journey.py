"""Browser journey: a manager opens Reports, filters by period and service, sees a chart drawn
and its table, and downloads a table as CSV; the network facilitator (chair) opens the people
behind a number and downloads them (headless Debian Chromium)."""

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from audit.models import AccessEvent
from huddles.models import Episode
from networks.models import Membership, Network
from patients.models import Goal
from referrals.models import Referral
from reports.figures import Scope, admissions_avoided
from reports.models import AdmissionEvent
from tests.e2e.pages import log_in
from tests.factories import PatientFactory
from tests.referrals.factories import ReferralFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")
SHOTS = Path("/tmp/shots")


def months_ago(n: int) -> date:
    month = timezone.localdate().replace(day=1)
    for _ in range(n):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def at(month: date, day: int) -> datetime:
    return datetime.combine(month.replace(day=day), time(11), tzinfo=LONDON)


def seed_outcomes() -> dict:
    """Discharges with the MDT's answers over the last months, an admission after one,
    goals and referrals: what the demo data has too little of."""
    network = Network.objects.get(slug="thornton-heath")
    chair = Membership.objects.get(network=network, role="chair").user
    answers = ["yes", "yes", "no", "unsure", "yes", "no", "yes", "yes", "unsure", "yes"]
    people = {}
    for i, answer in enumerate(answers):
        month = months_ago(1 + i % 5)
        person = PatientFactory(network=network, family_name=f"Report{i:02d}", given_name="Ada")
        Episode.objects.create(
            patient=person,
            network=network,
            opened_at=at(month, 1) - timedelta(days=30),
            closed_at=at(month, 10 + i),
            admission_avoided=answer,
        )
        people[(month, answer, i)] = person
        Goal.objects.create(
            patient=person,
            description="Walk to the shops again",
            agreed_on=at(month, 2).date(),
            agreed_by=chair,
            outcome="met" if i % 2 else "open",
            outcome_on=at(month, 20).date() if i % 2 else None,
            outcome_by=chair if i % 2 else None,
        )
        status = ("accepted", "declined", "new")[i % 3]
        ref = ReferralFactory(patient=person, service="medicines_optimisation")
        Referral.objects.filter(pk=ref.pk).update(
            created_at=at(month, 3),
            status=status,
            triaged_at=at(month, 5) if status != "new" else None,
            triaged_by=chair if status != "new" else None,
            decline_reason="inappropriate" if status == "declined" else "",
        )
    admitted = people[(months_ago(3), "no", 2)]
    AdmissionEvent.objects.create(
        network=network,
        patient=admitted,
        admitted_on=at(months_ago(3), 20).date(),
        kind="emergency",
        recorded_by=chair,
    )
    return {"month": months_ago(2), "person": people[(months_ago(2), "yes", 6)]}


def shoot(page: Page, name: str) -> None:
    """The whole page, and the same in screen-high parts (easier to look at). The window is
    made as tall as the page once, so that the charts are not redrawn between parts."""
    viewport = page.viewport_size
    width = viewport["width"]
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(500)  # the charts redraw at the new size
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    step = 1000 if width > 600 else 1200
    for i, top in enumerate(range(0, height, step)):
        page.screenshot(
            path=str(SHOTS / f"{name}-part{i + 1}.png"),
            clip={"x": 0, "y": top, "width": width, "height": min(step, height - top)},
        )
    page.set_viewport_size(viewport)


def canvas_has_ink(page: Page, selector: str) -> bool:
    return page.eval_on_selector(
        selector,
        """canvas => {
            const ctx = canvas.getContext("2d");
            const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
            return false;
        }""",
    )


def read_download(download) -> list[list[str]]:
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_manager_filters_and_exports_then_the_chair_drills_into_a_number(page: Page, demo):
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    seeded = seed_outcomes()
    month = seeded["month"]
    first, last = months_ago(5), months_ago(1)

    # The manager (of Thornton Heath, and here of Purbeck too) lands on Reports: the last
    # twelve months of both networks combined, in neutral words.
    manager = Membership.objects.get(network__slug="thornton-heath", role="manager").user
    Membership.objects.create(
        user=manager, network=Network.objects.get(slug="purbeck"), role="manager"
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, demo, "manager.thornton-heath")
    expect(page).to_have_url(re.compile(r"/reports/$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Purbeck and Thornton Heath")
    expect(page.locator(".report-estimate")).to_contain_text(
        "The MDT\u2019s own estimate at discharge"
    )
    expect(page.get_by_role("heading", name="Meetings and actions")).to_be_visible()

    page.screenshot(path=str(SHOTS / "reports-manager-networks-1280.png"))

    # Filters: Thornton Heath, the five months of seeded discharges, medicines optimisation.
    page.get_by_label("Thornton Heath").check()
    page.get_by_label("From", exact=True).fill(f"{first:%Y-%m}")
    page.get_by_label("To", exact=True).fill(f"{last:%Y-%m}")
    page.get_by_label("Service", exact=True).select_option(label="Medicines optimisation")
    page.get_by_role("button", name="Show figures").click()
    expect(page).to_have_url(
        re.compile(rf"network=thornton-heath&from={first:%Y-%m}&to={last:%Y-%m}&service=medicines")
    )
    period = f"{first:%B %Y} to {last:%B %Y}"
    expect(heading).to_have_text(re.compile(rf"Thornton Heath, {period}$"))
    expect(page.get_by_label("Thornton Heath")).to_be_checked()
    expect(page.get_by_role("heading", name="Huddles and actions")).to_be_visible()

    # The chart is drawn, and its table holds the same numbers.
    chart = page.locator("#chart-avoided")
    expect(chart).to_be_attached()
    expect(page.locator(".chart--ready").first).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('chart-avoided'))"
    )
    page.wait_for_timeout(400)  # the short drawing animation
    assert canvas_has_ink(page, "#chart-avoided")
    avoided = page.get_by_role("table", name=re.compile("Admissions avoided"))
    expect(avoided).to_be_visible()
    # Demo discharges count too: the total is what the figures say, ours among them.
    network = Network.objects.get(slug="thornton-heath")
    months = admissions_avoided(Scope((network.pk,), first, last))
    expected = sum(m[a] for m in months for a in ("yes", "no", "unsure"))
    assert expected >= 10
    total = avoided.locator("tfoot td").last
    expect(total).to_have_text(str(expected))
    chart_total = page.evaluate(
        """() => Chart.getChart(document.getElementById('chart-avoided')).data.datasets
              .reduce((sum, d) => sum + d.data.reduce((a, b) => a + b, 0), 0)"""
    )
    assert chart_total == expected
    referrals = page.get_by_role("table", name=re.compile("Referrals in"))
    expect(referrals).to_contain_text("Medicines optimisation")
    expect(referrals).not_to_contain_text("Social services")
    # A manager sees the numbers, not the people behind them.
    expect(avoided.get_by_role("link")).to_have_count(0)
    shoot(page, "reports-manager-1280")

    # The manager downloads the admissions-avoided table.
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Download as CSV.*Admissions avoided")).click()
    download = info.value
    assert download.suggested_filename == (
        f"icn-admissions-avoided-thornton-heath-{first:%Y-%m}-to-{last:%Y-%m}"
        "-medicines_optimisation.csv"
    )
    rows = read_download(download)
    assert rows[0] == ["Month", "Yes", "No", "Unsure", "Total"]
    assert rows[-1][0] == "all" and rows[-1][-1] == str(expected)
    assert AccessEvent.objects.filter(
        username="manager.thornton-heath",
        what="report_export:admissions_avoided",
        channel="export",
        patient__isnull=True,
    ).exists()

    # On a phone the page still reads: tables scroll inside their own box.
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('chart-avoided'))"
    )
    page.wait_for_timeout(400)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(page, "reports-manager-375")
    page.get_by_role("button", name="Log out").click()

    # The network facilitator opens the people behind "yes" in one month.
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, demo, "chair.thornton-heath")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    page.get_by_label("From", exact=True).fill(f"{first:%Y-%m}")
    page.get_by_label("To", exact=True).fill(f"{last:%Y-%m}")
    page.get_by_role("button", name="Show figures").click()
    avoided = page.get_by_role("table", name=re.compile("Admissions avoided"))
    row = avoided.locator("tbody tr", has=page.locator("th", has_text=f"{month:%b %Y}"))
    link = row.get_by_role("link", name=re.compile(rf"show the people: Yes, {month:%B %Y}"))
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("People behind a number")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"in {month:%B %Y}")
    person = seeded["person"]
    expect(page.get_by_role("link", name=re.compile(person.family_name, re.I))).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(person.nhs_number_display)
    shoot(page, "reports-people-1280")
    assert AccessEvent.objects.filter(
        username="chair.thornton-heath", what="report_people", channel="page", patient=person
    ).exists()

    # ... and downloads the list.
    with page.expect_download() as info:
        page.get_by_role("link", name="Download this list (CSV)").click()
    rows = read_download(info.value)
    assert rows[0][:3] == ["Family name", "Given name", "NHS number"]
    assert [person.family_name, "Ada", person.nhs_number_display] in [r[:3] for r in rows]
    assert AccessEvent.objects.filter(
        username="chair.thornton-heath", what="report_people", channel="export", patient=person
    ).exists()

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    shoot(page, "reports-people-375")

    assert not errors, errors
