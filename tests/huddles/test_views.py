"""The meeting pages: the list, the agenda, the chair's meeting mode (notes that save as they
are typed, the lost update, decisions, actions, attendance, closing) and the minutes; who may
do what; the network's own words; query counts that do not grow with the agenda."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action
from audit.models import AccessEvent
from huddles import services
from huddles.models import AgendaItem, Attendance, Episode, Meeting
from medicines.services import visit_log
from referrals.services import flag_raise, referral_accept, referral_create
from tests.factories import PatientFactory, meeting_started

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def item(meeting, patient, chair):
    return services.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Falls")


def chair_client(client, user):
    client.force_login(user)
    return client


def accept_to_mdt(patient, by, chair):
    referral = referral_create(patient=patient, service="mdt", reason="Falls", by=by).referral
    return referral_accept(referral=referral, by=chair)


def run_url(item):
    return f"/meetings/{item.meeting_id}/run/{item.pk}/"


def notes_url(item):
    return f"/meetings/{item.meeting_id}/items/{item.pk}/notes/"


def decision_url(item):
    return f"/meetings/{item.meeting_id}/items/{item.pk}/decision/"


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["gp", "pharmacist", "social_worker", "integrated_manager"])
def test_clinical_members_see_meeting_mode_read_only_and_may_not_write(client, member, item, role):
    client.force_login(member(role))
    response = client.get(run_url(item))
    assert response.status_code == 200
    page = text(response)
    assert item.patient.full_name in page
    assert 'name="notes"' not in page and "Record decision" not in page
    assert 'name="social_notes"' in page  # the social part: anyone who sees the person
    assert "Read only: the network facilitator records" in page
    for url, data in [
        (notes_url(item), {"notes": "x", "version": 1}),
        (decision_url(item), {"decision": "continue", "version": 1}),
        (f"/meetings/{item.meeting_id}/items/{item.pk}/actions/", {"title": "x"}),
        (f"/meetings/{item.meeting_id}/attendance/", {}),
        (f"/meetings/{item.meeting_id}/close/", {}),
        (f"/meetings/{item.meeting_id}/cancel/", {}),
    ]:
        assert client.post(url, data, headers=HX).status_code == 403, url
    item.refresh_from_db()
    assert item.notes == "" and item.version == 1
    assert Meeting.objects.get(pk=item.meeting_id).status == "scheduled"


@pytest.mark.parametrize("role", ["manager", "partner_system"])
def test_non_clinical_roles_are_refused(client, member, item, role):
    """The PIC takes part (tests/huddles/test_pic.py); these roles do not."""
    client.force_login(member(role))
    assert client.get("/meetings/").status_code == 403
    assert client.get(f"/meetings/{item.meeting_id}/").status_code == 403
    assert client.get(run_url(item)).status_code == 403
    assert client.get(f"/meetings/{item.meeting_id}/minutes/").status_code == 403


def test_another_networks_meeting_is_not_found(client, member, other_network, foreign_patient):
    foreign = services.next_meeting(other_network)
    foreign_item = services.agenda_add(
        meeting=foreign, patient=foreign_patient, by=None, reason="Falls"
    )
    client.force_login(member("chair"))
    assert client.get(f"/meetings/{foreign.pk}/").status_code == 404
    assert client.get(run_url(foreign_item)).status_code == 404
    assert client.post(notes_url(foreign_item), {"notes": "x", "version": 1}).status_code == 404


def test_meeting_mode_records_one_access_event_per_person_shown(
    client, chair, meeting, network, item
):
    other = services.agenda_add(
        meeting=meeting, patient=PatientFactory(network=network), by=chair, reason="x"
    )
    chair_client(client, chair).get(run_url(item))
    events = AccessEvent.objects.filter(user=chair, what="meeting", channel="page")
    assert {e.patient_id for e in events} == {item.patient_id, other.patient_id}


# --- vocabulary -------------------------------------------------------------------------------


def test_an_icn_network_says_huddle_and_network_facilitator(client, member, item):
    client.force_login(member("gp"))
    listing = text(client.get("/meetings/"))
    assert re.search(r"<h1[^>]*>Huddles ", listing) and "Coming huddles" in listing
    page = text(client.get(run_url(item)))
    assert "Huddle," in page and "network facilitator" in page
    assert "virtual ward" not in page.lower()


def test_a_hub_network_says_virtual_ward_and_coordinator(
    client, member, other_network, foreign_patient
):
    meeting = services.next_meeting(other_network)
    item = services.agenda_add(meeting=meeting, patient=foreign_patient, by=None, reason="x")
    client.force_login(member("gp", net=other_network, username="gp.hub"))
    listing = text(client.get("/meetings/"))
    assert re.search(r"<h1[^>]*>Virtual wards ", listing) and ">Virtual wards</a>" in listing
    page = text(client.get(run_url(item)))
    assert "Virtual ward," in page and "health and social care coordinator" in page
    assert "huddle" not in page.lower()
    chair = member("chair", net=other_network, username="chair.hub")
    client.force_login(chair)
    page = text(client.get(run_url(item)))
    assert "Close is offered once the virtual ward has started" in page
    meeting_started(meeting)
    assert "Close the virtual ward" in text(client.get(run_url(item)))


# --- notes ------------------------------------------------------------------------------------


def test_notes_autosave_returns_the_new_version(client, chair, item):
    response = chair_client(client, chair).post(
        notes_url(item), {"notes": "Daughter worried about falls", "version": 1}, headers=HX
    )
    assert response.status_code == 200
    body = text(response)
    assert 'name="version" value="2"' in body and "Saved " in body
    item.refresh_from_db()
    assert item.notes == "Daughter worried about falls" and item.version == 2
    # Nothing changed (a blur): no new version.
    again = client.post(
        notes_url(item), {"notes": "Daughter worried about falls", "version": 2}, headers=HX
    )
    assert 'value="2"' in text(again)
    item.refresh_from_db()
    assert item.version == 2


def test_two_chairs_never_overwrite_each_other(client, member, chair, item, django_user_model):
    from django.test import Client

    second = member("chair", username="chair.two")
    one, two = chair_client(client, chair), Client()
    two.force_login(second)
    assert one.post(notes_url(item), {"notes": "Mine", "version": 1}, headers=HX).status_code == 200
    stale = two.post(notes_url(item), {"notes": "Theirs", "version": 1}, headers=HX)
    assert stale.status_code == 409
    body = text(stale)
    assert "someone else changed these notes" in body and "Mine" in body
    assert 'name="base_version" value="2"' in body and 'name="version" value="1"' in body
    item.refresh_from_db()
    assert item.notes == "Mine" and item.version == 2
    # Keep yours: resubmitted with the current version.
    kept = two.post(
        notes_url(item), {"notes": "Theirs", "version": 1, "base_version": 2}, headers=HX
    )
    assert kept.status_code == 200
    item.refresh_from_db()
    assert item.notes == "Theirs" and item.version == 3
    # Take theirs: the record comes back with the current text and version.
    took = one.post(notes_url(item), {"take": "theirs", "version": 2}, headers=HX)
    assert took.status_code == 200 and ">Theirs</textarea>" in text(took)
    assert 'name="version" value="3"' in text(took)


def test_a_stale_decision_is_refused_and_shows_the_other_version(client, chair, item):
    services.item_update(item=item, by=chair, version=1, notes="Other text")
    response = chair_client(client, chair).post(
        decision_url(item),
        {"version": 1, "notes": "My text", "decision": "continue", "next_review_on": _soon()},
        headers=HX,
    )
    assert response.status_code == 409
    body = text(response)
    assert "Other text" in body and "My text" in body
    item.refresh_from_db()
    assert item.notes == "Other text" and item.decision == ""


# --- decisions -------------------------------------------------------------------------------


def _soon(days=21):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def test_discharge_without_the_admission_answer_is_422_and_nothing_saved(client, chair, item):
    response = chair_client(client, chair).post(
        decision_url(item),
        {"version": 1, "notes": "n", "decision": "discharge", "decision_reason": "Settled"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "do we think we have avoided an admission?" in text(response).lower()
    item.refresh_from_db()
    assert item.decision == "" and item.status == "pending" and item.version == 1


def test_discharge_needs_a_reason(client, chair, item):
    response = chair_client(client, chair).post(
        decision_url(item),
        {"version": 1, "decision": "discharge", "admission_avoided": "yes"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "Give a short reason for the discharge." in text(response)


def test_continue_needs_the_next_review_date(client, chair, item):
    response = chair_client(client, chair).post(
        decision_url(item), {"version": 1, "decision": "continue"}, headers=HX
    )
    assert response.status_code == 422
    assert "Give the date of the next review" in text(response)
    ok = client.post(
        decision_url(item),
        {"version": 1, "decision": "continue", "next_review_on": _soon()},
        headers=HX,
    )
    assert ok.status_code == 200
    item.refresh_from_db()
    assert item.decision == "continue" and item.status == "discussed"


def test_discharge_with_the_answer_closes_the_episode(client, chair, member, meeting, patient):
    accept_to_mdt(patient, member("gp"), chair)
    item = AgendaItem.objects.get(patient=patient, meeting=meeting)
    response = chair_client(client, chair).post(
        decision_url(item),
        {
            "version": item.version,
            "notes": "Much steadier",
            "decision": "discharge",
            "admission_avoided": "yes",
            "decision_reason": "Falls clinic and a key safe",
        },
        headers=HX,
    )
    assert response.status_code == 200
    assert "discharged from the huddle" in text(response)
    item.refresh_from_db()
    assert item.admission_avoided == "yes" and item.notes == "Much steadier"
    episode = Episode.objects.get(patient=patient)
    assert episode.closed_at is not None and episode.admission_avoided == "yes"


# --- actions, attendance, close, cancel -------------------------------------------------------


def test_actions_are_created_from_meeting_mode(client, chair, member, item):
    gp = member("gp")
    member("pharmacist")  # roles offered are those present in the network
    url = f"/meetings/{item.meeting_id}/items/{item.pk}/actions/"
    chair_client(client, chair)
    first = client.post(
        url,
        {"title": "Review warfarin", "assignee": "role:pharmacist", "due_on": _soon(7)},
        headers=HX,
    )
    assert first.status_code == 200 and "Review warfarin" in text(first)
    second = client.post(
        url,
        {"title": "Home visit", "assignee": f"member:{gp.pk}", "due_on": _soon(3)},
        headers=HX,
    )
    assert second.status_code == 200 and "Home visit" in text(second)
    actions = Action.objects.filter(agenda_item=item, source="meeting").order_by("title")
    assert [(a.title, a.assignee, a.assignee_role) for a in actions] == [
        ("Home visit", gp, ""),
        ("Review warfarin", None, "pharmacist"),
    ]
    bad = client.post(url, {"title": "", "assignee": "", "due_on": ""}, headers=HX)
    assert bad.status_code == 422 and "Say what needs doing." in text(bad)


def test_no_meeting_action_for_a_role_that_does_no_casework(client, chair, member, item):
    """Found in the go-live attack pass: the meeting's action form offered the manager's and
    the partner system's queues (and named managers), who then saw the person's name."""
    manager = member("manager")
    partner = member("partner_system")
    member("ig_lead")
    member("pharmacist")
    url = f"/meetings/{item.meeting_id}/items/{item.pk}/actions/"
    chair_client(client, chair)
    page = text(client.get(f"/meetings/{item.meeting_id}/run/{item.pk}/"))
    assert 'value="role:pharmacist"' in page
    for value in ("role:manager", "role:partner_system", "role:ig_lead", f"member:{manager.pk}"):
        assert f'value="{value}"' not in page
    for value in ("role:manager", "role:partner_system", f"member:{partner.pk}"):
        response = client.post(
            url, {"title": "Ring the family", "assignee": value, "due_on": _soon(7)}, headers=HX
        )
        assert response.status_code == 422
    assert not Action.objects.filter(agenda_item=item).exists()


def test_attendance_is_recorded(client, chair, member, meeting, item):
    gp = member("gp")
    response = chair_client(client, chair).post(
        f"/meetings/{meeting.pk}/attendance/", {"present": [chair.pk, gp.pk]}, headers=HX
    )
    assert response.status_code == 200 and "2 present" in text(response)
    assert set(
        Attendance.objects.filter(meeting=meeting, present=True).values_list("user", flat=True)
    ) == {chair.pk, gp.pk}
    minutes = text(client.get(f"/meetings/{meeting.pk}/minutes/"))
    assert gp.get_full_name() in minutes


def test_cancel_moves_the_agenda_to_the_next_meeting(client, chair, meeting, item):
    response = chair_client(client, chair).post(
        f"/meetings/{meeting.pk}/cancel/", {"reason": "Bank holiday"}, follow=True
    )
    meeting.refresh_from_db()
    assert meeting.status == "cancelled" and meeting.cancelled_reason == "Bank holiday"
    moved = AgendaItem.objects.exclude(meeting=meeting).get(patient=item.patient)
    assert "Its agenda moved to the huddle of" in text(response)
    assert moved.meeting.starts_at > meeting.starts_at


def test_move_a_meeting(client, chair, meeting):
    when = timezone.localtime(meeting.starts_at) + datetime.timedelta(days=1, hours=1)
    response = chair_client(client, chair).post(
        f"/meetings/{meeting.pk}/move/", {"starts_at": when.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )
    meeting.refresh_from_db()
    assert meeting.starts_at == when.replace(second=0, microsecond=0)
    assert "agenda moved with it" in text(response)


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2027-10-31T01:30", datetime.datetime(2027, 10, 31, 0, 30)),  # repeated: the BST one
        ("2027-03-28T01:30", datetime.datetime(2027, 3, 28, 1, 30)),  # skipped: read as GMT
    ],
)
def test_a_meeting_moves_to_a_time_in_a_clock_change_hour(client, chair, meeting, local, utc):
    response = chair_client(client, chair).post(
        f"/meetings/{meeting.pk}/move/", {"starts_at": local}, follow=True
    )
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.starts_at == utc.replace(tzinfo=datetime.UTC)


def test_close_carries_people_not_reached_to_the_next_meeting(
    client, chair, network, meeting, item
):
    discussed = services.agenda_add(
        meeting=meeting, patient=PatientFactory(network=network), by=chair, reason="x"
    )
    services.item_update(
        item=discussed,
        by=chair,
        decision="continue",
        next_review_on=timezone.localdate() + datetime.timedelta(days=60),
    )
    meeting_started(meeting)
    response = chair_client(client, chair).post(f"/meetings/{meeting.pk}/close/", follow=True)
    assert "1 person not reached will be on the next huddle" in text(response)
    item.refresh_from_db()
    assert item.status == "not_reached"
    following = services.next_meeting(
        network, after=meeting.starts_at + datetime.timedelta(minutes=1)
    )
    agenda = text(client.get(f"/meetings/{following.pk}/"))
    assert item.patient.full_name in agenda and "Not reached last time" in agenda
    # Once closed, meeting mode is read only for the chair too.
    assert "<textarea" not in text(client.get(run_url(item)))


def test_agenda_add_remove_and_reorder(client, chair, network, meeting, item):
    person = PatientFactory(network=network)
    chair_client(client, chair)
    page = text(client.get(f"/meetings/{meeting.pk}/"))
    assert "Start the huddle" in page and "Name or NHS number" in page  # the add search
    assert person.full_name not in page  # no list of everyone in the network
    client.post(f"/meetings/{meeting.pk}/agenda/", {"patient": person.pk, "reason": "Asked"})
    added = AgendaItem.objects.get(meeting=meeting, patient=person)
    assert added.source == "manual"
    client.post(f"/meetings/{meeting.pk}/items/{added.pk}/reorder/", {"direction": "up"})
    order = list(
        meeting.items.exclude(status="removed").order_by("position").values_list("pk", flat=True)
    )
    assert order == [added.pk, item.pk]
    client.post(f"/meetings/{meeting.pk}/items/{item.pk}/remove/")
    item.refresh_from_db()
    assert item.status == "removed"


def _add(client, meeting, **data):
    return client.post(f"/meetings/{meeting.pk}/agenda/", data)


def _on_agenda(meeting, person) -> bool:
    return meeting.items.exclude(status="removed").filter(patient=person).exists()


def test_add_by_nhs_number_with_spaces_adds_the_one_match(client, chair, network, meeting):
    person = PatientFactory(network=network)
    PatientFactory(network=network)
    digits = person.nhs_number
    response = _add(
        chair_client(client, chair),
        meeting,
        q=f" {digits[:3]} {digits[3:6]} {digits[6:]} ",
        reason="Asked by the GP",
    )
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/"
    added = AgendaItem.objects.get(meeting=meeting, patient=person)
    assert added.source == "manual" and added.reason == "Asked by the GP"
    assert f"{person.full_name} is on the agenda." in text(client.get(response["Location"]))


def test_add_by_a_name_several_match_shows_choices_then_adds_the_one_chosen(
    client, chair, network, meeting
):
    people = [
        PatientFactory(network=network, given_name=given, family_name="Quenby")
        for given in ("Ada", "Bert", "Cyril")
    ]
    PatientFactory(network=network, given_name="Dora", family_name="Marsh")
    chair_client(client, chair)
    response = _add(client, meeting, q="quenby", reason="Falls")
    page = text(response)
    assert response.status_code == 200
    assert page.count('type="radio" name="patient"') == 3 and "3 people match" in page
    for person in people:
        assert f'value="{person.pk}"' in page and person.nhs_number_display in page
        assert f"born {person.date_of_birth:%-d %b %Y}" in page
    assert "Dora Marsh" not in page
    assert not meeting.items.exclude(status="removed").exists()  # nothing added yet
    # Submitting without a choice keeps the choices and says so.
    response = _add(client, meeting, q="quenby", choosing="1", reason="Falls")
    assert response.status_code == 422 and "Choose one of the people" in text(response)
    assert not meeting.items.exclude(status="removed").exists()
    # Choosing one adds it.
    response = _add(client, meeting, q="quenby", choosing="1", patient=people[1].pk, reason="x")
    assert response.status_code == 302
    assert _on_agenda(meeting, people[1])
    assert not _on_agenda(meeting, people[0]) and not _on_agenda(meeting, people[2])


def test_add_shows_at_most_twenty_choices(client, chair, network, meeting):
    for _ in range(22):
        PatientFactory(network=network, family_name="Quenby")
    page = text(_add(chair_client(client, chair), meeting, q="Quenby"))
    assert page.count('type="radio" name="patient"') == 20 and "More than 20 people" in page


def test_add_with_no_match_is_a_clear_error(client, chair, network, meeting):
    PatientFactory(network=network, given_name="Ada", family_name="Quenby")
    chair_client(client, chair)
    for q in ("Zebedee", "123 456"):  # synthetic NHS numbers start 999
        response = _add(client, meeting, q=q, reason="Falls")
        assert response.status_code == 422
        assert f"No one in this network matches \u201c{q}\u201d" in text(response)
    response = _add(client, meeting, q="  ")
    assert response.status_code == 422 and "Give a name or NHS number" in text(response)
    assert not meeting.items.exists()


def test_add_never_offers_people_on_the_agenda_or_in_another_network(
    client, chair, network, meeting, item, foreign_patient
):
    # item: Edith Okafor, already on the agenda; Walter Pike: another network.
    twin = PatientFactory(network=network, given_name="Edith", family_name="Okafield")
    foreign_twin = PatientFactory(
        network=foreign_patient.network, given_name="Edith", family_name="Okafor"
    )
    chair_client(client, chair)
    response = _add(client, meeting, q="Edith Oka")  # only the twin is left: added at once
    assert response.status_code == 302 and _on_agenda(meeting, twin)
    for q in ("Okafor", "Walter Pike", foreign_patient.nhs_number, item.patient.nhs_number):
        response = _add(client, meeting, q=q)
        assert response.status_code == 422 and "No one in this network matches" in text(response)
    for person in (item.patient, foreign_patient, foreign_twin):  # nor by id
        response = _add(client, meeting, patient=person.pk)
        assert response.status_code == 422
        assert "not in this network or is already on the agenda" in text(response)
    assert not _on_agenda(meeting, foreign_patient) and not _on_agenda(meeting, foreign_twin)
    assert meeting.items.filter(patient=item.patient).count() == 1


def test_only_the_chair_adds_by_search(client, member, network, meeting):
    person = PatientFactory(network=network)
    client.force_login(member("gp"))
    assert _add(client, meeting, q=person.nhs_number).status_code == 403
    assert "Name or NHS number" not in text(client.get(f"/meetings/{meeting.pk}/"))
    assert not meeting.items.exists()


def test_your_people_are_highlighted(client, member, meeting, network, item):
    gp = member("gp")
    Action.objects.create(
        network=network,
        patient=item.patient,
        title="x",
        assignee_role="gp",
        due_on=timezone.localdate(),
        created_by=gp,
    )
    services.agenda_add(
        meeting=meeting, patient=PatientFactory(network=network), by=None, reason="x"
    )
    client.force_login(gp)
    page = text(client.get(f"/meetings/{meeting.pk}/"))
    assert page.count("agenda__item--yours") == 1 and "1 of them yours" in page
    assert "1 of your people" in text(client.get("/meetings/"))


def test_meeting_mode_shows_everything_since_the_last_discussion(client, chair, member, item):
    nurse = member("community_nurse")
    visit_log(
        patient=item.patient,
        by=nurse,
        kind="home",
        visited_at=timezone.now() - datetime.timedelta(days=2),
        summary="Breathless on stairs",
    )
    from referrals.models import RedFlag

    flag_raise(
        patient=item.patient,
        flag=RedFlag.objects.get(code="no_heating"),
        by=nurse,
        raised_from="patient",
    )
    page = text(chair_client(client, chair).get(run_url(item)))
    assert "Breathless on stairs" in page and "Home visit" in page
    assert "Heating broken" in page or "heating" in page.lower()
    assert "Not discussed before: the last 90 days." in page
    assert 'src="/static/js/meeting.js"' in page and "<script>" not in page


# --- query counts -----------------------------------------------------------------------------


def _agenda_of(network, meeting, chair, n):
    items = []
    for i in range(n):
        person = PatientFactory(network=network)
        items.append(services.agenda_add(meeting=meeting, patient=person, by=chair, reason=f"{i}"))
        Action.objects.create(
            network=network,
            patient=person,
            title="x",
            assignee_role="gp",
            due_on=timezone.localdate(),
            created_by=chair,
        )
    return items


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["run", "agenda", "minutes"])
def test_query_counts_do_not_grow_with_the_agenda(client, chair, network, page):
    chair_client(client, chair)
    counts = []
    for n in (5, 40):
        meeting = Meeting.objects.create(
            network=network,
            scheduled_for=timezone.now() + datetime.timedelta(days=3 + n),
            starts_at=timezone.now() + datetime.timedelta(days=3 + n),
        )
        items = _agenda_of(network, meeting, chair, n)
        url = {
            "run": run_url(items[1]),
            "agenda": f"/meetings/{meeting.pk}/",
            "minutes": f"/meetings/{meeting.pk}/minutes/",
        }[page]
        client.get(url)  # agenda_build's first run may add; count the second
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts


MEETING_QUERY_GOAL = 10  # issue 8: the meeting pages, whatever the agenda's size
# What they need with 40 people: five of them are the session, the user, the memberships
# and the session's save (one UPDATE), on every page; the navigation's counts ride on the
# page's own query (networks.navigation).
MEETING_QUERY_CEILING = {"run": 10, "agenda": 9}


def _meeting_of_40(client, network, chair, page):
    meeting = Meeting.objects.create(
        network=network,
        scheduled_for=timezone.now() + datetime.timedelta(days=50),
        starts_at=timezone.now() + datetime.timedelta(days=50),
    )
    items = _agenda_of(network, meeting, chair, 40)
    url = run_url(items[1]) if page == "run" else f"/meetings/{meeting.pk}/"
    client.get(url)  # agenda_build's first run may add; count the second
    return _queries(client, url)


@pytest.mark.parametrize("page", ["run", "agenda"])
def test_meeting_pages_with_40_people_stay_under_their_ceiling(client, chair, network, page):
    chair_client(client, chair)
    assert _meeting_of_40(client, network, chair, page) <= MEETING_QUERY_CEILING[page]


@pytest.mark.parametrize("page", ["run", "agenda"])
def test_meeting_pages_with_40_people_need_at_most_ten_queries(client, chair, network, page):
    chair_client(client, chair)
    assert _meeting_of_40(client, network, chair, page) <= MEETING_QUERY_GOAL


# --- no GET writes ---------------------------------------------------------------------------


def _rows() -> tuple[int, ...]:
    return (
        Meeting.objects.count(),
        AgendaItem.objects.count(),
        Attendance.objects.count(),
        Episode.objects.count(),
    )


def test_no_meeting_page_writes_on_a_get(client, chair, member, network, other_network, item):
    """The schedule comes from beat and network creation, the agenda from beat and the
    meeting's writes: a GET of any meeting page, by the chair, adds nothing, even with a
    person waiting to join the next agenda and a network with no meetings yet."""
    second = Meeting.objects.filter(network=network, starts_at__gt=item.meeting.starts_at).first()
    accept_to_mdt(PatientFactory(network=network), member("gp"), chair)  # waits for `second`
    assert services.agenda_may_grow(second)
    other_chair = member("chair", net=other_network, username="chair.purbeck")
    assert not Meeting.objects.filter(network=other_network).exists()
    before = _rows()
    chair_client(client, chair)
    for url in [
        "/meetings/",
        f"/meetings/{item.meeting_id}/",
        f"/meetings/{second.pk}/",
        f"/meetings/{second.pk}/run/",
        f"/meetings/{item.meeting_id}/run/",
        run_url(item),
        f"/meetings/{item.meeting_id}/minutes/",
    ]:
        assert client.get(url).status_code in (200, 302), url
        assert _rows() == before, url
    client.force_login(other_chair)
    assert client.get("/meetings/").status_code == 200
    assert _rows() == before


def test_the_chair_brings_the_agenda_up_to_date_with_a_post(client, chair, member, network, item):
    second = Meeting.objects.filter(network=network, starts_at__gt=item.meeting.starts_at).first()
    person = PatientFactory(network=network)
    accept_to_mdt(person, member("gp"), chair)
    chair_client(client, chair)
    page = text(client.get(f"/meetings/{second.pk}/"))
    assert "Bring the agenda up to date" in page and person.full_name not in page
    client.force_login(member("gp"))
    assert client.post(f"/meetings/{second.pk}/agenda/build/").status_code == 403
    chair_client(client, chair)
    response = client.post(f"/meetings/{second.pk}/agenda/build/", follow=True)
    page = text(response)
    assert person.full_name in page and "added to the agenda" in page
    assert "Bring the agenda up to date" not in page
