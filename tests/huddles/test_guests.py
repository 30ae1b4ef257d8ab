"""Guests at a meeting who are not members of the network (API.md 1.1, Roles added): the
chair adds and removes them in meeting mode's attendance panel, the minutes name them, bad
input is refused with nothing saved, and every change is in the row's history."""

import pytest
from django.core.exceptions import ValidationError

from core.errors import Conflict
from huddles import services
from huddles.models import Guest
from tests.huddles.test_views import HX, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair(member):
    return member("chair")


@pytest.fixture
def meeting(network):
    return services.next_meeting(network)


@pytest.fixture
def item(meeting, patient, chair):
    return services.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Falls")


def guests_url(meeting):
    return f"/meetings/{meeting.pk}/guests/"


def test_chair_adds_a_guest_shown_in_meeting_mode_and_the_minutes(client, chair, meeting, item):
    client.force_login(chair)
    response = client.post(
        guests_url(meeting),
        {"name": "Joan Okafor", "role": "Daughter", "organisation": "", "item": item.pk},
        headers=HX,
    )
    assert response.status_code == 200
    assert "Added Joan Okafor." in text(response) and "Joan Okafor, Daughter" in text(response)
    guest = Guest.objects.get(meeting=meeting)
    assert (guest.name, guest.role, guest.organisation, guest.added_by) == (
        "Joan Okafor",
        "Daughter",
        "",
        chair,
    )
    services.guest_add(
        meeting=meeting,
        name="Pat Lodge",
        role="Manager",
        organisation="Heathfield Lodge Care Home",
        by=chair,
    )
    run = text(client.get(f"/meetings/{meeting.pk}/run/{item.pk}/"))
    assert "Guests who are not members (2)" in run
    minutes = text(client.get(f"/meetings/{meeting.pk}/minutes/"))
    assert "Guests" in minutes
    assert "Joan Okafor, Daughter; Pat Lodge, Manager (Heathfield Lodge Care Home)" in minutes


def test_without_htmx_the_chair_goes_back_to_the_person(client, chair, meeting, item):
    client.force_login(chair)
    response = client.post(guests_url(meeting), {"name": "Dr Qureshi", "item": item.pk})
    assert response.status_code == 302
    assert response["Location"] == f"/meetings/{meeting.pk}/run/{item.pk}/"
    assert Guest.objects.filter(meeting=meeting, name="Dr Qureshi").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Give the guest's name."),
        ({"name": "   "}, "Give the guest's name."),
        ({"name": "x" * 121}, "Keep the name to 120 characters."),
        ({"name": "Joan", "role": "r" * 121}, "Keep the role to 120 characters."),
        ({"name": "Joan", "organisation": "o" * 201}, "Keep the organisation to 200 characters."),
        ({"name": "Joan\r\nOkafor"}, "line"),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_saved(client, chair, meeting, data, message):
    client.force_login(chair)
    response = client.post(guests_url(meeting), data, headers=HX)
    assert response.status_code == 422
    assert "The guest was not added" in text(response) and message in text(response)
    assert not Guest.objects.exists()
    followed = client.post(guests_url(meeting), data, follow=True)
    assert "The guest was not added" in text(followed)
    assert not Guest.objects.exists()


def test_service_refuses_a_blank_name(meeting, chair):
    with pytest.raises(ValidationError):
        services.guest_add(meeting=meeting, name=" ", by=chair)
    assert not Guest.objects.exists()


def test_chair_removes_a_guest_and_history_keeps_them(client, chair, meeting):
    guest = services.guest_add(meeting=meeting, name="Joan Okafor", by=chair)
    client.force_login(chair)
    response = client.post(f"{guests_url(meeting)}{guest.pk}/remove/", headers=HX)
    assert response.status_code == 200 and "Removed Joan Okafor." in text(response)
    assert not Guest.objects.exists()
    labels = list(
        Guest.pgh_event_model.objects.filter(pgh_obj_id=guest.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "name")
    )
    assert labels == [("insert", "Joan Okafor"), ("delete", "Joan Okafor")]
    # Who did it: the chair, from the page (core.attribution).
    removed = Guest.pgh_event_model.objects.select_related("pgh_context").get(
        pgh_obj_id=guest.pk, pgh_label="delete"
    )
    assert removed.pgh_context.metadata["user"] == chair.pk


def test_a_guest_of_another_meeting_is_404(client, chair, meeting, network):
    other = services.meeting_add(
        network=network, starts_at=meeting.starts_at.replace(hour=8), reason="Urgent", by=chair
    )
    guest = services.guest_add(meeting=other, name="Joan", by=chair)
    client.force_login(chair)
    assert client.post(f"{guests_url(meeting)}{guest.pk}/remove/").status_code == 404
    assert Guest.objects.filter(pk=guest.pk).exists()


@pytest.mark.parametrize("role", ["gp", "pic", "care_home_staff", "manager"])
def test_only_the_chair_adds_or_removes(client, member, chair, meeting, role):
    guest = services.guest_add(meeting=meeting, name="Joan", by=chair)
    client.force_login(member(role))
    assert client.post(guests_url(meeting), {"name": "Someone"}).status_code == 403
    assert client.post(f"{guests_url(meeting)}{guest.pk}/remove/").status_code == 403
    assert list(Guest.objects.values_list("name", flat=True)) == ["Joan"]


def test_a_cancelled_meeting_takes_no_guests(client, chair, meeting):
    guest = services.guest_add(meeting=meeting, name="Joan", by=chair)
    services.meeting_cancel(meeting=meeting, by=chair, reason="Snow")
    meeting.refresh_from_db()
    with pytest.raises(Conflict):
        services.guest_add(meeting=meeting, name="Pat", by=chair)
    client.force_login(chair)
    response = client.post(guests_url(meeting), {"name": "Pat"}, headers=HX)
    assert response.status_code == 422 and "is cancelled, so it cannot be changed" in text(response)
    client.post(f"{guests_url(meeting)}{guest.pk}/remove/")
    assert list(Guest.objects.values_list("name", flat=True)) == ["Joan"]


@pytest.mark.parametrize("page", ["run", "minutes"])
def test_query_counts_do_not_grow_with_guests(
    client, chair, meeting, item, page, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(chair)
    url = {
        "run": f"/meetings/{meeting.pk}/run/{item.pk}/",
        "minutes": f"/meetings/{meeting.pk}/minutes/",
    }[page]
    services.guest_add(meeting=meeting, name="Guest 0", by=chair)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(1, 12):
        services.guest_add(meeting=meeting, name=f"Guest {n}", by=chair)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert "Guest 11" in text(client.get(url))


@pytest.mark.parametrize("template", ["huddles/minutes_email.txt", "pdf/minutes.html"])
def test_the_minutes_email_and_pdf_name_the_guests(meeting, chair, template):
    from django.template.loader import render_to_string

    from huddles.minutes import minutes_context

    services.guest_add(meeting=meeting, name="Joan Okafor", role="Daughter", by=chair)
    rendered = text_of(render_to_string(template, minutes_context(meeting)))
    assert "Joan Okafor, Daughter" in rendered and "Guests" in rendered


def text_of(rendered: str) -> str:
    import html

    return html.unescape(rendered)
