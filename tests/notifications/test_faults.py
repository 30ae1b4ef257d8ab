"""Faults, with real processes: a Celery worker (prefork, as deployed) and beat on a Redis server
of the test's own, which the test stops and starts again, against the test database.

(a) The worker killed in the middle of a task: after a restart the reminder arrives exactly once.
(b) Redis down: requests still succeed within a second, and the notifications arrive once Redis
    is back, found again by beat's sweep.
(c) The sweep run twice, together and in a row, by two beats: nobody hears anything twice.

A task is held "in the middle" by a PostgreSQL lock on a table it reads (tests/workers.py), so
the kill lands at a known point without mocking anything or adding hooks to the code."""

import datetime
import logging
import os
import signal
import threading
import time
import uuid

import pytest
from django.conf import settings
from kombu import pools
from kombu.exceptions import OperationalError

from actions.models import Action
from huddles.models import Meeting
from icn.celery import app
from notifications.models import Notification
from notifications.tasks import sweep_reminders
from tests.factories import ActionFactory
from tests.workers import CeleryProcess, RedisServer, TableLock, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SWEEP = "notifications.tasks.sweep_reminders"
# Production keeps 1200 s (above the task time limit). Kombu gives a message that was taken but
# never acknowledged back to the queue once it is older than this; short here, so that the test
# sees a killed worker's message come back.
VISIBILITY_TIMEOUT = 3


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.remove()


class Broker:
    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self.queue = f"icn-faults-{uuid.uuid4().hex[:8]}"
        self.conf = {
            "task_default_queue": self.queue,
            "broker_transport_options": {
                **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                "visibility_timeout": VISIBILITY_TIMEOUT,
                # look for such messages every second (default: every 100 s)
                "unacked_restore_interval": 1,
                "unacked_restore_throttle": 1,
            },
        }
        self.processes: list[CeleryProcess] = []
        self.locks: list[TableLock] = []

    def unacked(self) -> int:
        """Messages a worker has taken and not yet acknowledged (kombu's `unacked` hash)."""
        return self.server.client().hlen("unacked")

    def waiting(self) -> int:
        return self.server.client().llen(self.queue)

    def worker(self, concurrency: int = 1, **transport_options) -> CeleryProcess:
        number = len(self.processes) + 1
        conf = self.conf
        if transport_options:
            options = {**conf["broker_transport_options"], **transport_options}
            conf = {**conf, "broker_transport_options": options}
        process = CeleryProcess(
            [
                "worker",
                "-Q",
                self.queue,
                "--pool",
                "prefork",
                "--concurrency",
                str(concurrency),
                "-n",
                f"faults{number}@%h",
                "-l",
                "info",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            broker_url=self.server.url,
            conf=conf,
            name=f"worker{number}",
        )
        self.processes.append(process.start())
        if not wait_for(lambda: " ready." in process.output(), timeout=30):
            pytest.fail(f"the worker did not start:\n{process.output()[-3000:]}")
        return process

    def beat(self) -> CeleryProcess:
        """Beat with the deployment's scheduler (django-celery-beat) and the sweep every
        second."""
        number = len(self.processes) + 1
        conf = {
            **self.conf,
            "beat_schedule": {"sweep-reminders": {"task": SWEEP, "schedule": 1.0}},
        }
        process = CeleryProcess(
            ["beat", "-l", "info"],
            broker_url=self.server.url,
            conf=conf,
            name=f"beat{number}",
        )
        self.processes.append(process.start())
        return process

    def lock(self, model) -> TableLock:
        lock = TableLock(model._meta.db_table)
        self.locks.append(lock)
        return lock

    def logs(self) -> str:
        return "\n".join(f"--- {p.log.name} ---\n{p.output()[-4000:]}" for p in self.processes)

    def close(self) -> None:
        for lock in self.locks:
            lock.release()
        for process in self.processes:
            process.kill()  # done with it; a warm shutdown only takes longer
        if self.server.proc is not None:
            os.kill(self.server.proc.pid, signal.SIGCONT)  # if a test left it frozen


@pytest.fixture
def broker(redis_server):
    """This process (the web side) and every process the test starts use the private Redis,
    on a queue of this test's own."""
    if redis_server.proc is None:
        redis_server.start()
    redis_server.client().flushall()
    broker = Broker(redis_server)
    saved = {key: app.conf[key] for key in (*broker.conf, "broker_url")}
    app.conf.update(broker.conf, broker_url=redis_server.url)
    _new_connections()
    yield broker
    broker.close()
    print(broker.logs())  # shown when the test failed
    for process in broker.processes:
        process.remove_log()
    app.conf.update(saved)
    _new_connections()


def _new_connections() -> None:
    """Drop this process's broker connections (kombu keeps its pools in a registry)."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def team(member):
    return {
        "chair": member("chair"),
        "gp": member("gp"),
        "nurse": member("community_nurse"),
        "pharmacist": member("pharmacist"),
        "pharmacist2": member("pharmacist", username="pharmacist2.thornton-heath"),
    }


def lost_assignment(team, patient) -> Action:
    """A task saved while its message was lost: only the assignment sweep can find it."""
    return ActionFactory(
        patient=patient, assignee=team["gp"], assignee_role="", created_by=team["chair"]
    )


def assigned(action: Action) -> int:
    return Notification.objects.filter(
        kind="action_assigned", subject_type="action", subject_id=action.pk
    ).count()


# --- (a) the worker killed in the middle of a task ----------------------------------------------


@pytest.mark.parametrize(
    "held_at",
    [
        pytest.param(Notification, id="before-delivering"),
        # the sweeps run in order: assignments (delivered, committed), ..., meetings (held)
        pytest.param(Meeting, id="after-delivering"),
    ],
)
def test_a_worker_killed_mid_sweep_the_reminder_arrives_once_after_restart(
    broker, team, patient, held_at
):
    action = lost_assignment(team, patient)
    worker = broker.worker()
    lock = broker.lock(held_at)
    sweep_reminders.delay()  # as beat sends it
    assert wait_for(lock.waiting, timeout=15), "the sweep never reached the held table"
    assert broker.unacked() == 1  # taken, not acknowledged: acks_late
    if held_at is Meeting:
        assert assigned(action) == 1, "the sweeps no longer deliver assignments first"

    worker.kill()  # main process and pool child, SIGKILL: no warm shutdown
    lock.release()
    killed_at = time.monotonic()
    assert broker.unacked() == 1  # still owed
    assert assigned(action) == (1 if held_at is Meeting else 0)

    restarted = broker.worker()
    assert wait_for(lambda: restarted.succeeded(SWEEP), timeout=30), broker.logs()
    redelivered_after = time.monotonic() - killed_at
    print(f"redelivered and run {redelivered_after:.1f}s after the kill")
    assert assigned(action) == 1
    assert Notification.objects.get().recipient == team["gp"]
    assert wait_for(lambda: broker.unacked() == 0 and broker.waiting() == 0, timeout=5)
    assert restarted.succeeded(SWEEP) == 1


def test_a_pool_process_killed_mid_sweep_the_worker_runs_it_again(broker, team, patient):
    """Only the pool's child dies (the OOM killer, a segfault): the main process rejects the
    message back to the queue (reject_on_worker_lost) and a new child runs it, within the few
    seconds billiard takes to notice (it checks its pool every 5 s)."""
    action = lost_assignment(team, patient)
    # the deployment's visibility timeout: only the rejection can bring the message back
    worker = broker.worker(
        visibility_timeout=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    )
    lock = broker.lock(Notification)
    sweep_reminders.delay()
    assert wait_for(lock.waiting, timeout=15), "the sweep never reached the held table"
    (child,) = worker.children()
    os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()
    assert wait_for(lambda: "WorkerLostError" in worker.output(), timeout=10), broker.logs()
    lock.release()
    assert wait_for(lambda: worker.succeeded(SWEEP), timeout=10), broker.logs()
    print(f"run again {time.monotonic() - killed_at:.1f}s after the kill")
    assert assigned(action) == 1
    assert worker.children() != [child]


# --- (b) Redis down ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outage",
    [
        pytest.param("stopped", id="redis-stopped"),
        # SIGSTOP: connections are accepted by the kernel and never answered, as with a hung
        # server or a network that drops packets; without socket timeouts a request hangs.
        pytest.param("frozen", id="redis-not-answering"),
    ],
)
def test_b_redis_down_requests_succeed_quickly_and_nothing_is_lost(
    broker, team, patient, api, outage, caplog
):
    worker = broker.worker()
    broker.beat()
    chair = api(team["chair"])
    due = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()

    def assign(title: str):
        payload = {"patient": patient.pk, "title": title, "assignee": "gp.thornton-heath"}
        return chair.post("/api/v1/tasks/", {**payload, "due_on": due}, format="json")

    # Redis up: the message sent on commit delivers it (the web side really publishes).
    assert assign("Check before").status_code == 201
    assert wait_for(lambda: worker.succeeded("notifications.tasks.notify_action_assigned"), 15)
    assert wait_for(lambda: worker.succeeded(SWEEP), timeout=15), broker.logs()

    server = broker.server
    if outage == "stopped":
        server.stop()
    else:
        os.kill(server.proc.pid, signal.SIGSTOP)
        # should a request hang after all, let it finish (and the test fail) after a while
        thaw = threading.Timer(10, os.kill, (server.proc.pid, signal.SIGCONT))
        thaw.start()
    caplog.set_level(logging.ERROR, logger="django.db.backends.base")
    timings = []
    for n in range(3):
        started = time.monotonic()
        response = assign(f"Check {n}")
        timings.append(time.monotonic() - started)
        assert response.status_code == 201, response.content
    print(f"requests with Redis {outage}: " + ", ".join(f"{t:.3f}s" for t in timings))
    assert max(timings) < 1.0
    # each message was lost to the broker, not to something else
    errors = [r.exc_info[1] for r in caplog.records if r.name == "django.db.backends.base"]
    assert len(errors) == 3 and all(isinstance(e, OperationalError) for e in errors), errors
    during = list(Action.objects.filter(title__in=["Check 0", "Check 1", "Check 2"]))
    assert len(during) == 3  # saved
    assert sum(assigned(action) for action in during) == 0  # nothing could be sent

    if outage == "stopped":
        server.start()  # same port, empty: whatever was in Redis is gone
    else:
        thaw.cancel()
        os.kill(server.proc.pid, signal.SIGCONT)
    back_at = time.monotonic()
    assert wait_for(lambda: all(assigned(action) for action in during), timeout=40), broker.logs()
    print(f"delivered {time.monotonic() - back_at:.1f}s after Redis came back")
    # the web side publishes again at once (a dead pooled connection is retried)
    caplog.clear()
    assert assign("Check after").status_code == 201
    assert not [r for r in caplog.records if r.name == "django.db.backends.base"]
    assert wait_for(lambda: Notification.objects.count() >= 5, timeout=15), broker.logs()
    runs = worker.succeeded(SWEEP)
    assert wait_for(lambda: worker.succeeded(SWEEP) >= runs + 2, timeout=10)  # and again
    assert Notification.objects.count() == 5
    for action in Action.objects.all():
        assert assigned(action) == 1, action.title


# --- (c) the sweep run twice --------------------------------------------------------------------


def test_c_two_beats_and_concurrent_sweeps_never_notify_twice(broker, team, patient):
    chair, gp, nurse = team["chair"], team["gp"], team["nurse"]
    to_gp = ActionFactory(patient=patient, assignee=gp, assignee_role="", created_by=chair)
    to_nurse = ActionFactory(patient=patient, assignee=nurse, assignee_role="", created_by=gp)
    queued = ActionFactory(patient=patient, assignee_role="pharmacist", created_by=chair)
    expected = {
        ("action_assigned", to_gp.pk, gp.pk),
        ("action_assigned", to_nurse.pk, nurse.pk),
        ("action_queued", queued.pk, team["pharmacist"].pk),
        ("action_queued", queued.pk, team["pharmacist2"].pk),
    }

    worker = broker.worker(concurrency=2)
    lock = broker.lock(Notification)
    broker.beat()
    broker.beat()
    # both pool processes are in a sweep, past nothing yet: they will decide together
    assert wait_for(lambda: lock.waiting() >= 2, timeout=20), broker.logs()
    lock.release()
    assert wait_for(lambda: worker.succeeded(SWEEP) >= 2, timeout=15), broker.logs()
    # and in a row, on later ticks of either beat
    assert wait_for(lambda: worker.succeeded(SWEEP) >= 5, timeout=15), broker.logs()

    rows = list(Notification.objects.values_list("kind", "subject_id", "recipient_id"))
    assert len(rows) == len(expected)
    assert set(rows) == expected
