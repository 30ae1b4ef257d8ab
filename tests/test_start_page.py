"""Each role lands on the page its day starts on, at `/` and after log-in (a `next` still
wins): pharmacy on My day, the chair on the next meeting, managers on reports, the IG lead
on the access trail, care home staff on their residents, a partner system's account on the
API docs, and everyone else who does casework on My work."""

import datetime

import pytest
from django.utils import timezone

from huddles import services as huddles_services
from huddles.models import Meeting
from icn import dev
from networks.roles import Role
from tests.factories import meeting_started

pytestmark = pytest.mark.django_db

PASSWORD = "a-good-long-password"  # tests.factories.UserFactory

FIXED = {
    "pharmacist": "/medicines/my-day/",
    "pharmacy_technician": "/medicines/my-day/",
    "manager": "/reports/",
    "integrated_manager": "/reports/",
    "ig_lead": "/audit/",
    "commissioner": "/reports/networks/",
    "care_home_staff": "/patients/",
    "partner_system": "/api/v1/docs/",
}
MY_WORK = [r.value for r in Role if r.value not in FIXED and r.value != "chair"]


def test_every_role_is_decided_as_make_run_says():
    assert sorted([*FIXED, *MY_WORK, "chair"]) == sorted(r.value for r in Role)
    printed = dict(dev.DEMO_LOGINS)  # the block `make run` prints last
    assert sorted(MY_WORK) == sorted(printed["My work"])
    assert sorted(role for role, page in FIXED.items() if page == "/medicines/my-day/") == sorted(
        printed["My day"]
    )


@pytest.mark.parametrize("role", [*FIXED, *MY_WORK])
def test_each_role_lands_on_its_start_page_which_opens(client, member, role):
    client.force_login(member(role))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == FIXED.get(role, "/my-work/")
    assert client.get(response["Location"]).status_code == 200


def coming(network, days: int, chair) -> Meeting:
    return huddles_services.meeting_add(
        network=network,
        starts_at=timezone.now() + datetime.timedelta(days=days),
        reason="Urgent referral",
        by=chair,
    )


def test_the_chair_lands_on_the_next_scheduled_meeting(client, member, network):
    chair = member("chair")
    later, sooner = coming(network, 9, chair), coming(network, 2, chair)
    client.force_login(chair)
    response = client.get("/")
    assert response["Location"] == f"/meetings/{sooner.pk}/"
    assert client.get(response["Location"]).status_code == 200
    huddles_services.meeting_cancel(meeting=sooner, by=chair)
    assert client.get("/")["Location"] == f"/meetings/{later.pk}/"


def test_the_chair_lands_on_the_meeting_under_way_before_the_next(client, member, network):
    chair = member("chair")
    coming(network, 1, chair)
    under_way = meeting_started(coming(network, 3, chair), minutes=40)
    client.force_login(chair)
    assert client.get("/")["Location"] == f"/meetings/{under_way.pk}/"
    huddles_services.meeting_close(meeting=under_way, by=chair)
    assert client.get("/")["Location"] != f"/meetings/{under_way.pk}/"


def test_the_chair_without_a_meeting_lands_on_the_meetings_list(
    client, member, network, other_network
):
    chair = member("chair")
    coming(other_network, 1, member("chair", net=other_network, username="chair.elsewhere"))
    assert not Meeting.objects.filter(network=network).exists()
    client.force_login(chair)
    response = client.get("/")
    assert response["Location"] == "/meetings/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("role", ["chair", "pharmacist", "gp"])
def test_the_start_page_costs_the_same_however_many_meetings(
    client, member, network, role, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    chair = member("chair")
    client.force_login(member(role) if role != "chair" else chair)
    coming(network, 1, chair)
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for days in range(2, 12):
        coming(network, days, chair)
    assert len(one) <= 8
    with django_assert_max_num_queries(len(one)):
        client.get("/")


def test_the_start_page_follows_the_network_chosen(client, member, network, other_network):
    """A member of two networks lands by their role in the network they are working in."""
    user = member("pharmacist")
    member("manager", net=other_network, username=user.username)
    client.force_login(user)
    client.post("/network/switch/", {"network": "thornton-heath"})
    assert client.get("/")["Location"] == "/medicines/my-day/"
    client.post("/network/switch/", {"network": "purbeck"})
    assert client.get("/")["Location"] == "/reports/"


@pytest.mark.parametrize("role", ["pharmacist", "chair", "manager", "social_worker"])
def test_log_in_lands_on_the_start_page(client, member, role):
    user = member(role)
    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD},
        follow=True,
    )
    first_hop = response.redirect_chain[0][0]
    assert first_hop == "/", response.redirect_chain
    assert response.redirect_chain[1][0] == (
        "/meetings/" if role == "chair" else FIXED.get(role, "/my-work/")
    )


def test_next_after_log_in_still_wins(client, member):
    user = member("pharmacist")
    response = client.post(
        "/accounts/login/?next=/patients/",
        {"username": user.username, "password": PASSWORD, "next": "/patients/"},
    )
    assert response.status_code == 302 and response["Location"] == "/patients/"


def test_the_start_page_asks_for_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
