"""Browser journey: the IG lead answers a subject access request (a wrong number first, then
the person's: the JSON and PDF downloads) and erases a person past retention after the
confirmation step, each page checked by axe at desktop and phone widths (headless Debian
Chromium)."""

import datetime
import json
import re
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.utils import timezone
from playwright.sync_api import Page, expect

from governance.models import Erasure
from patients.models import Patient
from tests.e2e.pages import log_in
from tests.e2e.test_accessibility import Findings
from tests.factories import PatientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_ig_lead_answers_a_subject_access_request_and_erases_a_record(page: Page, demo):
    findings = Findings()
    person = Patient.objects.filter(network__slug="thornton-heath").order_by("pk").first()
    page.context.add_init_script(script=AXE_SCRIPT)  # axe on every page loaded
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, demo, "ig_lead.thornton-heath")
    page.get_by_role("link", name="Subject access and retention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subject access request")
    findings.both_widths(page, "subject access form", "ig_lead")

    # Someone ICN does not hold: said plainly beside the field.
    page.get_by_label("NHS number").fill("999 000 0018")
    page.get_by_label("Reference of the request").fill("Letter of 3 March 2026")
    page.get_by_role("button", name="Find what ICN holds").click()
    expect(page.get_by_role("alert")).to_contain_text("No one with that NHS number in")
    findings.both_widths(page, "subject access form with its error", "ig_lead")

    page.get_by_label("NHS number").fill(person.nhs_number)
    page.get_by_role("button", name="Find what ICN holds").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"What ICN holds about {person.full_name}"
    )
    findings.both_widths(page, "subject access result", "ig_lead")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the JSON").click()
    bundle = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert bundle["person"]["nhs_number"] == person.nhs_number
    pdf_url = page.get_by_role("link", name="Download the PDF").get_attribute("href")
    pdf = page.request.get(f"{demo}{pdf_url}")
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # Retention: a person with nothing for nine years, erased after the confirmation step.
    old = PatientFactory(network=person.network, family_name="Longago")
    nine_years = timezone.now() - datetime.timedelta(days=365 * 9 + 3)
    Patient.objects.filter(pk=old.pk).update(updated_at=nine_years)
    page.goto(f"{demo}/governance/retention/")
    findings.both_widths(page, "retention review", "ig_lead")
    page.get_by_role("link", name=re.compile(f"Review.*{old.full_name}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Erase {old.full_name}?")
    page.get_by_role("button", name="Erase this record").click()  # no reason, not confirmed
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    findings.both_widths(page, "erase question with its errors", "ig_lead")
    page.get_by_label("Why is this record being erased?").fill("Past retention, reviewed")
    page.get_by_label(re.compile("I have reviewed this record")).check()
    page.get_by_role("button", name="Erase this record").click()
    expect(page.get_by_text("The record was erased")).to_be_visible()
    assert not Patient.objects.filter(pk=old.pk).exists()
    assert Erasure.objects.get().reason == "Past retention, reviewed"
    assert not findings.problems, findings.report()
