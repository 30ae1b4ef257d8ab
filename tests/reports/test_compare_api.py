"""GET /api/v1/reports/networks/ and /networks/trend/: who may compare networks (commissioners,
managers of two or more), what they see (only networks they were given), bad input, the
trend per service, and a query count that does not grow with the networks."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import MembershipFactory, NetworkFactory, UserFactory

from .compare_world import build, london, practice, referrals

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/networks/"
TREND = "/api/v1/reports/networks/trend/"
PERIOD = {"from": "2026-06", "to": "2026-08"}


def user_with(*memberships):
    """A user with (network, role) memberships."""
    user = UserFactory()
    for network, role in memberships:
        MembershipFactory(user=user, network=network, role=role)
    return user


@pytest.fixture
def world(network, other_network):
    return build(network, other_network)


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["network"] for row in response.json()]


def test_a_commissioner_of_one_network_compares_it_alone(api, world):
    user = user_with((world["a"], "commissioner"))
    assert slugs(api(user).get(URL, PERIOD)) == ["thornton-heath"]


def test_a_commissioner_of_two_sees_those_two_only(api, world):
    # Commissioner of Purbeck and Fylde, pharmacist in Thornton Heath: never Thornton Heath.
    user = user_with(
        (world["b"], "commissioner"), (world["c"], "commissioner"), (world["a"], "pharmacist")
    )
    response = api(user).get(URL, PERIOD)
    assert slugs(response) == ["fylde", "purbeck"]
    purbeck = response.json()[1]
    # Purbeck against Fylde alone: Fylde has no population, so Purbeck is the whole system
    # (60 / 5,000 = 12 per 1,000 is the mean) and no outlier.
    assert purbeck["referrals_per_1000"] == 12.0
    assert purbeck["funnels"]["referrals_per_1000"]["mean"] == 12.0
    assert purbeck["outlier"] is None
    trend = api(user).get(TREND, PERIOD).json()
    assert {row["network"] for row in trend} == {"fylde", "purbeck"}


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        (("manager",), 403),
        (("manager", "manager"), 200),
        (("integrated_manager", "manager"), 200),
        (("manager", "chair"), 403),  # manages one only
        (("chair",), 403),
        (("chair", "chair"), 403),
        (("pharmacist", "gp"), 403),
        (("ig_lead",), 403),
    ],
)
def test_who_may_compare(api, network, other_network, roles, status):
    user = user_with(*zip((network, other_network), roles, strict=False))
    for url in (URL, TREND):
        response = api(user).get(url, PERIOD)
        assert response.status_code == status, (url, response.content)
    if status == 403:
        assert "commissioners" in response.json()["detail"]


def test_the_manager_of_two_sees_the_figures(api, world):
    user = user_with((world["a"], "manager"), (world["b"], "integrated_manager"))
    response = api(user).get(URL, PERIOD)
    assert slugs(response) == ["purbeck", "thornton-heath"]
    rows = {r["network"]: r for r in response.json()}
    # As in tests/reports/test_compare.py: 11 / 11,000 and 60 / 5,000 per 1,000, mean 71 / 16,000.
    assert rows["thornton-heath"]["referrals_per_1000"] == 1.0
    assert rows["thornton-heath"]["population"] == 11000
    assert rows["thornton-heath"]["limits"]["99.8"][0] > 1.0
    assert (rows["purbeck"]["outlier"], rows["thornton-heath"]["outlier"]) == ("high", "low")
    # Today is after 24 September 2026, so the discharge of 20 August has had its 30 days and
    # its admission of 25 August counts: 2 of 5 = 40 per 100 in Thornton Heath.
    assert rows["thornton-heath"]["admissions_after_discharge_per_100"] == 40.0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "June"}, "from"),
        ({"to": "2026-13"}, "to"),
        ({"from": "2026-08", "to": "2026-06"}, "to"),
        ({"from": "2020-01", "to": "2026-06"}, "to"),
    ],
)
def test_a_bad_period_is_400_naming_the_field(api, world, params, field):
    user = user_with((world["a"], "commissioner"))
    for url in (URL, TREND):
        response = api(user).get(url, params)
        assert response.status_code == 400, response.content
        assert list(response.json()) == [field]


def test_trend_rows_and_the_service_filter(api, world):
    user = user_with((world["a"], "commissioner"), (world["b"], "commissioner"))
    rows = api(user).get(TREND, PERIOD).json()
    # Thornton Heath: June 4 + 3 triaged to medicines, July 4 to the GP; Purbeck 22, 20, 18.
    assert rows == [
        {"network": "thornton-heath", "service": "gp", "month": "2026-07", "referrals": 4},
        {
            "network": "thornton-heath",
            "service": "medicines_optimisation",
            "month": "2026-06",
            "referrals": 7,
        },
        {
            "network": "purbeck",
            "service": "medicines_optimisation",
            "month": "2026-06",
            "referrals": 22,
        },
        {
            "network": "purbeck",
            "service": "medicines_optimisation",
            "month": "2026-07",
            "referrals": 20,
        },
        {
            "network": "purbeck",
            "service": "medicines_optimisation",
            "month": "2026-08",
            "referrals": 18,
        },
    ]
    gp = api(user).get(TREND, {**PERIOD, "service": "gp"}).json()
    assert gp == [
        {"network": "thornton-heath", "service": "gp", "month": "2026-07", "referrals": 4}
    ]
    unknown = api(user).get(TREND, {**PERIOD, "service": "astrology"})
    assert unknown.status_code == 400 and list(unknown.json()) == ["service"]


def _networks(n: int, by) -> list:
    made = []
    for i in range(n):
        net = NetworkFactory(slug=f"net-{i}", name=f"Network {i}")
        practice(net, f"P{i:04d}", {london(2026, 6, 1).date(): 1000 + i}, by)
        referrals(net, by, london(2026, 6, 10, 9), 2 + i)
        made.append(net)
    return made


def test_query_count_is_the_same_for_2_and_5_networks(api, django_assert_max_num_queries):
    by = UserFactory()
    nets = _networks(5, by)
    two = user_with(*((n, "commissioner") for n in nets[:2]))
    five = user_with(*((n, "commissioner") for n in nets))
    for url in (URL, TREND):
        with CaptureQueriesContext(connection) as few:
            assert len(slugs(api(two).get(url, PERIOD))) == 2
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert len(slugs(api(five).get(url, PERIOD))) == 5
