import time

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from core.middleware import LOGIN_AT

pytestmark = pytest.mark.django_db
PASSWORD = "a-good-long-password"


def login(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_and_logout(client, member):
    member("pharmacist")
    response = login(client, "pharmacist.thornton-heath")
    assert response.status_code == 302
    assert client.get("/patients/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/patients/").status_code == 302


def test_wrong_password_shows_an_error_and_no_session(client, member):
    member("pharmacist")
    response = login(client, "pharmacist.thornton-heath", "nope")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert client.get("/patients/").status_code == 302


def test_lockout_after_repeated_failures(client, member):
    member("pharmacist")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "pharmacist.thornton-heath", "wrong")
    response = login(client, "pharmacist.thornton-heath")
    assert response.status_code == 429
    assert "too many" in response.content.decode().lower()
    assert client.get("/patients/").status_code == 302


def test_session_idle_timeout_is_30_minutes_and_renewed():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_idle_session_expires(client, member):
    client.force_login(member("pharmacist"))
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get("/patients/").status_code == 302


def test_absolute_session_lifetime(client, member):
    client.force_login(member("pharmacist"))
    assert client.get("/patients/").status_code == 200
    session = client.session
    session[LOGIN_AT] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    assert client.get("/patients/").status_code == 302


def test_no_store_and_csp_on_authenticated_pages_and_api(client, member, api):
    user = member("pharmacist")
    client.force_login(user)
    page = client.get("/patients/")
    assert "no-store" in page["Cache-Control"]
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "no-store" in api(user).get("/api/v1/me/")["Cache-Control"]


def test_csrf_is_enforced_on_pages(member):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member("pharmacist"))
    assert strict.post("/patients/new/", {"given_name": "x"}).status_code == 403


def test_password_validators_refuse_weak_passwords():
    for weak in ("short", "password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("correct-horse-battery-staple")


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


def test_healthz_reports_redis_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] == "unavailable"


def test_schema_and_docs_are_published(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/patients/" in schema.content
    assert client.get("/api/v1/docs/").status_code == 200


def test_manager_lands_on_the_reports_and_caseworkers_on_my_work(client, member):
    client.force_login(member("manager"))
    assert client.get("/")["Location"] == "/reports/"
    client.force_login(member("gp"))
    assert client.get("/")["Location"] == "/my-work/"


def test_expired_session_during_htmx_reloads_at_login(client):
    response = client.get(
        "/patients/?q=ok",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/patients/"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/patients/"
