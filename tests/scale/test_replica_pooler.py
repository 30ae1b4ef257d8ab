"""Scale-out on existing engines (issue 20, docs/deployment.md): reports, exports and FHIR
$everything read from a streaming replica when DATABASE_REPLICA_URL is set, everything else
and every write from the primary; and the app works through pgbouncer in transaction mode,
with row-level security applying.

The parts are real and started once for the module (tests/scale/stack.py): a primary cluster,
a replica made from it with pg_basebackup -R, pgbouncer (transaction mode, two server
connections per database) in front of both, and the web app under gunicorn connected through
it as the application's role."""

import csv
import io
import re

import pytest
import requests

from tests.scale.stack import INSTALL_PGBOUNCER, PASSWORD, PG_BIN, Stack, wait_until
from tests.workers import database_url_for_tests

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        source = database_url_for_tests()
    parts = Stack()
    try:
        parts.start_primary(dump_from=source)
        parts.seed()
        parts.start_replica()
        try:
            parts.start_pgbouncer()
        except FileNotFoundError:
            pytest.fail(INSTALL_PGBOUNCER)
        parts.start_web()
        yield parts
    finally:
        parts.close()


def why(stack: Stack, response: requests.Response) -> str:
    """A failed request's answer and the web app's log (where its traceback is)."""
    return f"{response.status_code} {response.text[:300]}\n--- web log:\n{stack.log('web.log')}"


def signed_in(stack: Stack, username: str) -> requests.Session:
    """A browser's session: the login form, CSRF token and all."""
    session = requests.Session()
    page = session.get(f"{stack.base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{stack.base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{stack.base}/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, why(stack, response)
    return session


def api(stack: Stack, username: str) -> requests.Session:
    """A partner system's client: a token from /api/v1/auth/token/."""
    session = requests.Session()
    response = session.post(
        f"{stack.base}/api/v1/auth/token/",
        json={"username": username, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, why(stack, response)
    session.headers["Authorization"] = f"Token {response.json()['token']}"
    return session


def refer(stack: Stack, client: requests.Session, patient: int) -> requests.Response:
    """An API write: a referral to social services (201)."""
    made = client.post(
        f"{stack.base}/api/v1/referrals/",
        json={"patient": patient, "service": "social_services", "reason": "Cold flat"},
        timeout=10,
    )
    assert made.status_code == 201, why(stack, made)
    return made


def referrals_total(session: requests.Session, stack: Stack) -> tuple[int, requests.Response]:
    response = session.get(f"{stack.base}/api/v1/reports/dashboard/?network=north", timeout=20)
    assert response.status_code == 200, why(stack, response)
    return sum(row["total"] for row in response.json()["referrals"]), response


def test_the_replica_streams_what_the_primary_commits(stack):
    with stack.connect(stack.primary_port) as primary, stack.connect(stack.replica_port) as replica:
        assert primary.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        assert replica.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        primary.execute("CREATE TABLE probe (said text)")
        primary.execute("INSERT INTO probe VALUES ('hello from the primary')")
        said = wait_until(
            lambda: (
                replica.execute(
                    "SELECT said FROM probe WHERE to_regclass('probe') IS NOT NULL"
                ).fetchall()
                if replica.execute("SELECT to_regclass('probe')").fetchone()[0]
                else None
            ),
            what="the primary's row reaching the replica",
        )
        assert said == [("hello from the primary",)]
        with pytest.raises(Exception, match="read-only transaction"):
            replica.execute("INSERT INTO probe VALUES ('on a replica')")


def test_pgbouncer_pools_by_transaction(stack):
    import subprocess

    shown = subprocess.run(
        [
            str(PG_BIN / "psql"),
            "-At",
            "-c",
            "SHOW CONFIG",
            stack.url(stack.bouncer_port, dbname="pgbouncer"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout
    assert re.search(r"^pool_mode\|transaction\|", shown, re.M), shown


def test_log_in_a_page_and_an_api_write_through_the_pooler_with_rls(stack):
    ids = stack.seeded
    browser = signed_in(stack, ids["worker"])
    page = browser.get(f"{stack.base}/patients/", timeout=10)
    assert page.status_code == 200
    # The application's role sees nothing without its scope: the list shows the network's
    # people only because the scope was set inside each pooled transaction.
    assert "OKAFOR, Edith" in page.text
    assert "PIKE" not in page.text.upper()  # another network's person

    client = api(stack, ids["worker"])
    made = refer(stack, client, ids["edith"])
    # Read back at once (from the primary: a list after a write must not lag).
    listed = client.get(f"{stack.base}/api/v1/referrals/?patient={ids['edith']}", timeout=10)
    assert [r["id"] for r in listed.json()["results"]] == [made.json()["id"]]
    assert (
        client.get(f"{stack.base}/api/v1/patients/{ids['walter']}/", timeout=10).status_code == 404
    )

    # Nothing the app set outlived its transaction on the pooled server sessions: a client of
    # the pooler that sets no scope sees no one, on every server connection of the pool.
    for _ in range(4):
        with stack.connect(stack.bouncer_port, user="icn_app") as conn:
            row = conn.execute(
                "SELECT coalesce(current_setting('icn.networks', true), ''), "
                "coalesce(current_setting('icn.scope_all', true), ''), "
                "(SELECT count(*) FROM patients_patient)"
            ).fetchone()
            assert row in {("", "", 0), ("", "off", 0)}, row


def test_reports_read_the_replica_while_forms_read_the_primary(stack):
    ids = stack.seeded
    manager = api(stack, ids["manager"])
    worker = api(stack, ids["worker"])
    before, response = referrals_total(manager, stack)
    assert response.headers.get("ICN-Data-As-Of"), "a report from the replica says as of when"

    with stack.connect(stack.replica_port) as replica:
        replica.execute("SELECT pg_wal_replay_pause()")
        try:
            wait_until(
                lambda: (
                    replica.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0]
                    == "paused"
                ),
                what="the replica pausing",
            )
            made = refer(stack, worker, ids["ada"])
            # The form's side reads the primary: the new referral is there at once ...
            got = worker.get(f"{stack.base}/api/v1/referrals/{made.json()['id']}/", timeout=10)
            assert got.status_code == 200
            # ... while the report, from the paused replica, does not have it yet.
            assert referrals_total(manager, stack)[0] == before
            # A report that records who exported what writes that to the primary (the replica
            # is read-only: a write there would be a 500).
            browser = signed_in(stack, ids["manager"])
            export = browser.get(f"{stack.base}/reports/export/referrals.csv", timeout=20)
            assert export.status_code == 200, why(stack, export)
            assert list(csv.reader(io.StringIO(export.text)))
        finally:
            replica.execute("SELECT pg_wal_replay_resume()")
    # Replication resumed: the report catches up, one referral more. (On the replica, too,
    # icn_app sees only the scope it is given: without the request's scope mirrored there
    # the report would count nothing, before and after.)
    wait_until(
        lambda: referrals_total(manager, stack)[0] == before + 1,
        what="the report catching up with the primary",
    )
    with stack.connect(stack.primary_port) as primary:
        exported = primary.execute(
            "SELECT count(*) FROM audit_accessevent WHERE channel = 'export'"
        ).fetchone()[0]
    assert exported >= 1


def test_fhir_everything_reads_the_replica(stack):
    ids = stack.seeded
    client = api(stack, ids["worker"])
    response = client.get(f"{stack.base}/fhir/R4/Patient/{ids['edith']}/$everything", timeout=20)
    assert response.status_code == 200, why(stack, response)
    assert response.headers.get("ICN-Data-As-Of")
    kinds = {entry["resource"]["resourceType"] for entry in response.json()["entry"]}
    assert "Patient" in kinds
