"""Browser journey: the network facilitator runs the next Thornton Heath huddle from the
keyboard: notes that save as they are typed, two actions (for a role and for a named member),
and a discharge with the admission-avoided answer (headless Debian Chromium)."""

import re

import pytest
from playwright.sync_api import Page, expect

from actions.models import Action
from huddles import services
from huddles.models import AgendaItem, Episode
from networks.models import Membership, Network
from patients.models import Patient
from referrals.models import Referral
from referrals.services import referral_accept, referral_create
from tests.e2e.pages import htmx_ready, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def people_on_the_next_huddle(count: int = 3):
    """`count` people accepted to the MDT (so each has an episode on the caseload), first on
    the next huddle's agenda. Returns the meeting and their items in order."""
    network = Network.objects.get(slug="thornton-heath")
    chair = Membership.objects.get(network=network, role="chair").user
    gp = Membership.objects.get(network=network, role="gp").user
    busy = set(
        Referral.objects.filter(service="mdt", status__in=Referral.OPEN).values_list(
            "patient_id", flat=True
        )
    ) | set(Episode.objects.filter(closed_at__isnull=True).values_list("patient_id", flat=True))
    free = (
        Patient.objects.filter(network=network)
        .exclude(pk__in=busy)
        .exclude(consent_mdt="refused")  # no agenda for one who refused (issue 17)
        .order_by("id")
    )
    people = list(free[:count])
    assert len(people) == count, "seed_demo left too few people free to refer to the MDT"
    for person in people:
        referral = referral_create(
            patient=person, service="mdt", reason="Two falls this month", by=gp
        ).referral
        referral_accept(referral=referral, by=chair)
    meeting = services.next_meeting(network)
    services.agenda_build(meeting=meeting)
    ours = list(AgendaItem.objects.filter(meeting=meeting, patient__in=people).order_by("position"))
    assert len(ours) == count
    rest = list(
        meeting.items.exclude(status="removed")
        .exclude(pk__in=[i.pk for i in ours])
        .values_list("pk", flat=True)
    )
    services.agenda_reorder(meeting=meeting, item_ids=[i.pk for i in ours] + rest, by=chair)
    return meeting, ours


def test_the_facilitator_runs_a_huddle_from_the_keyboard(page: Page, demo):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    meeting, (first, second, _third) = people_on_the_next_huddle(3)
    gp = Membership.objects.get(network__slug="thornton-heath", role="gp")
    gp_label = f"{gp.user.get_full_name()}, GP"

    log_in(page, demo, "chair.thornton-heath")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Huddles").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Huddles")
    page.locator(f"#meeting-{meeting.pk} a").first.click()
    expect(page.get_by_role("list", name="Agenda").get_by_role("listitem")).to_have_count(
        meeting.items.exclude(status="removed").count()
    )
    page.get_by_role("link", name="Start the huddle").click()
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/run/{first.pk}/$"))
    expect(page.locator("#person-name")).to_have_text(first.patient.full_name)
    htmx_ready(page)  # typed before htmx binds the notes' trigger, nothing would save

    # Notes save as they are typed.
    page.get_by_label("Discussion notes").fill("Daughter worried; two falls at night.")
    expect(page.locator("#notes-state")).to_contain_text("Saved")

    # Two actions from the keyboard: Enter submits the small form.
    actions = page.get_by_role("region", name=re.compile("^Actions agreed for"))
    actions.get_by_label("Action", exact=True).fill("Review night-time medicines")
    actions.get_by_label("For", exact=True).select_option(label="Pharmacist")
    actions.get_by_label("Action", exact=True).press("Enter")
    expect(page.locator("#item-actions")).to_contain_text("Review night-time medicines")
    actions.get_by_label("Action", exact=True).fill("Home visit this week")
    actions.get_by_label("For", exact=True).select_option(label=gp_label)
    actions.get_by_label("Action", exact=True).press("Enter")
    expect(page.locator("#item-actions")).to_contain_text("Home visit this week")
    expect(page.locator("#item-actions")).to_contain_text(f"for {gp_label}")

    # The next person (Alt+N), discharged with the admission-avoided answer.
    page.locator("#person-name").click()
    page.keyboard.press("Alt+KeyN")
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/run/{second.pk}/$"))
    expect(page.locator("#person-name")).to_have_text(second.patient.full_name)
    htmx_ready(page)
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Reason for discharge").fill("Falls clinic seen; key safe fitted")
    page.get_by_role("button", name="Record decision: discharge").click()
    expect(page.locator("#record")).to_contain_text(
        f"{second.patient.full_name} is discharged from the huddle"
    )

    made = Action.objects.filter(source="meeting", agenda_item=first)
    assert made.count() == 2
    assert {(a.assignee_id, a.assignee_role) for a in made} == {
        (None, "pharmacist"),
        (gp.user_id, ""),
    }
    first.refresh_from_db()
    assert first.notes == "Daughter worried; two falls at night."
    second.refresh_from_db()
    assert second.decision == "discharge" and second.admission_avoided == "yes"
    episode = Episode.objects.filter(patient=second.patient).order_by("-opened_at").first()
    assert episode.closed_at is not None and episode.admission_avoided == "yes"
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
