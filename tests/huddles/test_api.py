import pytest
from django.utils import timezone

from huddles import services
from huddles.models import AgendaItem, Meeting
from referrals.services import referral_accept, referral_create
from tests.factories import meeting_started

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(network, patient, member):
    network.cadence, network.meeting_weekdays = "weekly", [timezone.localdate().weekday()]
    network.save()
    services.meetings_schedule(network=network)
    referral = referral_create(
        patient=patient, service="mdt", reason="Falls", by=member("gp")
    ).referral
    referral_accept(referral=referral, by=member("chair"))
    return AgendaItem.objects.get(patient=patient)


def url(item):
    return f"/api/v1/huddles/{item.meeting_id}/items/{item.pk}/"


def test_list_upcoming_and_detail(api, member, item):
    client = api(member("pharmacist"))
    body = client.get("/api/v1/huddles/", {"network": "thornton-heath", "upcoming": "true"}).json()
    assert body["count"] >= 8
    first = body["results"][0]
    assert first["id"] == item.meeting_id and first["network"] == "thornton-heath"
    detail = client.get(f"/api/v1/huddles/{item.meeting_id}/").json()
    assert detail["items"][0] == {
        "id": item.pk,
        "patient": item.patient_id,
        "consent_mdt": "not_asked",
        "reason": item.reason,
        "source": "referral",
        "status": "pending",
        "position": 1,
        "notes": "",
        "decision": "",
        "next_review_on": None,
        "admission_avoided": "",
        "decision_reason": "",
        "decided_at": None,
        "version": 1,
        "social_notes": "",
        "social_version": 1,
    }


def test_only_the_chair_patches(api, member, item):
    for role in ("pharmacist", "gp", "integrated_manager"):
        response = api(member(role)).patch(url(item), {"notes": "x"}, format="json")
        assert response.status_code == 403
    assert api(member("pic")).patch(url(item), {"notes": "x"}, format="json").status_code == 404
    item.refresh_from_db()
    assert item.notes == ""
    response = api(member("chair")).patch(
        url(item), {"notes": "Lives alone; daughter abroad"}, format="json"
    )
    assert response.status_code == 200 and response.json()["version"] == 2


def test_discharge_requires_admission_avoided(api, member, item):
    client = api(member("chair"))
    response = client.patch(url(item), {"decision": "discharge"}, format="json")
    assert response.status_code == 400 and "admission_avoided" in response.json()
    response = client.patch(
        url(item), {"decision": "discharge", "admission_avoided": "perhaps"}, format="json"
    )
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.decision == ""
    response = client.patch(
        url(item), {"decision": "discharge", "admission_avoided": "unsure"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "discussed"


def test_stale_version_is_409_with_the_current_one(api, member, item):
    client = api(member("chair"))
    client.patch(url(item), {"notes": "First", "version": 1}, format="json")
    response = client.patch(url(item), {"notes": "Second, stale", "version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["current"]["notes"] == "First"
    item.refresh_from_db()
    assert item.notes == "First"


def test_closed_meeting_items_cannot_change(api, member, item):
    services.meeting_close(meeting=meeting_started(item.meeting), by=member("chair", username="c2"))
    assert (
        api(member("chair")).patch(url(item), {"notes": "late"}, format="json").status_code == 409
    )


def test_manager_and_partner_see_no_meetings(api, member, item):
    """The PIC takes part (tests/huddles/test_pic.py); these roles do not."""
    for role in ("manager", "partner_system"):
        assert api(member(role)).get("/api/v1/huddles/").status_code == 403


def test_other_networks_meetings_are_404(api, member, item, other_network):
    outsider = member("chair", net=other_network)
    assert api(outsider).get(f"/api/v1/huddles/{item.meeting_id}/").status_code == 404
    assert api(outsider).patch(url(item), {"notes": "x"}, format="json").status_code == 404


def test_meeting_list_query_count_constant(api, member, item, django_assert_max_num_queries):
    client = api(member("chair"))
    with django_assert_max_num_queries(8):
        client.get("/api/v1/huddles/")
    assert Meeting.objects.count() >= 8


def test_meeting_and_stale_edit_match_the_published_schema(api, member, item):
    """Found by the API fuzz test: a meeting without a chair gives `"chair": null`, and a stale
    edit's 409 carries `detail` and `current`; the schema said neither."""
    from tests.openapi import assert_matches_schema

    client = api(member("chair"))
    response = client.get(f"/api/v1/huddles/{item.meeting_id}/")
    assert response.json()["chair"] is None
    assert_matches_schema(response, "get", "/api/v1/huddles/{id}/")
    client.patch(url(item), {"notes": "First", "version": 1}, format="json")
    stale = client.patch(url(item), {"notes": "Second, stale", "version": 1}, format="json")
    assert stale.status_code == 409
    assert_matches_schema(stale, "patch", "/api/v1/huddles/{meeting_pk}/items/{id}/")
