"""/reports/networks/: who may open it, a bad period (422 with an error summary), a funnel plot
drawn as inline SVG beside each table with one dot per network, the outliers named in words,
the monthly trend per service, the dashboard's link, and a query count that does not grow
with the networks."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.compare import METRICS
from tests.factories import UserFactory

from .compare_world import build
from .helpers import text
from .test_compare_api import _networks, user_with

pytestmark = pytest.mark.django_db

PAGE = "/reports/networks/"
PERIOD = {"from": "2026-06", "to": "2026-08"}


@pytest.fixture
def world(network, other_network):
    return build(network, other_network)


@pytest.fixture
def commissioner(client, world):
    user = user_with(*((world[k], "commissioner") for k in "abc"))
    client.force_login(user)
    return user


def svg_of(html: str, code: str) -> str:
    """The funnel plot of one metric (its <svg> element)."""
    found = re.search(rf'<svg[^>]*aria-labelledby="funnel-{code}-title[^"]*".*?</svg>', html, re.S)
    assert found, code
    return found.group(0)


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        (("commissioner",), 200),
        (("manager",), 403),
        (("manager", "manager"), 200),
        (("chair",), 403),
        (("pharmacist",), 403),
    ],
)
def test_who_may_open_the_page(client, network, other_network, roles, status):
    user = user_with(*zip((network, other_network), roles, strict=False))
    client.force_login(user)
    response = client.get(PAGE, PERIOD)
    assert response.status_code == status
    if status == 403:
        assert "for commissioners, and for managers of two or more networks" in text(response)


def test_a_bad_period_is_422_with_an_error_summary(client, commissioner):
    response = client.get(PAGE, {"from": "June", "to": "2026-08"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="nhsuk-error-summary"' in html
    assert '<a href="#period-from">Give a month as YYYY-MM' in html
    assert 'id="period-from"' in html and "nhsuk-input--error" in html
    assert "funnel__svg" not in html
    backwards = client.get(PAGE, {"from": "2026-08", "to": "2026-06"})
    assert backwards.status_code == 422
    assert "The last month cannot be before the first." in text(backwards)
    unknown = client.get(PAGE, {**PERIOD, "service": "astrology"})
    assert unknown.status_code == 422 and "Choose a service from the list." in text(unknown)


def test_each_metric_has_a_funnel_plot_with_a_dot_per_network(client, commissioner):
    response = client.get(PAGE, PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    for metric in METRICS:
        svg = svg_of(html, metric.code)
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        # The mean, and two curves (upper and lower) for each of the 95% and 99.8% limits.
        assert svg.count('class="funnel__mean"') == 1
        assert svg.count("funnel__limit--95") == 2 and svg.count("funnel__limit--998") == 2
    # Per 1,000: Fylde has no population, so two dots (Purbeck and Thornton Heath).
    referrals = svg_of(html, "referrals_per_1000")
    assert referrals.count('class="funnel__network') == 2
    assert "Fylde" not in re.sub(r"<desc.*?</desc>", "", referrals, flags=re.S)
    # Purbeck is beyond the limits above, Thornton Heath below: marked (a diamond) and named.
    assert referrals.count("funnel__network--outlier") == 2
    assert "Purbeck (high)</text>" in referrals and "Thornton Heath (low)</text>" in referrals
    # Per 100 discharged: all three have discharges, no outlier.
    after = svg_of(html, "admissions_after_discharge_per_100")
    assert after.count('class="funnel__network"') == 3
    # The curves have 40 points each (M + 39 L).
    upper = re.search(r'class="funnel__limit funnel__limit--95" d="([^"]+)"', referrals).group(1)
    assert upper.count("L") == 39 and upper.startswith("M")


def test_the_outliers_are_named_in_words(client, commissioner):
    page = text(client.get(PAGE, PERIOD))
    assert (
        "Purbeck: referrals per 1,000 population higher than the system, beyond the 99.8% limits"
        in page
    )
    assert (
        "Thornton Heath: referrals per 1,000 population lower than the system, beyond the 99.8% "
        "limits" in page
    )
    # The table beside the plot: Purbeck 60 of 5,000 = 12.0 per 1,000; Fylde's population
    # is not known (a dash).
    assert "Purbeck Value 12.00 Count 60 of 5,000" in page  # per 1,000: two places
    assert "Fylde Value \u2013 Count 5 95% limits \u2013 99.8% limits \u2013 Outlier No" in page


def test_the_monthly_trend_per_service(client, commissioner):
    page = text(client.get(PAGE, PERIOD))
    # Thornton Heath: 7 in June (7 / 11,000 x 1,000 = 0.64), 4 in July (0.36), none in August.
    assert "Thornton Heath 2026-06 7 (0.64) 2026-07 4 (0.36) 2026-08 0 (0.00)" in page
    # Purbeck 22, 20, 18 over 5,000: 4.40, 4.00, 3.60. Fylde: counts only, not drawn.
    assert "Purbeck 2026-06 22 (4.40) 2026-07 20 (4.00) 2026-08 18 (3.60)" in page
    assert "Fylde 2026-06 0 2026-07 0 2026-08 5" in page
    assert "for want of population figures (counts in the table): Fylde." in page
    html = client.get(PAGE, {**PERIOD, "service": "gp"}).content.decode()
    assert "Thornton Heath 2026-06 0 (0.00) 2026-07 4 (0.36)" in text_of(html)
    assert "Purbeck 2026-06 0 (0.00) 2026-07 0 (0.00) 2026-08 0 (0.00)" in text_of(html)
    trend = re.search(r'<svg[^>]*aria-labelledby="trend-title.*?</svg>', html, re.S).group(0)
    assert trend.count('class="trend__line"') == 2  # Purbeck and Thornton Heath


def text_of(html: str) -> str:
    class Response:
        content = html.encode()

    return text(Response())


def test_the_dashboard_links_to_it_for_those_who_may_compare(client, network, other_network):
    both = user_with((network, "manager"), (other_network, "manager"))
    client.force_login(both)
    assert 'href="/reports/networks/"' in client.get("/reports/").content.decode()
    one = user_with((network, "manager"))
    client.force_login(one)
    response = client.get("/reports/")
    assert response.status_code == 200
    assert 'href="/reports/networks/"' not in response.content.decode()


def test_query_count_is_the_same_for_2_and_5_networks(client, django_assert_max_num_queries):
    nets = _networks(5, UserFactory())
    two = user_with(*((n, "commissioner") for n in nets[:2]))
    five = user_with(*((n, "commissioner") for n in nets))
    client.force_login(two)
    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE, PERIOD).status_code == 200
    client.force_login(five)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(PAGE, PERIOD)
    assert response.status_code == 200
    assert svg_of(response.content.decode(), "referrals_per_1000").count("funnel__network") == 5
