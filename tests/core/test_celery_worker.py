"""The reminder path end to end: a real Celery worker process on the real Redis broker."""

import os
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from notifications.models import Notification
from tests.workers import solo_worker

ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def worker(transactional_db):
    with solo_worker(_test_database_url()) as proc:
        yield proc


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_assigning_a_task_notifies_the_assignee_through_the_worker(worker, api, member, patient):
    import datetime

    chair = member("chair")
    gp = member("gp")
    response = api(chair).post(
        "/api/v1/tasks/",
        {
            "patient": patient.pk,
            "title": "Check blood pressure",
            "assignee": gp.username,
            "due_on": (datetime.date.today() + datetime.timedelta(days=2)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201
    delivered = _wait_for(lambda: Notification.objects.filter(recipient=gp).exists())
    if not delivered:
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode(errors="replace")
        pytest.fail(f"no notification within 30s; worker said:\n{output[-3000:]}")
    notification = Notification.objects.get(recipient=gp)
    assert notification.title == "New task: Check blood pressure"
    assert notification.kind == "action_assigned"
    assert not Notification.objects.filter(recipient=chair).exists()
