"""Browser journeys in headless Debian Chromium against the live server."""

import re

import pytest
from playwright.sync_api import Page, expect

from patients.models import Patient
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pharmacist_searches_opens_a_patient_and_sees_nothing_from_purbeck(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, demo, "pharmacist.thornton-heath")
    expect(page).to_have_url(re.compile(r"/medicines/my-day/$"))  # pharmacy starts on My day
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.get_by_role("banner")).to_contain_text("Thornton Heath")

    mine = Patient.objects.filter(network__slug="thornton-heath").order_by("id").first()
    theirs = Patient.objects.filter(network__slug="purbeck").order_by("id").first()

    search = page.get_by_label(re.compile("search by name or nhs number", re.I))
    search.fill(mine.family_name[:4])  # search as you type, no submit
    results = page.locator("#results")
    expect(results).to_contain_text(mine.family_name, ignore_case=True)
    page.get_by_role("link", name=re.compile(mine.family_name, re.I)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(mine.given_name)
    expect(page.locator("body")).to_contain_text(mine.nhs_number_display)

    # Nothing from purbeck: not in search, not by URL.
    page.goto(f"{demo}/patients/")
    page.get_by_label(re.compile("search by name or nhs number", re.I)).fill(theirs.family_name)
    expect(results).not_to_contain_text(theirs.family_name, ignore_case=True)
    page.get_by_label(re.compile("search by name or nhs number", re.I)).fill(theirs.nhs_number)
    expect(results).not_to_contain_text(theirs.family_name, ignore_case=True)
    response = page.goto(f"{demo}/patients/{theirs.pk}/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(theirs.family_name)
    assert not [e for e in errors if "Content Security Policy" in e], errors
