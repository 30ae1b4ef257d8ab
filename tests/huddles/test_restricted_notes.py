"""Restricted discussion notes about a person: restricted by the chair, read by the chair, the
key worker and whoever restricted them; others see that they exist in meeting mode, the
minutes (page and PDF), the timeline and the API (null), and may break the glass."""

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import BreakGlass
from huddles import services
from networks.models import Membership
from patients.models import Patient

# About restricted entries, on top of whatever clinical access a member has: every clinical
# member is involved here (conftest.everyone_involved; involvement: tests/patients).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]
NOTES = "Daughter disclosed financial abuse by the son."


@pytest.fixture
def item(chair, meeting, patient):
    item = services.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Falls")
    item = services.item_update(item=item, by=chair, notes=NOTES)
    return services.item_notes_restrict(item=item, by=chair, restricted=True, reason="Safeguarding")


def _reader(member, patient, who):
    if who == "key_worker":
        user = member("community_nurse")
        Patient.objects.filter(pk=patient.pk).update(
            key_worker=Membership.objects.get(user=user, network=patient.network)
        )
        return user
    return member(who)


@pytest.mark.parametrize(("who", "reads"), [("chair", True), ("key_worker", True), ("gp", False)])
def test_restricted_notes_by_role_everywhere(
    client, api, member, meeting, patient, item, who, reads
):
    user = _reader(member, patient, who)
    client.force_login(user)
    pages = [
        client.get(f"/meetings/{meeting.pk}/run/{item.pk}/").content.decode(),
        client.get(f"/meetings/{meeting.pk}/minutes/").content.decode(),
        client.get(f"/patients/{patient.pk}/timeline/").content.decode(),
    ]
    for page in pages[:2]:
        assert (NOTES in page) is reads
        assert ("Restricted entry by" in page) is not reads
    assert NOTES not in pages[2] or reads
    data = api(user).get(f"/api/v1/huddles/{meeting.pk}/items/{item.pk}/").json()
    listed = api(user).get(f"/api/v1/huddles/{meeting.pk}/").json()["items"][0]
    for shown in (data, listed):
        assert shown["notes_restricted"] is True
        assert (shown["notes"] == NOTES) is reads


def test_breaking_the_glass_opens_the_notes(client, member, meeting, chair, item):
    gp = member("gp")
    client.force_login(gp)
    url = f"/meetings/{meeting.pk}/items/{item.pk}/break-glass/"
    assert client.post(url, {"reason": "x"}).status_code == 422
    response = client.post(url, {"reason_code": "safeguarding", "reason": "Referral to police"})
    assert response.status_code == 302
    grant = BreakGlass.objects.get()
    assert (grant.entry_kind, grant.entry_id, grant.entry_author) == ("huddle_note", item.pk, chair)
    assert NOTES in client.get(f"/meetings/{meeting.pk}/minutes/").content.decode()


def test_the_pic_may_not_break_the_glass_on_notes(client, member, meeting, item):
    client.force_login(member("pic"))
    url = f"/meetings/{meeting.pk}/items/{item.pk}/break-glass/"
    assert client.post(url, {"reason_code": "consent", "reason": "x"}).status_code in (403, 404)
    assert not BreakGlass.objects.exists()


def test_only_the_chair_restricts_the_notes(client, member, meeting, item):
    with pytest.raises(PermissionDenied):
        services.item_notes_restrict(item=item, by=member("gp"), restricted=False)
    client.force_login(member("gp"))
    url = f"/meetings/{meeting.pk}/items/{item.pk}/restrict/"
    assert client.post(url, {}).status_code == 403
    item.refresh_from_db()
    assert item.notes_restricted


def test_the_minutes_cost_the_same_with_more_restricted_notes(
    client, member, chair, meeting, item, django_assert_max_num_queries
):
    from tests.factories import PatientFactory

    client.force_login(member("gp"))
    url = f"/meetings/{meeting.pk}/minutes/"
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for index in range(4):
        person = PatientFactory(network=meeting.network)
        other = services.agenda_add(meeting=meeting, patient=person, by=chair, reason="x")
        other = services.item_update(item=other, by=chair, notes=f"Note {index}")
        if index % 2:
            services.item_notes_restrict(item=other, by=chair, restricted=True, reason="Wish")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "Note 0" in page and "Note 1" not in page
