"""Browser journey at phone width (issue #17 item 1): a hospital consultant not involved in
Dorothy Pearce's care sees who she is and who looks after her, not her clinical notes; they
break the glass with a coded reason, by keyboard, and are back on her page with the notes
open, and the IG lead's trail has the line (headless Debian Chromium)."""

import pytest
from playwright.sync_api import Page, expect

from audit.models import AccessEvent, BreakGlass
from patients.models import Patient
from tests.e2e.pages import fits_the_screen, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 375, "height": 812}}


def test_a_member_not_involved_breaks_the_glass_by_keyboard(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    person = Patient.objects.get(network__slug="thornton-heath", family_name="Pearce")

    log_in(page, demo, "hospital_consultant.thornton-heath")
    page.goto(f"{demo}/patients/{person.pk}/")
    heading = f"You are not involved in {person.full_name}\u2019s care"
    panel = page.get_by_role("region", name=heading)
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("(key worker)")
    expect(page.locator("main")).not_to_contain_text(person.clinical_notes)
    assert fits_the_screen(page)

    panel.get_by_role("link", name="Break the glass").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Break the glass")
    expect(page.locator("main")).to_contain_text("information governance lead is told")
    assert fits_the_screen(page)
    page.get_by_label("Vital interests: risk to life or serious harm").check()
    page.get_by_label("Say why you need this person's record now").fill(
        "Admitted to the assessment unit unconscious; need her medicines and history."
    )
    page.get_by_role("button", name="Break the glass and open the record").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text(person.full_name)
    expect(page.locator("main")).to_contain_text("You broke the glass")
    expect(page.locator("main")).to_contain_text(person.clinical_notes)
    grant = BreakGlass.objects.get(patient=person, user__username__startswith="hospital")
    assert grant.reason_code == "vital_interests"
    assert AccessEvent.objects.filter(patient_id=person.pk, what="break_glass").exists()
    assert not [e for e in errors if "Content Security Policy" in e], errors
