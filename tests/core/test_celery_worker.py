"""The reminder path end to end: a real Celery worker process on the real Redis broker."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from icn.celery import app
from notifications.models import Notification

ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def worker(transactional_db):
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("icn-test")
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DJANGO_SETTINGS_MODULE": "icn.settings.test",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "icn",
            "worker",
            "-Q",
            "icn-test",
            "--pool",
            "solo",
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


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
