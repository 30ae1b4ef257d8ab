"""The person's page as a summary (issue #16, item 3) and its confirmations where the user
is taken (item 2): what the summary says, to whom, and that a section's message is shown in
that section rather than at the top of the page."""

import datetime
import html
import re

import pytest
from django.utils import timezone

from huddles import services as huddles
from medicines.models import Visit
from referrals.catalogue import ensure_red_flags
from referrals.models import RedFlag
from referrals.services import flag_raise
from tests.medicines.helpers import visit_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]


def text(response) -> str:
    return html.unescape(response.content.decode())


def words(fragment: str) -> str:
    """What a reader sees of a piece of the page: its text without tags, spaces squeezed."""
    return " ".join(re.sub(r"<[^>]+>", "", fragment).split())


def section(page: str, anchor: str) -> str:
    """One section of the page: from its id to the next section."""
    start = page.index(f'id="{anchor}"')
    end = page.find("<section", start)
    return page[start : end if end != -1 else len(page)]


def summary(page: str) -> str:
    return page[page.index('id="summary"') : page.index('aria-label="On this page"')]


def test_the_summary_comes_first_with_the_facts_alerts_and_what_is_next(
    client, member, network, patient
):
    from careplans.services import care_plan_save
    from networks.models import Membership
    from patients.services import patient_update

    chair = member("chair")
    ensure_red_flags()
    flag = RedFlag.objects.filter(active=True).order_by("code").first()
    flag_raise(patient=patient, flag=flag, by=chair, raised_from="patient")
    key_worker = Membership.objects.get(user=member("community_nurse"))
    patient_update(patient=patient, by=chair, clinical_allowed=True, key_worker=key_worker)
    review = timezone.localdate() + datetime.timedelta(days=20)
    care_plan_save(
        by=chair,
        patient=patient,
        version=0,
        data={
            "review_on": review,
            "needs": [{"domain": "home", "description": f"Need {n}"} for n in range(3)],
            "interventions": [
                {"description": "Step", "owner_role": "gp", "due_on": review},
            ],
        },
    )
    meeting = huddles.next_meeting(network)
    huddles.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Falls")
    client.force_login(member("pharmacist"))

    page = text(client.get(f"/patients/{patient.pk}/"))
    top = summary(page)
    assert patient.nhs_number_display in top and f"(age {patient.age})" in top
    assert "1 active red flag" in top and flag.label in top
    assert key_worker.user.get_full_name() in top
    assert "Consent MDT discussion: not yet asked" in words(top)
    assert "3 needs, 1 open intervention" in top
    assert f"Review by {review:%-d %b %Y}" in words(top)
    assert f'href="/meetings/{meeting.pk}/"' in top
    assert ">Log a visit<" in top.replace('<span class="nhsuk-u-visually-hidden">', "<")
    # One primary action: every other button in the summary is secondary.
    assert top.count('class="nhsuk-button"') == 1
    assert page.index('id="summary"') < page.index('id="flags"')


def test_the_pic_is_told_what_is_restricted_and_gets_no_primary_action(client, member, patient):
    client.force_login(member("pic"))
    page = text(client.get(f"/patients/{patient.pk}/"))
    top = summary(page)
    assert "Restricted: clinical details are not shown to your role." in top
    assert 'class="nhsuk-button"' not in top
    assert 'id="clinical"' not in page and 'id="medicines"' not in page


def test_no_edit_form_sits_on_the_page_only_links_to_them(client, member, patient):
    client.force_login(member("chair"))
    page = text(client.get(f"/patients/{patient.pk}/"))
    for url in ("consent/", "care-team/", "goals/", "frailty/", "edit/"):
        assert f'href="/patients/{patient.pk}/{url}"' in page, url
    for field in ("consent_mdt", "membership", "description", "score"):
        assert f'name="{field}"' not in page, field


def test_a_visit_warning_is_shown_in_the_visits_section_not_at_the_top(client, member, patient):
    client.force_login(member("pharmacist"))
    response = client.post(
        f"/medicines/patients/{patient.pk}/visit/", visit_data(respiratory_rate="25", spo2="91")
    )
    assert response["Location"] == f"/patients/{patient.pk}/#visits"
    assert Visit.objects.get().news2_score == 6
    page = text(client.get(response["Location"]))
    visits = section(page, "visits")
    assert "NEWS2 6: urgent response." in visits
    assert "data-person-notice" in visits and 'role="alert"' in visits
    assert page.count("NEWS2 6: urgent response.") == 1  # not repeated at the top
    # Shown once: the next look at the page no longer has it.
    assert "NEWS2 6: urgent response." not in text(client.get(f"/patients/{patient.pk}/"))


def test_a_referral_confirmation_is_shown_in_the_referrals_section(client, member, patient):
    client.force_login(member("social_worker"))
    response = client.post(
        f"/referrals/patients/{patient.pk}/refer/",
        {"service": "gp", "reason": "Memory worse", "urgency": "routine"},
    )
    assert response["Location"] == f"/patients/{patient.pk}/#referrals"
    page = text(client.get(response["Location"]))
    referrals = section(page, "referrals")
    notice = referrals[referrals.index("data-person-notice") :]
    assert words(notice).split("Success ")[1].startswith("Referred to GP")
    assert "data-person-notice" not in page[: page.index('id="referrals"')]


def test_a_message_for_no_section_stays_at_the_top(client, member, patient):
    """Changing the person's details returns to the top of the page, as before."""
    client.force_login(member("chair"))
    form = client.get(f"/patients/{patient.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update({"phone": "020 7946 0123", "date_of_birth": patient.date_of_birth.isoformat()})
    response = client.post(f"/patients/{patient.pk}/edit/", data, follow=True)
    page = text(response)
    assert "Changes saved." in page[: page.index('id="summary"')]
    assert "data-person-notice" not in page
