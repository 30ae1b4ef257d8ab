import pytest
from knox.models import AuthToken

from networks.models import Membership
from networks.services import membership_add, membership_deactivate

pytestmark = pytest.mark.django_db


def test_token_for_a_member_and_then_me(api, member, network):
    member("pharmacist")
    response = api().post(
        "/api/v1/auth/token/",
        {"username": "pharmacist.thornton-heath", "password": "a-good-long-password"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/").json()
    assert me["username"] == "pharmacist.thornton-heath"
    assert me["networks"] == [
        {
            "slug": "thornton-heath",
            "name": "Thornton Heath",
            "role": "pharmacist",
            "role_label": "Pharmacist",
        }
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"username": "pharmacist.thornton-heath", "password": "wrong"},
        {"username": "nobody", "password": "a-good-long-password"},
        {"username": "pharmacist.thornton-heath"},
        {},
    ],
)
def test_token_refused_for_bad_credentials(api, member, body):
    member("pharmacist")
    response = api().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_no_token_without_an_active_membership(api, member):
    user = member("pharmacist")
    membership_deactivate(membership=Membership.objects.get(user=user), by=None)
    response = api().post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": "a-good-long-password"},
        format="json",
    )
    assert response.status_code == 400
    assert "no active network membership" in str(response.json())


def test_repeated_failures_lock_the_account_out(api, member, settings):
    member("pharmacist")
    body = {"username": "pharmacist.thornton-heath", "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api().post("/api/v1/auth/token/", body, format="json")
    good = {"username": "pharmacist.thornton-heath", "password": "a-good-long-password"}
    response = api().post("/api/v1/auth/token/", good, format="json")
    assert response.status_code in (400, 403, 429)
    assert not AuthToken.objects.exists()


def test_networks_lists_only_mine_with_terminology(api, member, network, other_network):
    response = api(member("chair")).get("/api/v1/networks/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": "thornton-heath",
            "name": "Thornton Heath",
            "terminology": {
                "network": "integrated community network",
                "meeting": "huddle",
                "chair": "network facilitator",
            },
            "cadence": "fortnightly",
            "vocabulary": "icn",
            "meeting_weekdays": [1],
            "meeting_time": "13:00:00",
            "bank_holidays": "next_working_day",
            "gp_practices": [],
            "involvement_required": True,
        }
    ]


def test_network_detail_mine_and_hub_vocabulary(api, member, other_network):
    user = member("pic", net=other_network)
    body = api(user).get("/api/v1/networks/purbeck/").json()
    assert body["terminology"] == {
        "network": "integrated hub",
        "meeting": "virtual ward",
        "chair": "health and social care coordinator",
    }
    assert body["cadence"] == "twice_weekly"


def test_network_detail_not_mine_is_404(api, member, network, other_network):
    assert api(member("chair")).get("/api/v1/networks/purbeck/").status_code == 404
    assert api(member("chair", username="x")).get("/api/v1/networks/nope/").status_code == 404


def test_terms_can_be_overridden(network):
    network.term_meeting = "MDT meeting"
    assert network.terminology["meeting"] == "MDT meeting"
    assert network.terms["meetings"] == "MDT meetings"


def test_user_in_two_networks(api, member, network, other_network):
    user = member("pharmacist")
    membership_add(user=user, network=other_network, role="gp", by=None)
    me = api(user).get("/api/v1/me/").json()
    assert [(n["slug"], n["role"]) for n in me["networks"]] == [
        ("purbeck", "gp"),
        ("thornton-heath", "pharmacist"),
    ]
    assert len(api(user).get("/api/v1/networks/").json()) == 2


def test_network_matches_the_published_schema(api, member, network):
    """Found by the API fuzz test: `meeting_time` ("13:00:00", local) was documented as
    `format: time`, which requires an offset."""
    from tests.openapi import assert_matches_schema

    response = api(member("gp")).get("/api/v1/networks/thornton-heath/")
    assert response.json()["meeting_time"] == "13:00:00"
    assert_matches_schema(response, "get", "/api/v1/networks/{slug}/")


def test_token_endpoint_ignores_a_stale_token_header(api, member):
    """Found by the API fuzz test: the schema said the token endpoint needs a token, and a
    stale `Authorization` header got 401 instead of a new token."""
    from tests.openapi import raw_schema

    member("pharmacist")
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token deleted-long-ago")
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "pharmacist.thornton-heath", "password": "a-good-long-password"},
        format="json",
    )
    assert response.status_code == 200
    assert "security" not in raw_schema()["paths"]["/api/v1/auth/token/"]["post"]
