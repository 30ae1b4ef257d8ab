"""Deployment: production settings pass Django's deploy checks and refuse to run without a
secret key; docker-compose.yml, the Dockerfile and .env.example stay complete."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

# Only what a process needs to run: nothing from the test process (e.g. conftest's
# DJANGO_ALLOW_ASYNC_UNSAFE for Playwright) or a developer's shell leaks in.
_PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR")


def production_env(**overrides: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in _PASS_THROUGH if k in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="icn.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="icn.example.org,www.icn.example.org",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/icn"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    env["ICN_READ_DOTENV"] = "false"  # a developer's .env must not supply one
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.mark.parametrize("name", ["web", "worker", "beat", "postgres", "redis"])
def test_compose_service_has_a_healthcheck(compose, name):
    service = compose["services"][name]
    assert service["healthcheck"]["test"], f"{name} has an empty health check"
    assert not service["healthcheck"].get("disable"), f"{name} disables its health check"


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_compose_app_services_wait_for_migrations(compose, name):
    service = compose["services"][name]
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "icn.settings.production"


def test_compose_commands_and_volumes(compose):
    services = compose["services"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["worker"]["command"][:6] == ["celery", "-A", "icn", "worker", "-l", "info"]
    beat = services["beat"]["command"]
    assert beat[:4] == ["celery", "-A", "icn", "beat"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in beat
    assert "command" not in services["web"]  # the image's CMD: gunicorn
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert "--appendonly" in services["redis"]["command"]
    for name in ("postgres", "redis"):
        volume = services[name]["volumes"][0]
        assert volume.split(":")[0] in compose["volumes"], f"{name} data is not in a named volume"


def test_compose_migrates_as_the_owner_and_runs_the_app_as_icn_app(compose):
    """docs/adr/0006: the postgres service creates icn_app on its first start; the one-shot
    migrate connects as the tables' owner; web, worker and beat as icn_app (.env's
    DATABASE_URL), which row-level security applies to."""
    services = compose["services"]
    assert (
        "./deploy/postgres-init:/docker-entrypoint-initdb.d:ro" in services["postgres"]["volumes"]
    )
    init = (ROOT / "deploy" / "postgres-init" / "10-icn-app-role.sh").read_text()
    assert "CREATE ROLE icn_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE" in init
    migrate = services["migrate"]["environment"]
    assert migrate["DATABASE_URL"].startswith("${DATABASE_OWNER_URL")
    assert migrate["DJANGO_SETTINGS_MODULE"] == "icn.settings.production"
    for name in ("web", "worker", "beat"):
        assert "DATABASE_URL" not in services[name]["environment"], name
    env = (ROOT / ".env.example").read_text()
    assert re.search(r"^DATABASE_URL=postgres://icn_app:", env, re.MULTILINE)
    assert re.search(r"^DATABASE_OWNER_URL=postgres://icn:", env, re.MULTILINE)


def test_dockerfile_builds_a_production_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.12-slim" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "collectstatic" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)
    assert '"gunicorn", "icn.wsgi:application"' in dockerfile
    assert '"0.0.0.0:8000"' in dockerfile


def test_env_example_documents_every_setting_read_from_the_environment():
    read = set()
    for path in (ROOT / "icn" / "settings").glob("*.py"):
        read |= set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z0-9_]+)\"", path.read_text()))
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= read
    documented = set(
        re.findall(r"^#?\s*([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    assert read <= documented, f"missing from .env.example: {sorted(read - documented)}"
