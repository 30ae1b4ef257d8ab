"""GET /api/v1/reports/admissions-avoided/ as API.md writes it, and the dashboard API."""

from datetime import UTC, datetime

import pytest

from huddles.models import Episode
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/admissions-avoided/"


def closed(network, when, answer):
    Episode.objects.create(
        patient=PatientFactory(network=network),
        network=network,
        opened_at=datetime(2026, 1, 1, tzinfo=UTC),
        closed_at=when,
        admission_avoided=answer,
    )


@pytest.fixture
def discharges(network, other_network):
    closed(network, datetime(2026, 4, 2, 10, tzinfo=UTC), "yes")
    closed(network, datetime(2026, 4, 3, 10, tzinfo=UTC), "yes")
    closed(network, datetime(2026, 5, 3, 10, tzinfo=UTC), "no")
    closed(network, datetime(2026, 6, 3, 10, tzinfo=UTC), "unsure")
    closed(other_network, datetime(2026, 4, 3, 10, tzinfo=UTC), "yes")


@pytest.mark.parametrize("role", ["manager", "integrated_manager", "chair"])
def test_the_contract(api, member, discharges, role):
    response = api(member(role)).get(
        URL, {"network": "thornton-heath", "from": "2026-04", "to": "2026-06"}
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "network": "thornton-heath",
        "months": [
            {"month": "2026-04", "yes": 2, "no": 0, "unsure": 0},
            {"month": "2026-05", "yes": 0, "no": 1, "unsure": 0},
            {"month": "2026-06", "yes": 0, "no": 0, "unsure": 1},
        ],
        "total_yes": 2,
        "basis": "The MDT's own estimate, recorded at discharge.",
    }


@pytest.mark.parametrize("role", ["gp", "pharmacist", "pic", "social_worker", "partner_system"])
def test_other_roles_are_refused(api, member, discharges, role):
    response = api(member(role)).get(URL, {"network": "thornton-heath"})
    assert response.status_code == 403


def test_another_network_is_404(api, member, discharges):
    assert api(member("manager")).get(URL, {"network": "purbeck"}).status_code == 404
    assert api(member("manager")).get(URL, {"network": "nowhere"}).status_code == 404


def test_anonymous_is_401(api):
    assert api().get(URL, {"network": "thornton-heath"}).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "network"),
        ({"network": "thornton-heath", "from": "April"}, "from"),
        ({"network": "thornton-heath", "from": "2026-13"}, "from"),
        ({"network": "thornton-heath", "from": "2026-06", "to": "2026-04"}, "to"),
        ({"network": "thornton-heath", "from": "2020-01", "to": "2026-04"}, "to"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, member, params, field):
    response = api(member("manager")).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_default_period_is_the_last_twelve_months(api, member):
    months = api(member("manager")).get(URL, {"network": "thornton-heath"}).json()["months"]
    assert len(months) == 12


def test_a_manager_in_two_networks_sees_both_on_the_dashboard(
    api, member, discharges, other_network
):
    from networks.models import Membership

    manager = member("manager")
    Membership.objects.create(user=manager, network=other_network, role="manager")
    client = api(manager)
    both = client.get("/api/v1/reports/dashboard/", {"from": "2026-04", "to": "2026-04"}).json()
    assert both["networks"] == ["purbeck", "thornton-heath"]
    assert both["admissions_avoided"] == [{"month": "2026-04", "yes": 3, "no": 0, "unsure": 0}]
    one = client.get(
        "/api/v1/reports/dashboard/", {"network": "purbeck", "from": "2026-04", "to": "2026-04"}
    ).json()
    assert one["admissions_avoided"][0]["yes"] == 1
    assert set(one) >= {
        "admissions_after_discharge",
        "referrals",
        "triage_working_days",
        "caseload",
        "visits",
        "red_flags",
        "meetings",
        "goals",
    }


def test_a_manager_of_one_network_never_sees_anothers_figures(api, member, discharges):
    data = (
        api(member("manager"))
        .get("/api/v1/reports/dashboard/", {"from": "2026-04", "to": "2026-04"})
        .json()
    )
    assert data["networks"] == ["thornton-heath"]
    assert data["admissions_avoided"][0]["yes"] == 2


def test_dashboard_query_count_does_not_grow(api, member, network, django_assert_max_num_queries):
    client = api(member("manager"))
    with django_assert_max_num_queries(30) as few:
        client.get("/api/v1/reports/dashboard/")
    for day in range(1, 28):
        closed(network, datetime(2026, 4, day, 10, tzinfo=UTC), "yes")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/reports/dashboard/").status_code == 200
