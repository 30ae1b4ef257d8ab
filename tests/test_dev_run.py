"""`make run` (icn/dev.py): the address served decides where e-mail links point unless
SITE_URL says otherwise, e-mails in development are files, and the block printed last names
the address, a login for every role and how to stop."""

import os
import subprocess
import sys

import pytest
from django.core import mail

from icn import dev
from networks.roles import Role
from notifications.models import Preference
from notifications.services import notification_send
from notifications.tasks import email_pending

PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.ICN_SITE_URL); print(s.EMAIL_BACKEND); print(getattr(s, 'EMAIL_FILE_PATH', ''))"
)


def make_run_settings(**environ: str) -> list[str]:
    """The settings a process `make run` starts (web, worker, beat) reads, in a real
    interpreter with the environment it is given: its SITE_URL, e-mail backend and folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SITE_URL", "EMAIL_URL", "ICN_HOST", "ICN_PORT", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DJANGO_SETTINGS_MODULE="icn.settings.local", **environ)
    out = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=dev.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def test_the_address_served_follows_icn_host_and_port():
    assert dev.served_address({}) == ("127.0.0.1", "8000", "http://127.0.0.1:8000/")
    assert dev.served_address({"ICN_PORT": "8021"})[2] == "http://127.0.0.1:8021/"
    host, port, url = dev.served_address({"ICN_HOST": "0.0.0.0", "ICN_PORT": "8022"})
    assert (host, port, url) == ("0.0.0.0", "8022", "http://127.0.0.1:8022/")


def test_e_mail_links_follow_the_port_served_unless_site_url_is_set():
    assert make_run_settings(ICN_PORT="8021")[0] == "http://127.0.0.1:8021"
    assert make_run_settings()[0] == "http://127.0.0.1:8000"
    public = make_run_settings(ICN_PORT="8021", SITE_URL="https://icn.example.nhs.uk")
    assert public[0] == "https://icn.example.nhs.uk"


def test_e_mails_in_development_are_files_unless_email_url_is_set():
    _, backend, folder = make_run_settings(ICN_PORT="8021")
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert folder == str(dev.MAIL_DIR)
    _, backend, _ = make_run_settings(EMAIL_URL="smtp://mail.example.org:25")
    assert backend == "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.django_db
def test_an_e_mail_links_to_the_port_served(settings, member, patient):
    settings.ICN_SITE_URL = make_run_settings(ICN_PORT="8021")[0]
    gp = member("gp")
    Preference.objects.create(user=gp, email=Preference.Delivery.IMMEDIATE)
    notification_send(
        recipient=gp,
        kind="action_overdue",
        title="Overdue: ring the daughter",
        subject_type="action",
        subject_id=1,
        occurrence="1",
        body="For someone.",
        url="/my-work/",
        network=patient.network,
        patient=patient,
    )
    assert email_pending() == 1
    [message] = mail.outbox
    assert "http://127.0.0.1:8021/my-work/" in message.body
    assert "127.0.0.1:8000" not in message.body


def test_the_block_printed_last_has_the_address_every_role_and_how_to_stop():
    roles = [role for _, roles in dev.DEMO_LOGINS for role in roles]
    assert sorted(roles) == sorted(r.value for r in Role)
    block = dev.ready_block(
        "http://127.0.0.1:8021/",
        "demo-password-change-me",
        log_dir=dev.LOG_DIR,
        mail_dir=dev.MAIL_DIR,
    )
    lines = block.strip().splitlines()
    assert "http://127.0.0.1:8021/" in lines[0]
    assert "Ctrl-C" in lines[-1]
    assert "demo-password-change-me" in block and "thornton-heath" in block
    assert ".data/logs/" in block and ".data/mail/" in block
    assert len(lines) <= 20  # a short block: every role, but no more
    for role in roles:
        assert role in block


def test_migrations_and_demo_data_run_as_the_owner_and_the_app_as_icn_app():
    embedded = "postgres://postgres@/icn?host=%2Ftmp%2Fpg"
    owner, app = dev.database_urls({"DATABASE_URL": embedded}, embedded=True)
    assert owner == embedded
    assert app == "postgres://icn_app@/icn?host=%2Ftmp%2Fpg"
    given = "postgres://icn_app:secret@db:5432/icn"
    both = {"DATABASE_URL": given, "DATABASE_OWNER_URL": "postgres://icn:pw@db:5432/icn"}
    assert dev.database_urls(both, embedded=False) == ("postgres://icn:pw@db:5432/icn", given)
    # Without an owner URL a configured server is used as before, for everything.
    assert dev.database_urls({"DATABASE_URL": given}, embedded=False) == (given, given)


@pytest.mark.django_db
def test_the_engine_has_an_application_role_that_rls_applies_to_and_that_owns_nothing():
    from django.db import connection

    # What `make run` and `make test` do on the embedded engine (and CI's server, here).
    dev.ensure_app_role(os.environ["DATABASE_URL"])
    dev.ensure_app_role(os.environ["DATABASE_URL"])  # again: idempotent
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, "
            "(SELECT count(*) FROM pg_class WHERE relowner = r.oid) "
            "FROM pg_roles r WHERE rolname = 'icn_app'"
        )
        assert cursor.fetchone() == (True, False, False, False, False, 0)
        cursor.execute("SELECT rolconfig FROM pg_roles WHERE rolname = 'icn_app'")
        assert "jit=off" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT r.rolsuper OR r.rolbypassrls FROM pg_class c JOIN pg_roles r "
            "ON r.oid = c.relowner WHERE c.relname = 'patients_patient'"
        )
        assert cursor.fetchone() == (True,), "the owner (migrations) is the engine's superuser"


def test_the_whole_suite_runs_on_every_cpu_and_a_chosen_test_as_asked():
    assert dev.pytest_args([], 2) == ["-n", "2", "--dist", "loadfile"]
    assert dev.pytest_args([], 64) == ["-n", "8", "--dist", "loadfile"]
    assert dev.pytest_args([], 1) == []  # one CPU: no worker processes to feed
    assert dev.pytest_args(["tests/test_dev_run.py", "-x"], 8) == ["tests/test_dev_run.py", "-x"]


def test_the_cpus_used_follow_a_containers_quota(tmp_path):
    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")  # one and a half CPUs: one worker
    assert dev.usable_cpus(quota) == 1
    quota.write_text("max 100000\n")
    assert dev.usable_cpus(quota) == len(os.sched_getaffinity(0))
    assert dev.usable_cpus(tmp_path / "absent") == len(os.sched_getaffinity(0))


def _test_settings_redis(**environ: str) -> tuple[str, str]:
    """(REDIS_URL, CELERY_BROKER_URL) as the test settings read them in a real interpreter."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTEST_XDIST_WORKER", "ICN_TEST_REDIS_WORKER", "CELERY_BROKER_URL"}
    }
    env.update(DJANGO_SETTINGS_MODULE="icn.settings.test", **environ)
    code = "from django.conf import settings as s; print(s.REDIS_URL); print(s.CELERY_BROKER_URL)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=dev.ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    redis_url, broker = out.stdout.splitlines()
    return redis_url, broker


def test_each_parallel_test_worker_has_a_redis_database_of_its_own():
    base = "redis://127.0.0.1:6379/4"
    assert _test_settings_redis(REDIS_URL=base) == (base, base)
    assert _test_settings_redis(REDIS_URL=base, PYTEST_XDIST_WORKER="gw0") == (base, base)
    moved = "redis://127.0.0.1:6379/5"
    assert _test_settings_redis(REDIS_URL=base, PYTEST_XDIST_WORKER="gw1") == (moved, moved)
    # A worker or server a test starts inherits the moved URL and the mark: not moved again.
    child = {"PYTEST_XDIST_WORKER": "gw1", "ICN_TEST_REDIS_WORKER": "gw1"}
    assert _test_settings_redis(REDIS_URL=moved, **child) == (moved, moved)
    # A broker set apart from REDIS_URL is left as it is.
    other = "redis://127.0.0.1:6390/0"
    assert _test_settings_redis(
        REDIS_URL=base, CELERY_BROKER_URL=other, PYTEST_XDIST_WORKER="gw1"
    ) == (moved, other)
