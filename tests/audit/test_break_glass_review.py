"""The IG lead's review of break-glass: the page (unreviewed first, a review form on each, the
navigation's count), the API, per role, bad input, and query counts that do not grow."""

import pytest

from audit.models import AccessEvent, BreakGlass
from audit.services import break_glass_record
from tests.factories import PatientFactory

# About restricted entries, on top of whatever clinical access a member has: every clinical
# member is involved here (conftest.everyone_involved; involvement: tests/patients).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]
PAGE = "/audit/break-glass/"
API = "/api/v1/break-glass/"


def _grant(by, patient, reason="Found collapsed", **kwargs):
    return break_glass_record(
        by=by,
        patient=patient,
        reason_code="vital_interests",
        reason=reason,
        channel="page",
        **kwargs,
    )


@pytest.fixture
def ig(member):
    return member("ig_lead")


@pytest.fixture
def grant(member, patient):
    return _grant(member("gp"), patient, entry_kind="visit", entry_id=5)


def test_the_ig_lead_lists_unreviewed_first_with_what_they_need(client, ig, member, patient, grant):
    older = _grant(member("community_nurse"), patient, reason="Old one")
    BreakGlass.objects.filter(pk=older.pk).update(
        reviewed_at=older.at, reviewed_by=ig, review_outcome="appropriate"
    )
    client.force_login(ig)
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(f'id="bg-{grant.pk}"') < page.index(f'id="bg-{older.pk}"')
    for shown in (
        patient.nhs_number,
        f"id {patient.pk}",
        "Vital interests",
        "Found collapsed",
        "A restricted visit (id 5)",
        "still open",
        "Not yet reviewed",
        "Break-glass, 1 to review",  # the navigation's count
    ):
        assert shown in page, shown
    assert patient.family_name not in page  # the IG lead opens no records
    assert page.count('/review/"') == 1  # a review form on the unreviewed only
    assert AccessEvent.objects.filter(what="break_glass_review", user_id=ig.pk).exists()


@pytest.mark.parametrize("role", ["chair", "gp", "manager", "pic", "integrated_manager"])
def test_other_roles_may_not_list_or_review(client, api, member, grant, role):
    user = member(role)
    client.force_login(user)
    assert client.get(PAGE).status_code == 403
    assert (
        client.post(f"{PAGE}{grant.pk}/review/", {"review_outcome": "appropriate"}).status_code
        == 403
    )
    assert api(user).get(API).status_code == 403
    response = api(user).post(f"{API}{grant.pk}/review/", {"review_outcome": "appropriate"})
    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_another_networks_grant_is_404(client, api, ig, member, other_network):
    foreign = _grant(member("gp", net=other_network), PatientFactory(network=other_network))
    client.force_login(ig)
    assert (
        client.post(f"{PAGE}{foreign.pk}/review/", {"review_outcome": "appropriate"}).status_code
        == 404
    )
    assert (
        api(ig).post(f"{API}{foreign.pk}/review/", {"review_outcome": "appropriate"}).status_code
        == 404
    )
    assert api(ig).get(API, {"network": other_network.slug}).status_code == 404
    assert [g["id"] for g in api(ig).get(API).json()["results"]] == []


def test_the_page_records_a_review_and_refuses_one_without_a_note(client, ig, grant):
    client.force_login(ig)
    url = f"{PAGE}{grant.pk}/review/"
    response = client.post(url, {"review_outcome": "inappropriate", "review_note": " "})
    assert response.status_code == 422
    assert f'id="bg{grant.pk}-review_note_error"' in response.content.decode()
    grant.refresh_from_db()
    assert grant.reviewed_at is None
    response = client.post(url, {"review_outcome": "inappropriate", "review_note": "Spoke to them"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.reviewed_by, grant.review_outcome, grant.review_note) == (
        ig,
        "inappropriate",
        "Spoke to them",
    )
    assert "to review" not in client.get(PAGE).content.decode()  # the count is gone


def test_the_api_lists_filters_and_reviews(api, ig, member, patient, grant):
    other = _grant(member("community_nurse"), patient)
    client = api(ig)
    data = client.get(API, {"reviewed": "false"}).json()["results"]
    assert {g["id"] for g in data} == {grant.pk, other.pk}
    assert data[0]["nhs_number"] == patient.nhs_number and "patient_name" not in data[0]
    bad = client.post(f"{API}{grant.pk}/review/", {"review_outcome": "inappropriate"})
    assert bad.status_code == 400 and "review_note" in bad.json()
    assert client.post(f"{API}{grant.pk}/review/", {"review_outcome": "maybe"}).status_code == 400
    done = client.post(f"{API}{grant.pk}/review/", {"review_outcome": "appropriate"})
    assert done.status_code == 200 and done.json()["reviewed_by"] == ig.username
    again = client.post(f"{API}{grant.pk}/review/", {"review_outcome": "appropriate"})
    assert again.status_code == 400
    assert [g["id"] for g in client.get(API, {"reviewed": "true"}).json()["results"]] == [grant.pk]
    assert [g["id"] for g in client.get(API, {"reviewed": "false"}).json()["results"]] == [other.pk]


def test_the_ig_leads_notification_opens_the_review_page(
    client, ig, member, patient, django_capture_on_commit_callbacks
):
    from notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        grant = _grant(member("gp"), patient)
    told = Notification.objects.get(recipient=ig)
    assert told.url.startswith(PAGE) and told.url.endswith(f"#bg-{grant.pk}")
    client.force_login(ig)
    assert client.get(told.url).status_code == 200


def test_the_trail_filters_break_glass(client, ig, member, patient, grant):
    client.force_login(ig)
    page = client.get("/audit/", {"break_glass": "true"}).content.decode()
    assert "break_glass" in page and "Break-glass only" in page


def test_the_page_and_api_cost_the_same_with_more_grants(
    client, api, ig, member, patient, grant, django_assert_max_num_queries
):
    client.force_login(ig)
    token = api(ig)
    client.get(PAGE)
    token.get(API)
    with django_assert_max_num_queries(30) as page_few:
        client.get(PAGE)
    with django_assert_max_num_queries(30) as api_few:
        token.get(API)
    for index in range(5):
        _grant(member("gp", username=f"gp{index}"), PatientFactory(network=patient.network))
    with django_assert_max_num_queries(len(page_few.captured_queries)):
        assert client.get(PAGE).status_code == 200
    with django_assert_max_num_queries(len(api_few.captured_queries)):
        assert len(token.get(API).json()["results"]) == 6
