import pytest

pytestmark = pytest.mark.django_db


def test_commissioner_compares(api, member, network, other_network):
    user = member("commissioner")
    from networks.models import Membership

    Membership.objects.create(user=user, network=other_network, role="commissioner")
    client = api(user)
    response = client.get("/api/v1/reports/networks/?from=2026-01&to=2026-06")
    assert response.status_code == 200, response.content
    assert len(response.json()) == 2
    response = client.get("/api/v1/reports/networks/trend/?from=2026-01&to=2026-06")
    assert response.status_code == 200, response.content
