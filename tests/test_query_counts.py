"""No page or endpoint grows its query count with its rows: each is measured with few rows
and with many, and must issue exactly as many queries both times."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.services import access_record
from notifications.services import notification_send
from tests.factories import ActionFactory, PatientFactory

pytestmark = pytest.mark.django_db


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def grow(kind, network, chair, n):
    if kind == "patients":
        PatientFactory.create_batch(n, network=network)
    elif kind == "events":
        access_record(
            user=chair,
            patients=PatientFactory.create_batch(n, network=network),
            what="detail",
            channel="page",
        )
    elif kind == "tasks":
        ActionFactory.create_batch(n, patient=PatientFactory(network=network), assignee_role="gp")
    elif kind == "notifications":
        for i in range(n):
            notification_send(
                recipient=chair, occurrence=f"{kind}-{n}-{i}", kind="t", title="t", network=network
            )


CASES = [
    ("page", "/patients/", "patients"),
    ("page", "/audit/", "events"),
    ("page", "/audit/?refused=false&date_from=2020-01-01", "events"),
    ("api", "/api/v1/access-events/", "events"),
    ("api", "/api/v1/tasks/", "tasks"),
    ("api", "/api/v1/huddles/", None),
    ("api", "/api/v1/patients/", "patients"),
    ("api", "/api/v1/notifications/", "notifications"),
    ("api", "/api/v1/networks/", None),
]


@pytest.mark.parametrize(("channel", "url", "kind"), CASES, ids=[c[1] for c in CASES])
def test_queries_do_not_grow_with_rows(client, api, member, network, channel, url, kind):
    chair = member("chair")
    if channel == "page":
        client.force_login(chair)
        get = lambda: client.get(url)  # noqa: E731
    else:
        token_client = api(chair)
        get = lambda: token_client.get(url)  # noqa: E731
    grow(kind, network, chair, 2)
    few = count_queries(get)
    grow(kind, network, chair, 30)
    many = count_queries(get)
    assert many == few, f"{url}: {few} queries with few rows, {many} with many"


def test_patient_access_log_queries_do_not_grow(client, member, patient):
    chair = member("chair")
    client.force_login(chair)
    access_record(user=chair, patients=[patient], what="detail", channel="page")
    few = count_queries(lambda: client.get(f"/patients/{patient.pk}/access-log/"))
    access_record(user=chair, patients=[patient] * 40, what="detail", channel="page")
    many = count_queries(lambda: client.get(f"/patients/{patient.pk}/access-log/"))
    assert many == few
