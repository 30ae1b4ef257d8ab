"""Start the test identity provider (django-oauth-toolkit) in a subprocess.

`start_provider(redirect_uri, users)` creates a database of its own, migrates it, makes an
RSA signing key, registers ICN as a confidential client, adds the users, and serves it with
Django's runserver on a free port. It returns a `Provider`; `.stop()` ends the server and
drops the database.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "provider-password-1"
CLIENT_ID = "icn-test-client"
RUNSERVER = [sys.executable, "-m", "django", "runserver"]


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    password: str
    process: subprocess.Popen
    database: str
    _tmp: tempfile.TemporaryDirectory = field(repr=False)

    @property
    def log(self) -> str:
        return (Path(self._tmp.name) / "server.log").read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        _admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self._tmp.cleanup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_params() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }


def _admin_sql(sql: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **_server_params()) as conn:
        conn.execute(sql)


def _database_url(name: str) -> str:
    p = _server_params()
    auth = p["user"] + (f":{p['password']}" if p["password"] else "")
    return f"postgres://{auth}@{p['host']}:{p['port']}/{name}"


def start_provider(*, redirect_uri: str, users: list[dict]) -> Provider:
    tmp = tempfile.TemporaryDirectory(prefix="icn-idp-")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = Path(tmp.name) / "signing-key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}/o"
    database = f"icn_test_idp_{os.getpid()}_{port}"
    _admin_sql(f'DROP DATABASE IF EXISTS "{database}"')
    _admin_sql(f'CREATE DATABASE "{database}"')
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "IDP_DATABASE_URL": _database_url(database),
        "IDP_RSA_KEY_FILE": str(key_file),
        "IDP_ISSUER": issuer,
        "PYTHONPATH": str(REPO),
    }

    def run(*args: str) -> None:
        subprocess.run([sys.executable, *args], cwd=REPO, env=env, check=True, timeout=120)

    client_secret = secrets.token_urlsafe(24)
    spec = {
        "client_id": CLIENT_ID,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
        "password": PASSWORD,
        "users": users,
    }
    run("-m", "tests.oidc_provider.seed", json.dumps(spec))
    with open(Path(tmp.name) / "server.log", "wb") as log:
        process = subprocess.Popen(
            [*RUNSERVER, f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    provider = Provider(issuer, CLIENT_ID, client_secret, PASSWORD, process, database, tmp)
    deadline = time.monotonic() + 60  # a loaded CI machine starts Django slowly
    while True:
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                return provider
        except requests.RequestException:  # not listening yet, or too slow to answer
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log = provider.log
            provider.stop()
            raise RuntimeError(f"The test identity provider did not start:\n{log}")
        time.sleep(0.1)
