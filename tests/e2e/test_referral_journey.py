"""Browser journey: a social worker refers with the `medicines_stockpile` red flag, and the
pharmacist triages the referral it raised from the inbox (headless Debian Chromium)."""

import re

import pytest
from playwright.sync_api import Page, expect

from notifications.models import Notification
from patients.models import Patient
from referrals.models import PatientFlag, Referral, ServiceConfig
from tests.e2e.pages import htmx_ready, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MEDS = "medicines_optimisation"


def a_person_free_to_refer() -> Patient:
    """A Thornton Heath person with no open medicines or social services referral and no
    active stockpile flag (seed_demo may have made some referrals of its own)."""
    busy = set(
        Referral.objects.filter(
            status__in=Referral.OPEN, service__in=[MEDS, "social_services"]
        ).values_list("patient_id", flat=True)
    ) | set(
        PatientFlag.objects.filter(
            flag__code="medicines_stockpile", resolved_at__isnull=True
        ).values_list("patient_id", flat=True)
    )
    person = (
        Patient.objects.filter(network__slug="thornton-heath")
        .exclude(pk__in=busy)
        .order_by("id")
        .first()
    )
    assert person is not None, "seed_demo left no one free to refer"
    return person


def test_social_worker_flags_a_stockpile_and_the_pharmacist_accepts_it(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    person = a_person_free_to_refer()

    # The social worker refers to social services and ticks the stockpile red flag.
    log_in(page, demo, "social_worker.thornton-heath")
    expect(page).to_have_url(re.compile(r"/my-work/$"))  # casework starts on My work
    page.goto(f"{demo}/patients/{person.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(person.full_name)
    page.get_by_role("link", name=re.compile(r"^Refer\b")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Refer {person.full_name}")
    htmx_ready(page)

    page.get_by_label("Service", exact=True).select_option(label="Social services")
    expect(page.locator("#service-criteria")).to_contain_text("Social services accepts")
    page.get_by_label("Reason for referral").fill(
        "Piles of unused medicines in the kitchen; also struggling with shopping"
    )
    page.get_by_label("Stockpile of medicines").check()
    page.get_by_role("button", name="Send referral").click()

    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#referrals$"))
    confirmation = page.locator("#referrals").get_by_role("alert")
    expect(confirmation).to_be_focused()
    expect(confirmation).to_contain_text("Referred to Social services.")
    expect(confirmation).to_contain_text(
        "Stockpile of medicines\u2019 also raised a referral to Medicines optimisation."
    )
    expect(page.locator("#flags")).to_contain_text("Stockpile of medicines")
    page.get_by_role("button", name="Log out").click()

    referral = Referral.objects.get(patient=person, service=MEDS, status="new")
    assert referral.origin == "red_flag"
    assert referral.referred_by.username == "social_worker.thornton-heath"

    # The pharmacist sees the count in the navigation and accepts it from the inbox.
    log_in(page, demo, "pharmacist.thornton-heath")
    nav = page.get_by_role("navigation", name="Main")
    served = ServiceConfig.objects.filter(  # the pharmacist's services (the clinic too)
        network__slug="thornton-heath", serving_roles__contains=["pharmacist"], active=True
    ).values_list("service", flat=True)
    count = Referral.objects.filter(
        network__slug="thornton-heath", service__in=list(served), status="new"
    ).count()
    referrals_link = nav.get_by_role("link", name=f"Referrals, {count} new")
    expect(referrals_link).to_be_visible()
    referrals_link.click()
    expect(page).to_have_url(re.compile(r"/referrals/inbox/medicines_optimisation/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Referrals")

    card = page.locator(f"#referral-{referral.pk}")
    expect(card).to_contain_text(person.full_name)
    expect(card.get_by_role("list", name="Red flags")).to_have_text("⚑ Stockpile of medicines")
    expect(card).to_contain_text("From a red flag")

    page.evaluate("window.icnNoReload = true")  # gone if the page reloads
    card.get_by_role("button", name=re.compile(r"^Accept")).click()
    expect(card).to_contain_text(f"Accepted — {person.full_name}")
    expect(card).to_be_focused()
    left = f"Referrals, {count - 1} new" if count > 1 else "Referrals"
    expect(nav.get_by_role("link", name=left, exact=True)).to_be_visible()
    assert page.evaluate("window.icnNoReload") is True
    expect(page).to_have_url(re.compile(r"/referrals/inbox/medicines_optimisation/$"))

    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.triaged_by.username == "pharmacist.thornton-heath"
    assert Notification.objects.filter(
        recipient__username="social_worker.thornton-heath",
        kind="referral_accepted",
        patient=person,
    ).exists()
    assert not [e for e in errors if "Content Security Policy" in e], errors
