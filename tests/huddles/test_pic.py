"""The PIC in the huddle (issue 15.1, API.md 1.1 Huddles): the voluntary-sector personal
independence coordinator sees the meetings and, on each, only the people they support (on the
care team, or with a PIC referral not declined or withdrawn), without the clinical part; adds
to the social part; never runs the meeting. Pages and API, with query counts that do not grow
with the agenda."""

import datetime
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huddles import services
from huddles.models import AgendaItem, Meeting
from medicines.services import visit_log
from networks.models import Membership
from patients.services import care_team_add
from referrals.services import referral_create, referral_decline, referral_withdraw
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
CLINICAL_NOTE = "Chest sounds wet; start amoxicillin"
CLINICAL_REASON = "Recurrent falls, NEWS2 6"


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def chair(member):
    return member("chair")


@pytest.fixture
def pic(member):
    return member("pic", username="pic.ageuk")


@pytest.fixture
def meeting(network):
    return services.next_meeting(network)


def support(pic, person):
    """The PIC joins the person's care team."""
    return care_team_add(
        patient=person, membership=Membership.objects.get(user=pic), by=pic, involvement="PIC"
    )


@pytest.fixture
def people(network, meeting, chair, pic, member):
    """On the agenda: `team` (the PIC on the care team), `referred` (a new PIC referral),
    `other` (nothing to do with the PIC), `declined` and `withdrawn` (PIC referrals ended)."""
    gp = member("gp")
    made = {}
    for key in ("team", "referred", "other", "declined", "withdrawn"):
        person = PatientFactory(network=network, given_name=key.capitalize())
        made[key] = services.agenda_add(
            meeting=meeting, patient=person, by=chair, reason=CLINICAL_REASON
        )
    support(pic, made["team"].patient)
    for key in ("referred", "declined", "withdrawn"):
        referral = referral_create(
            patient=made[key].patient, service="pic", reason="Lonely", by=gp
        ).referral
        if key == "declined":
            referral_decline(referral=referral, by=pic, reason="person_declined")
        elif key == "withdrawn":
            referral_withdraw(referral=referral, by=gp)
    for item in made.values():
        services.item_update(item=item, by=chair, notes=CLINICAL_NOTE)
        item.refresh_from_db()
    return made


def run_url(item):
    return f"/meetings/{item.meeting_id}/run/{item.pk}/"


def social_url(item):
    return f"/meetings/{item.meeting_id}/items/{item.pk}/social-notes/"


def api_item(item):
    return f"/api/v1/huddles/{item.meeting_id}/items/{item.pk}/"


SHOWN = ("team", "referred")
HIDDEN = ("other", "declined", "withdrawn")


# --- pages ------------------------------------------------------------------------------------


def test_pic_sees_the_meetings_and_only_their_people_on_the_agenda(client, pic, people, meeting):
    client.force_login(pic)
    listing = client.get("/meetings/")
    assert listing.status_code == 200
    # The count is of the people they support (2 of the 5 on the agenda).
    assert "2 people on the agenda" in text(listing)
    assert "5 people on the agenda" not in text(listing)
    agenda = client.get(f"/meetings/{meeting.pk}/")
    assert agenda.status_code == 200
    page = text(agenda)
    for key in SHOWN:
        assert people[key].patient.full_name in page
    for key in HIDDEN:
        assert people[key].patient.full_name not in page
    assert CLINICAL_REASON not in page
    assert "Remove" not in page and "Add a person" not in page


def test_pic_meeting_mode_hides_the_clinical_part(client, pic, people, member):
    team = people["team"]
    visit_log(patient=team.patient, by=member("community_nurse"), kind="home",
              visited_at=timezone.now(), summary="Visit summary clinical")  # fmt: skip
    client.force_login(pic)
    response = client.get(run_url(team))
    assert response.status_code == 200
    page = text(response)
    assert team.patient.full_name in page
    for secret in (CLINICAL_NOTE, CLINICAL_REASON, "Visit summary clinical", "NEWS2"):
        assert secret not in page, secret
    for key in HIDDEN:
        assert people[key].patient.full_name not in page
    assert 'name="social_notes"' in page and 'name="notes"' not in page
    assert "Close the" not in page and "Record decision" not in page
    assert client.get(run_url(people["other"])).status_code == 404
    first = client.get(f"/meetings/{team.meeting_id}/run/")
    assert first.status_code == 302 and first["Location"] in {run_url(people[k]) for k in SHOWN}


def test_pic_adds_social_notes_with_history_and_their_own_version(client, pic, people):
    team = people["team"]
    client.force_login(pic)
    response = client.post(
        social_url(team), {"social_notes": "Lives alone; daughter visits Sundays",
                           "social_version": 1}, headers=HX)  # fmt: skip
    assert response.status_code == 200, text(response)
    assert "Social notes saved." in text(response)
    saved = AgendaItem.objects.get(pk=team.pk)
    assert saved.social_notes == "Lives alone; daughter visits Sundays"
    assert saved.social_version == 2
    assert saved.version == team.version  # the chair's record is not made stale
    assert saved.notes == CLINICAL_NOTE
    history = AgendaItem.pgh_event_model.objects.filter(pgh_obj_id=team.pk)
    assert history.filter(social_notes="Lives alone; daughter visits Sundays").exists()


def test_a_stale_or_bad_social_note_saves_nothing(client, pic, chair, people):
    team = people["team"]
    services.item_social_notes_set(item=team, by=chair, social_notes="Chair's line")
    client.force_login(pic)
    stale = client.post(social_url(team), {"social_notes": "Mine", "social_version": 1}, headers=HX)
    assert stale.status_code == 409
    assert "Chair's line" in text(stale) and "someone else changed" in text(stale)
    long = client.post(
        social_url(team), {"social_notes": "x" * 20001, "social_version": 2}, headers=HX
    )
    assert long.status_code == 422
    missing = client.post(social_url(team), {"social_notes": "No version"}, headers=HX)
    assert missing.status_code == 422
    assert AgendaItem.objects.get(pk=team.pk).social_notes == "Chair's line"


def test_pic_never_runs_the_meeting_nor_notes_people_they_do_not_support(client, pic, people):
    team, other = people["team"], people["other"]
    client.force_login(pic)
    base = f"/meetings/{team.meeting_id}"
    for url, data in [
        (f"{base}/items/{team.pk}/notes/", {"notes": "x", "version": team.version}),
        (f"{base}/items/{team.pk}/decision/", {"decision": "continue", "version": team.version}),
        (f"{base}/items/{team.pk}/actions/", {"title": "x"}),
        (f"{base}/items/{team.pk}/reorder/", {"direction": "up"}),
        (f"{base}/items/{team.pk}/remove/", {}),
        (f"{base}/attendance/", {}),
        (f"{base}/close/", {}),
        (f"{base}/cancel/", {}),
        (f"{base}/move/", {}),
    ]:
        assert client.post(url, data, headers=HX).status_code == 403, url
    response = client.post(social_url(other), {"social_notes": "x", "social_version": 1})
    assert response.status_code == 404
    assert AgendaItem.objects.get(pk=other.pk).social_notes == ""
    assert Meeting.objects.get(pk=team.meeting_id).status == "scheduled"


def test_a_pic_supporting_no_one_on_the_agenda_follows_an_empty_meeting(
    client, network, chair, pic, people
):
    later = Meeting.objects.create(
        network=network,
        scheduled_for=timezone.now() + datetime.timedelta(days=40),
        starts_at=timezone.now() + datetime.timedelta(days=40),
    )
    other = services.agenda_add(
        meeting=later, patient=people["other"].patient, by=chair, reason="x"
    )
    client.force_login(pic)
    response = client.get(f"/meetings/{later.pk}/run/")
    assert response.status_code == 200
    page = text(response)
    assert "None of the people you support is on the agenda" in page
    assert other.patient.full_name not in page


def test_clinical_members_read_and_write_the_social_notes_too(client, member, pic, people):
    team = people["team"]
    services.item_social_notes_set(item=team, by=pic, social_notes="Likes the lunch club")
    client.force_login(member("gp"))
    page = text(client.get(run_url(team)))
    assert "Likes the lunch club" in page and CLINICAL_NOTE in page
    response = client.post(social_url(team), {"social_notes": "And bingo", "social_version": 2})
    assert response.status_code == 302
    assert AgendaItem.objects.get(pk=team.pk).social_notes == "And bingo"


def test_pic_reads_the_minutes_of_their_people_only(client, pic, chair, people, meeting):
    team = people["team"]
    services.item_social_notes_set(item=team, by=pic, social_notes="Wants to garden again")
    services.item_update(
        item=team, by=chair, decision="discharge", admission_avoided="yes",
        decision_reason="Infection treated at home",
    )  # fmt: skip
    meeting.starts_at = timezone.now() - datetime.timedelta(minutes=5)
    meeting.save()
    services.meeting_close(meeting=meeting, by=chair)
    client.force_login(pic)
    response = client.get(f"/meetings/{meeting.pk}/minutes/")
    assert response.status_code == 200
    page = text(response)
    assert team.patient.full_name in page and "Wants to garden again" in page
    assert "Discharged." in page
    for secret in (CLINICAL_NOTE, CLINICAL_REASON, "Infection treated at home"):
        assert secret not in page, secret
    for key in HIDDEN:
        assert people[key].patient.full_name not in page
    # The meeting is closed: the social notes are read, no longer written.
    assert 'name="social_notes"' not in text(client.get(run_url(team)))
    closed = client.post(social_url(team), {"social_notes": "Late", "social_version": 2})
    assert closed.status_code == 302
    assert AgendaItem.objects.get(pk=team.pk).social_notes == "Wants to garden again"


# --- API --------------------------------------------------------------------------------------


def test_api_pic_lists_meetings_with_only_their_people_and_clinical_fields_null(
    api, pic, people, meeting
):
    client = api(pic)
    listing = client.get("/api/v1/huddles/")
    assert listing.status_code == 200
    found = next(m for m in listing.json()["results"] if m["id"] == meeting.pk)
    ids = {i["id"] for i in found["items"]}
    assert ids == {people[k].pk for k in SHOWN}
    for each in found["items"]:
        assert each["notes"] is None and each["reason"] is None
        assert each["decision_reason"] is None and each["admission_avoided"] is None
        assert "social_notes" in each
    detail = client.get(f"/api/v1/huddles/{meeting.pk}/").json()
    assert {i["id"] for i in detail["items"]} == ids
    one = client.get(api_item(people["team"]))
    assert one.status_code == 200 and one.json()["notes"] is None
    for key in HIDDEN:
        assert client.get(api_item(people[key])).status_code == 404


def test_api_pic_patches_social_notes_only(api, pic, people):
    team = people["team"]
    client = api(pic)
    ok = client.patch(
        api_item(team), {"social_notes": "Dog walker needed", "social_version": 1}, format="json"
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["social_notes"] == "Dog walker needed" and ok.json()["notes"] is None
    stale = client.patch(api_item(team), {"social_notes": "x", "social_version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["social_notes"] == "Dog walker needed"
    refused = client.patch(api_item(team), {"notes": "x"}, format="json")
    assert refused.status_code == 403
    mixed = client.patch(api_item(team), {"social_notes": "y", "decision": "continue"},
                         format="json")  # fmt: skip
    assert mixed.status_code == 403
    bad = client.patch(api_item(team), {"social_notes": "x" * 20001}, format="json")
    assert bad.status_code == 400
    saved = AgendaItem.objects.get(pk=team.pk)
    assert saved.social_notes == "Dog walker needed" and saved.notes == CLINICAL_NOTE
    odd = client.patch(api_item(team), [{"social_notes": "x"}], format="json")
    assert odd.status_code == 403  # not a body of social notes alone
    other = client.patch(api_item(people["other"]), {"social_notes": "x"}, format="json")
    assert other.status_code == 404


def test_api_clinical_member_sees_everyone_and_notes(api, member, people, meeting):
    detail = api(member("gp")).get(f"/api/v1/huddles/{meeting.pk}/").json()
    assert {i["id"] for i in detail["items"]} == {i.pk for i in people.values()}
    assert all(i["notes"] == CLINICAL_NOTE for i in detail["items"])


# --- query counts: constant in the number of people --------------------------------------------


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = call()
        assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def _supported_meeting(network, chair, pic, n):
    meeting = Meeting.objects.create(
        network=network,
        scheduled_for=timezone.now() + datetime.timedelta(days=60 + n),
        starts_at=timezone.now() + datetime.timedelta(days=60 + n),
    )
    items = []
    for i in range(n):
        person = PatientFactory(network=network)
        items.append(services.agenda_add(meeting=meeting, patient=person, by=chair, reason=f"{i}"))
        if i % 2:
            support(pic, person)
        else:
            referral_create(patient=person, service="pic", reason="Lonely", by=chair)
        # and someone they do not support
        services.agenda_add(
            meeting=meeting, patient=PatientFactory(network=network), by=chair, reason="x"
        )
    return meeting, items


@pytest.mark.parametrize("page", ["agenda", "run", "minutes", "api", "api_list"])
def test_pic_pages_and_api_query_counts_do_not_grow(client, api, network, chair, pic, page):
    client.force_login(pic)
    rest = api(pic)
    counts = []
    for n in (3, 30):
        meeting, items = _supported_meeting(network, chair, pic, n)
        call = {
            "agenda": lambda m=meeting: client.get(f"/meetings/{m.pk}/"),
            "run": lambda i=items: client.get(run_url(i[1])),
            "minutes": lambda m=meeting: client.get(f"/meetings/{m.pk}/minutes/"),
            "api": lambda m=meeting: rest.get(f"/api/v1/huddles/{m.pk}/"),
            "api_list": lambda: rest.get("/api/v1/huddles/"),
        }[page]
        call()  # warm up (the agenda build's first run may add)
        counts.append(_queries(call))
    assert counts[0] == counts[1], counts
    assert counts[1] <= (12 if page == "minutes" else 11), counts  # the minutes: + guests


def test_minutes_without_the_pics_people_say_so(client, member, network):
    meeting = Meeting.objects.create(
        network=network,
        starts_at=timezone.now() - datetime.timedelta(days=1),
        status="closed",
        closed_at=timezone.now() - datetime.timedelta(hours=23),
    )
    client.force_login(member("pic"))
    page = client.get(f"/meetings/{meeting.pk}/minutes/").content.decode()
    assert "None of the people you support was on the agenda." in page
    client.force_login(member("gp"))
    page = client.get(f"/meetings/{meeting.pk}/minutes/").content.decode()
    assert "No one was on the agenda." in page
