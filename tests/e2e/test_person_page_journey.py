"""Browser journeys on the person's page (issue #16, items 2 and 3), at a phone's and a
desktop's width (headless Debian Chromium): after Save visit the NEWS2 warning, and after
Send referral the confirmation, are where the browser lands and have the focus; removing
someone from the care team asks first. Screenshots go to /tmp/shots/person-*.png."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from networks.models import Membership
from patients.models import CareTeamMember, Patient
from patients.services import care_team_add
from tests.e2e.pages import fits_the_screen, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 800}}


def a_person_without_visits() -> Patient:
    person = (
        Patient.objects.filter(network__slug="thornton-heath", visits__isnull=True)
        .order_by("id")
        .first()
    )
    assert person is not None
    return person


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
def test_the_news2_warning_after_save_visit_is_in_view_and_focused(page: Page, demo, size):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    SHOTS.mkdir(parents=True, exist_ok=True)
    person = a_person_without_visits()
    page.set_viewport_size(SIZES[size])
    log_in(page, demo, "community_nurse.thornton-heath")
    page.goto(f"{demo}/medicines/patients/{person.pk}/visit/")
    page.locator("summary").filter(has_text="Observations and NEWS2").click()
    page.get_by_label("Pulse (beats/min)").fill("95")
    page.get_by_label("Breathing rate (breaths/min)").fill("25")
    page.get_by_label("Oxygen saturation, SpO₂ (%)").fill("91")
    page.get_by_role("button", name="Save visit").click()

    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#visits$"))
    warning = page.locator("#visits").get_by_role("alert")
    expect(warning).to_contain_text("NEWS2 7 (partial): emergency response.")
    expect(warning).to_be_focused()
    expect(warning).to_be_in_viewport()
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / f"person-visit-saved-{size}.png"))
    # The standing warning stays in the Medicines section until a clinician acknowledges it.
    expect(page.locator("#medicines")).to_contain_text("NEWS2 7: emergency response")
    assert not [e for e in errors if "Content Security Policy" in e], errors


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
def test_the_confirmation_after_send_referral_is_in_view_and_focused(page: Page, demo, size):
    SHOTS.mkdir(parents=True, exist_ok=True)
    person = (
        Patient.objects.filter(network__slug="thornton-heath")
        .exclude(referrals__service="gp", referrals__status__in=["new", "accepted"])
        .order_by("id")
        .first()
    )
    page.set_viewport_size(SIZES[size])
    log_in(page, demo, "social_worker.thornton-heath")
    page.goto(f"{demo}/patients/{person.pk}/")
    page.get_by_role("link", name=re.compile(r"^Refer\b")).click()
    page.get_by_label("Service", exact=True).select_option("gp")
    page.get_by_label("Reason for referral").fill("Memory worse since the winter")
    page.get_by_role("button", name="Send referral").click()

    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#referrals$"))
    confirmation = page.locator("#referrals").get_by_role("alert")
    expect(confirmation).to_contain_text("Referred to GP.")
    expect(confirmation).to_be_focused()
    expect(confirmation).to_be_in_viewport()
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / f"person-referral-sent-{size}.png"))


def test_removing_someone_from_the_care_team_asks_first(page: Page, demo):
    person = Patient.objects.filter(network__slug="thornton-heath").order_by("id").first()
    chair = Membership.objects.get(user__username="chair.thornton-heath")
    pharmacist = Membership.objects.get(user__username="pharmacist.thornton-heath")
    if not CareTeamMember.objects.filter(patient=person, membership=pharmacist).exists():
        care_team_add(patient=person, membership=pharmacist, by=chair.user)
    name = pharmacist.user.get_full_name()
    page.set_viewport_size(SIZES["phone"])
    log_in(page, demo, "pic.thornton-heath")
    page.goto(f"{demo}/patients/{person.pk}/#care-team")
    team = page.locator("#care-team")
    team.get_by_role("link", name=f"Remove {name} from the care team").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Remove {name} from the care team?"
    )
    assert CareTeamMember.objects.filter(patient=person, membership=pharmacist).exists()
    page.get_by_role("link", name="No, keep them on the care team").click()
    expect(team).to_contain_text(name)
    team.get_by_role("link", name=f"Remove {name} from the care team").click()
    page.get_by_role("button", name=f"Yes, remove {name}").click()

    expect(page).to_have_url(re.compile(rf"/patients/{person.pk}/#care-team$"))
    done = team.get_by_role("alert")
    expect(done).to_contain_text(f"{name} removed from the care team.")
    expect(done).to_be_focused()
    expect(team.get_by_role("link", name=f"Remove {name} from the care team")).to_have_count(0)
    assert not CareTeamMember.objects.filter(patient=person, membership=pharmacist).exists()
