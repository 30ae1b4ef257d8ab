"""Restricted visits on the pages: the visit form's "Restrict this entry", what the person's
page, its timeline, the PDF summary and meeting mode show each role, the break-glass page
(per role, bad input, back to the visit opened) and restricting afterwards."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AccessEvent, BreakGlass
from medicines.models import Visit
from medicines.services import visit_log
from networks.models import Membership
from notifications.models import Notification
from tests.factories import PatientFactory

from .helpers import text, visit_data

# About restricted entries, on top of whatever clinical access a member has: every clinical
# member is involved here (conftest.everyone_involved; involvement: tests/patients).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]
SECRET = "Disclosed that her son hits her."


def _log(patient, by, *, restricted=True, summary=SECRET):
    return visit_log(
        patient=patient,
        by=by,
        kind="home",
        visited_at=timezone.now() - datetime.timedelta(hours=2),
        summary=summary,
        observations={"pulse": 131},
        restricted=restricted,
        restricted_reason="Domestic abuse disclosure" if restricted else "",
    ).visit


@pytest.fixture
def author(member):
    return member("pharmacist")


@pytest.fixture
def visit(author, patient):
    return _log(patient, author)


def test_the_visit_form_restricts_with_a_reason(client, author, patient):
    client.force_login(author)
    page = text(client.get(f"/medicines/patients/{patient.pk}/visit/"))
    assert "Restrict this entry" in page and 'name="restricted_reason"' in page
    response = client.post(
        f"/medicines/patients/{patient.pk}/visit/",
        visit_data(restricted="on", restricted_reason="Safeguarding"),
    )
    assert response.status_code == 302
    saved = Visit.objects.get()
    assert (saved.restricted, saved.restricted_reason, saved.restricted_by) == (
        True,
        "Safeguarding",
        author,
    )


def test_restricting_on_the_form_without_a_reason_is_422_and_saves_nothing(client, author, patient):
    client.force_login(author)
    response = client.post(f"/medicines/patients/{patient.pk}/visit/", visit_data(restricted="on"))
    assert response.status_code == 422
    page = text(response)
    assert 'id="id_restricted_reason_error"' in page and "Say why the entry is restricted" in page
    assert '<details class="nhsuk-details visit-part" id="restrict-part" open>' in page
    assert not Visit.objects.exists()


def _reader(member, patient, who, author):
    if who == "author":
        return author
    if who == "key_worker":
        user = member("community_nurse")
        patient.key_worker = Membership.objects.get(user=user, network=patient.network)
        patient.save(update_fields=["key_worker"])
        return user
    return member(who)


@pytest.mark.parametrize(
    ("who", "reads"),
    [
        ("author", True),
        ("key_worker", True),
        ("chair", True),
        ("gp", False),
        ("physiotherapist", False),
    ],
)
def test_the_person_page_timeline_and_pdf_show_a_restricted_visit_only_to_those_who_may(
    client, member, author, patient, visit, who, reads
):
    client.force_login(_reader(member, patient, who, author))
    person = text(client.get(f"/patients/{patient.pk}/"))
    timeline = text(client.get(f"/patients/{patient.pk}/timeline/?kind=visit"))
    for page in (person, timeline):
        assert (SECRET in page) is reads
    break_glass = f"/medicines/patients/{patient.pk}/visits/{visit.pk}/break-glass/"
    assert (break_glass in person) is not reads
    if not reads:
        assert "Restricted entry by" in person and "Break the glass" in person
        assert "Domestic abuse disclosure" not in person  # not even the reason
        assert "Restricted entry by" in timeline


def test_the_pic_sees_no_visits_and_no_break_glass(client, member, patient, visit):
    client.force_login(member("pic"))
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert SECRET not in page and "break-glass" not in page
    url = f"/medicines/patients/{patient.pk}/visits/{visit.pk}/break-glass/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason_code": "consent", "reason": "x"}).status_code == 403
    assert not BreakGlass.objects.exists()


@pytest.mark.parametrize("role", ["manager", "ig_lead"])
def test_roles_without_clinical_detail_may_not_break_the_glass_on_the_page(
    client, member, patient, visit, role
):
    client.force_login(member(role))
    url = f"/medicines/patients/{patient.pk}/visits/{visit.pk}/break-glass/"
    assert client.post(url, {"reason_code": "consent", "reason": "x"}).status_code in (403, 404)
    assert not BreakGlass.objects.exists()


def test_the_break_glass_page_opens_the_visit_and_tells_at_once(
    client, member, author, patient, visit, django_capture_on_commit_callbacks, settings
):
    settings.BREAK_GLASS_HOURS = 4
    gp, ig = member("gp"), member("ig_lead")
    client.force_login(gp)
    url = f"/medicines/patients/{patient.pk}/visits/{visit.pk}/break-glass/"
    form = text(client.get(url))
    for label in (
        "The person has consented",
        "Vital interests: risk to life or serious harm",
        "Safeguarding",
        "A legal duty or a court order",
        "4 hours",
        "The information governance lead is told at once",
    ):
        assert label in form, label
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason_code": "safeguarding", "reason": "Police asked"})
    assert response.status_code == 302
    assert response.url == f"/patients/{patient.pk}/#visits"
    assert SECRET in text(client.get(response.url))
    grant = BreakGlass.objects.get()
    assert (grant.entry_kind, grant.entry_id, grant.entry_author_id) == (
        "visit",
        visit.pk,
        author.pk,
    )
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {ig.pk, author.pk}
    assert AccessEvent.objects.filter(what="break_glass", user_id=gp.pk).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"reason": "x"}, "reason_code"), ({"reason_code": "legal", "reason": " "}, "reason")],
)
def test_the_break_glass_page_refuses_bad_input_with_422(
    client, member, patient, visit, data, field
):
    client.force_login(member("gp"))
    url = f"/medicines/patients/{patient.pk}/visits/{visit.pk}/break-glass/"
    response = client.post(url, data)
    assert response.status_code == 422
    assert f"id_{field}" in text(response) and "nothing has been saved" in text(response)
    assert not BreakGlass.objects.exists()


def test_a_visit_of_another_network_is_404_on_the_page(client, member, other_network):
    foreign = PatientFactory(network=other_network)
    visit = _log(foreign, member("pharmacist", net=other_network))
    client.force_login(member("gp"))
    url = f"/medicines/patients/{foreign.pk}/visits/{visit.pk}/break-glass/"
    assert client.get(url).status_code == 404


def test_the_author_restricts_afterwards_and_others_may_not(client, member, author, patient):
    visit = _log(patient, author, restricted=False, summary="Plain")
    url = f"/medicines/patients/{patient.pk}/visits/{visit.pk}/restrict/"
    client.force_login(member("gp"))
    assert client.post(url, {"restricted": "on", "restricted_reason": "x"}).status_code == 403
    client.force_login(author)
    assert f"/visits/{visit.pk}/restrict/" in text(client.get(f"/patients/{patient.pk}/"))
    assert client.post(url, {"restricted": "on"}).status_code == 422
    visit.refresh_from_db()
    assert not visit.restricted
    assert client.post(url, {"restricted": "on", "restricted_reason": "Wish"}).status_code == 302
    visit.refresh_from_db()
    assert visit.restricted and visit.restricted_reason == "Wish"


def test_meeting_mode_seals_a_restricted_visit(client, member, patient, visit):
    from huddles import services

    meeting = services.next_meeting(patient.network)
    item = services.agenda_add(meeting=meeting, patient=patient, by=member("chair"), reason="x")
    client.force_login(member("gp"))
    page = text(client.get(f"/meetings/{meeting.pk}/run/{item.pk}/"))
    assert SECRET not in page and "Restricted entry by" in page


def test_the_person_page_costs_the_same_with_more_visits_restricted_or_not(
    client, member, author, patient, django_assert_max_num_queries
):
    client.force_login(member("gp"))
    _log(patient, author)
    client.get(f"/patients/{patient.pk}/")
    with django_assert_max_num_queries(60) as few:
        client.get(f"/patients/{patient.pk}/")
    for index in range(6):
        restricted = index % 2 == 0
        _log(patient, author, restricted=restricted, summary=SECRET if restricted else "Plain")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = text(client.get(f"/patients/{patient.pk}/"))
    assert SECRET not in page and "Plain" in page
