"""Browser journey: the pharmacist completes an accepted referral from the medicines caseload
with the outcome, and the social worker who referred reads it in their notifications
(headless Debian Chromium)."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from referrals import services
from referrals.models import Referral
from tests.e2e.pages import log_in
from tests.e2e.test_referral_journey import MEDS, a_person_free_to_refer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUTCOME = "Home review done: two medicines stopped, blister pack started."


def test_pharmacist_completes_with_an_outcome_and_the_referrer_reads_it(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    person = a_person_free_to_refer()
    referrer = User.objects.get(username="social_worker.thornton-heath")
    pharmacist = User.objects.get(username="pharmacist.thornton-heath")
    referral = services.referral_create(
        patient=person, service=MEDS, reason="Confused by her tablets", by=referrer
    ).referral
    services.referral_accept(referral=referral, by=pharmacist)

    log_in(page, demo, "pharmacist.thornton-heath")
    page.goto(f"{demo}/referrals/caseload/{MEDS}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Caseload")
    row = page.locator(f"#referral-{referral.pk}")
    expect(row).to_contain_text("Since today")
    row.get_by_role("link", name=re.compile(r"^Complete")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Complete the")

    page.get_by_role("button", name="Complete the referral").click()  # no outcome yet
    expect(page.get_by_role("alert")).to_contain_text("Say what was done")
    page.get_by_label("Outcome: what was done").fill(OUTCOME)
    page.get_by_role("button", name="Complete the referral").click()
    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#referral-{referral.pk}$"))
    expect(page.get_by_role("region", name="Success")).to_contain_text("told the outcome")
    expect(page.locator(f"#referral-{referral.pk}")).to_contain_text(OUTCOME)
    page.get_by_role("button", name="Log out").click()

    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (Referral.Status.COMPLETED, OUTCOME)

    log_in(page, demo, "social_worker.thornton-heath")
    page.goto(f"{demo}/notifications/")
    expect(page.locator("main")).to_contain_text(f"Outcome: {OUTCOME}")
    assert not [e for e in errors if "Content Security Policy" in e], errors
