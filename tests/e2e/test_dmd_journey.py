"""Browser journeys (headless Debian Chromium) for medicines from dm+d: a pharmacist finds a
medicine in dm+d on the medication form and picks it (the name, strength, form and code are
filled in); and, at phone width, brings in a GP medication list and reconciles the conflict
it shows, taking the GP's dose onto the one reconciled list."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from medicines.models import Medication, MedicationImportLine
from medicines.services import medication_add
from patients.models import Patient
from tests.e2e.pages import fits_the_screen, log_in
from tests.medicines.gp_bundle import bundle, dosage, statement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHARMACIST = "pharmacist.thornton-heath"
SCREENSHOT = "/tmp/icn-dmd-reconcile-phone.png"


def csp_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_a_pharmacist_finds_a_medicine_in_dm_d_and_picks_it(page: Page, demo):
    errors = csp_errors(page)
    person = Patient.objects.get(network__slug="thornton-heath", family_name="Pearce")
    log_in(page, demo, PHARMACIST)
    page.goto(f"{demo}/medicines/patients/{person.pk}/medicines/new/")

    page.get_by_label("Find the medicine in dm+d").fill("amlo 5")
    pick = page.get_by_role("button", name="Amlodipine 5mg tablets , VMP 319283006")
    expect(pick).to_be_visible()
    pick.click()
    expect(page.get_by_label("Medicine", exact=True)).to_have_value("Amlodipine 5mg tablets")
    expect(page.get_by_label("dm+d code")).to_have_value("319283006")
    expect(page.get_by_label("Strength")).to_have_value("5mg")
    expect(page.get_by_label("Form")).to_have_value("tablet")
    expect(page.locator("#dmd-results")).to_contain_text("Chosen: Amlodipine 5mg tablets")
    page.get_by_label("Dose amount").fill("1")
    page.get_by_label("How often").select_option("once_daily")
    page.get_by_role("button", name="Add medicine").click()

    expect(page.locator("main")).to_contain_text("added to the medication list")
    added = Medication.objects.get(patient=person, dmd_code="319283006")
    assert (added.name, added.strength, added.form) == ("Amlodipine 5mg tablets", "5mg", "tablet")
    assert not [e for e in errors if "Content Security Policy" in e], errors


@pytest.fixture
def browser_context_args(browser_context_args, request):
    if "phone" in request.node.name:
        return {**browser_context_args, "viewport": {"width": 375, "height": 812}}
    return browser_context_args


def test_on_a_phone_a_gp_list_is_brought_in_and_its_conflict_reconciled(page: Page, demo, tmp_path):
    errors = csp_errors(page)
    person = Patient.objects.get(network__slug="thornton-heath", family_name="Pearce")
    pharmacist = get_user_model().objects.get(username=PHARMACIST)
    ours = medication_add(
        patient=person,
        by=pharmacist,
        name="Ramipril 5mg capsules",
        dmd_code="318902004",
        dose_amount=Decimal(1),
        dose_unit="capsule",
        frequency="once_daily",
    )
    gp_list = tmp_path / "gp-list.json"
    gp_list.write_text(
        json.dumps(
            bundle(
                person.nhs_number,
                statement("Ramipril 5mg capsules", "318902004", dosage(1, "capsule", 2)),
                statement("Atorvastatin 20mg tablets", "320030001", dosage(1, "tablet", 1)),
                statement("Senna 7.5mg tablets", None, dosage(2, "tablet", 1)),
            )
        )
    )

    log_in(page, demo, PHARMACIST)
    page.goto(f"{demo}/patients/{person.pk}/")
    page.get_by_role("link", name=f"Bring in a GP medication list for {person.full_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bring in a GP medication list")
    page.get_by_label("GP medication list (FHIR Bundle, JSON)").set_input_files(str(gp_list))
    page.get_by_role("button", name="Upload and compare").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Reconcile the GP medication list")
    expect(page.locator("main")).to_contain_text("3 of 3")
    ramipril = page.get_by_role("region", name="Ramipril 5mg capsules")
    expect(ramipril).to_contain_text("Differs from our list")
    expect(ramipril).to_contain_text("1 capsule twice a day")  # theirs
    expect(ramipril).to_contain_text("1 capsule once a day")  # ours
    expect(page.get_by_role("region", name="Atorvastatin 20mg tablets")).to_contain_text(
        "Not on our list"
    )
    assert fits_the_screen(page)
    page.screenshot(path=SCREENSHOT, full_page=True)

    ramipril.get_by_label("Take theirs").check()
    ramipril.get_by_role("button", name="Record the decision on Ramipril 5mg capsules").click()

    ramipril = page.get_by_role("region", name="Ramipril 5mg capsules")
    expect(ramipril).to_contain_text("Take theirs by")
    expect(page.locator("main")).to_contain_text("2 of 3")
    ours.refresh_from_db()
    assert ours.frequency == "twice_daily"  # the one list, changed with its history
    assert Medication.objects.filter(patient=person, dmd_code="318902004").count() == 1
    line = MedicationImportLine.objects.get(dmd_code="318902004")
    assert (line.decision, line.decided_by) == ("take_theirs", pharmacist)
    assert not [e for e in errors if "Content Security Policy" in e], errors
