"""Guard rails on closing a meeting (issue #15.4): never before it starts (service, page and
meeting mode), and a confirmation page, working without JavaScript, that says who is carried
forward and who gets the minutes (the same people `reminders.minutes_messages` sends to)."""

import html
import re

import pytest
from django.contrib.messages import get_messages

from audit.models import AccessEvent
from core.errors import Conflict
from huddles import services
from huddles.models import AgendaItem, Meeting
from huddles.reminders import minutes_messages
from patients.models import CareTeamMember
from tests.factories import PatientFactory, meeting_started

pytestmark = pytest.mark.django_db


def text(response) -> str:
    words = re.sub(r"<[^>]+>", " ", html.unescape(response.content.decode()))
    return re.sub(r"\s+", " ", words)


def close_url(meeting) -> str:
    return f"/meetings/{meeting.pk}/close/"


def close_form(meeting) -> str:
    return f'<form method="post" action="{close_url(meeting)}">'


@pytest.fixture
def agenda(meeting, chair, member, network):
    """Two people discussed (one with a nurse on the care team), one not reached yet; a GP
    present."""
    nurse, gp = member("community_nurse"), member("gp")
    discussed = [
        services.agenda_add(
            meeting=meeting,
            patient=PatientFactory(network=network, given_name=name),
            by=chair,
            reason="x",
        )
        for name in ("Edith", "Amos")
    ]
    waiting = services.agenda_add(
        meeting=meeting,
        patient=PatientFactory(network=network, given_name="Ruth"),
        by=chair,
        reason="x",
    )
    CareTeamMember.objects.create(
        patient=discussed[0].patient, membership=nurse.memberships.get(), added_by=chair
    )
    for item in discussed:
        services.item_update(item=item, by=chair, decision="continue")
    services.attendance_set(meeting=meeting, user=gp, present=True, by=chair)
    return {"discussed": discussed, "waiting": waiting, "nurse": nurse, "gp": gp}


def test_the_service_refuses_to_close_a_meeting_not_started(meeting, chair, agenda):
    with pytest.raises(Conflict, match="cannot be closed before it starts"):
        services.meeting_close(meeting=meeting, by=chair)
    meeting.refresh_from_db()
    assert meeting.status == "scheduled" and meeting.closed_at is None
    assert AgendaItem.objects.get(pk=agenda["waiting"].pk).status == "pending"


def test_before_the_start_the_page_explains_and_offers_no_close(client, meeting, chair, agenda):
    client.force_login(chair)
    run = client.get(f"/meetings/{meeting.pk}/run/{agenda['waiting'].pk}/")
    assert close_url(meeting) not in run.content.decode()
    assert "Close is offered once the huddle has started" in text(run)
    page = client.get(close_url(meeting))
    assert page.status_code == 200
    assert "cannot be closed before it starts" in text(page)
    assert close_form(meeting) not in page.content.decode()
    response = client.post(close_url(meeting))
    assert response.status_code == 302
    assert any(
        "cannot be closed before it starts" in str(m) for m in get_messages(response.wsgi_request)
    )
    assert Meeting.objects.get(pk=meeting.pk).status == "scheduled"


def test_the_confirmation_says_who_is_carried_and_who_gets_the_minutes(
    client, meeting, chair, agenda, member
):
    meeting_started(meeting)
    bystander = member("pharmacist")  # neither present nor on a care team
    client.force_login(chair)
    run = client.get(f"/meetings/{meeting.pk}/run/{agenda['waiting'].pk}/")
    assert f'href="{close_url(meeting)}"' in run.content.decode()
    page = client.get(close_url(meeting))
    body = text(page)
    assert close_form(meeting) in page.content.decode()
    carried = body.split("Carried forward")[1].split("Who gets the minutes")[0]
    assert "Ruth" in carried and "Edith" not in carried and "Amos" not in carried
    minutes = body.split("Who gets the minutes")[1]
    for user, why in (
        (chair, "facilitator"),
        (agenda["gp"], "present"),
        (agenda["nurse"], "care team"),
    ):
        name = user.get_full_name() or user.get_username()
        assert re.search(rf"{re.escape(name)}[^()]*\([^)]*{why}", minutes), (name, why)
    bystander_name = bystander.get_full_name() or bystander.get_username()
    assert bystander_name not in minutes
    # Every person shown is on the access trail.
    assert (
        AccessEvent.objects.filter(user=chair, what="meeting", path=close_url(meeting)).count() == 3
    )
    # The confirmation tells the truth: those listed are those the minutes go to.
    response = client.post(close_url(meeting))
    assert response.status_code == 302 and response.url == f"/meetings/{meeting.pk}/minutes/"
    meeting.refresh_from_db()
    assert meeting.status == "closed"
    sent = {m.recipient_id for m in minutes_messages(meeting)}
    assert sent == {chair.pk, agenda["gp"].pk, agenda["nurse"].pk}
    # Once closed there is nothing to confirm.
    again = client.get(close_url(meeting))
    assert again.status_code == 302 and again.url == f"/meetings/{meeting.pk}/"


@pytest.mark.parametrize("role", ["gp", "social_worker", "community_nurse"])
def test_other_clinical_roles_may_not_close_or_see_the_confirmation(
    client, meeting, member, agenda, role
):
    meeting_started(meeting)
    client.force_login(member(role, username=f"{role}.other"))
    assert client.get(close_url(meeting)).status_code == 403
    assert client.post(close_url(meeting)).status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).status == "scheduled"


def test_outside_the_network_it_is_404_and_bad_methods_405(
    client, meeting, member, other_network, chair
):
    client.force_login(member("chair", net=other_network, username="chair.other"))
    assert client.get(close_url(meeting)).status_code == 404
    client.force_login(chair)
    assert client.put(close_url(meeting)).status_code == 405
    assert client.get("/meetings/999999/close/").status_code == 404


def test_the_confirmation_costs_the_same_queries_for_any_agenda(
    client, meeting, chair, network, django_assert_max_num_queries
):
    meeting_started(meeting)
    client.force_login(chair)

    def grow(n):
        for _ in range(n):
            item = services.agenda_add(
                meeting=meeting, patient=PatientFactory(network=network), by=chair, reason="x"
            )
            services.item_update(item=item, by=chair, decision="continue")

    grow(1)
    client.get(close_url(meeting))  # warm the session and caches
    with django_assert_max_num_queries(14) as small:
        assert client.get(close_url(meeting)).status_code == 200
    grow(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(close_url(meeting)).status_code == 200
