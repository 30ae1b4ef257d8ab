"""API tokens: the second factor, expiry (idle, absolute, partner), logout, revocation on
password change and deactivation, and nothing usable stored in the database."""

import hashlib
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.services import token_issue
from networks.models import Membership
from networks.services import membership_deactivate

from .mfa import PASSWORD, totp_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/token/"


def ask(username, otp=None, password=PASSWORD):
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return APIClient().post(URL, body, format="json")


def me(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/")


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_a_password_alone_gets_no_token_when_mfa_is_required(mfa, enrolled):
    _, device = enrolled("pharmacist")
    missing = ask("pharmacist.thornton-heath")
    assert missing.status_code == 400 and list(missing.json()) == ["otp"]
    wrong = ask("pharmacist.thornton-heath", otp="000000")
    assert wrong.status_code == 400 and list(wrong.json()) == ["otp"]
    assert not AuthToken.objects.exists()

    device.throttle_reset()
    response = ask("pharmacist.thornton-heath", otp=totp_code(device))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert me(body["token"]).status_code == 200


def test_no_authenticator_no_token(mfa, member):
    member("pharmacist")
    response = ask("pharmacist.thornton-heath", otp="123456")
    assert response.status_code == 400 and "otp" in response.json()


def test_a_recovery_code_is_not_an_api_code(mfa, enrolled):
    from accounts.services import recovery_codes_make

    user, _ = enrolled("pharmacist")
    code = recovery_codes_make(user=user, by=user)[0]
    assert ask("pharmacist.thornton-heath", otp=code).status_code == 400


def test_wrong_api_codes_count_towards_lockout(mfa, enrolled, settings):
    _, device = enrolled("pharmacist")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        ask("pharmacist.thornton-heath", otp="000000")
    device.throttle_reset()
    response = ask("pharmacist.thornton-heath", otp=totp_code(device))
    assert response.status_code in (400, 403, 429)
    assert not AuthToken.objects.exists()


def test_partner_systems_never_send_a_code_and_keep_their_token_90_days(mfa, member):
    member("partner_system")
    issued = timezone.now()
    with at(issued):
        response = ask("partner_system.thornton-heath")
    assert response.status_code == 200
    key = response.json()["token"]
    token = AuthToken.objects.get()
    assert token.expiry == issued + timedelta(days=90)
    with at(issued + timedelta(days=89)):
        assert me(key).status_code == 200
    token.refresh_from_db()
    assert token.expiry == issued + timedelta(days=90)  # not moved on by use
    with at(issued + timedelta(days=90, minutes=1)):
        assert me(key).status_code == 401


def test_a_token_expires_30_minutes_after_its_last_use(member):
    member("pharmacist")
    issued = timezone.now()
    with at(issued):
        body = ask("pharmacist.thornton-heath").json()
    assert body["expires_at"].startswith((issued + timedelta(minutes=30)).strftime("%Y-%m-%d"))
    key = body["token"]
    # Used after 20 minutes: the expiry moves to 50 minutes.
    with at(issued + timedelta(minutes=20)):
        assert me(key).status_code == 200
    assert AuthToken.objects.get().expiry == issued + timedelta(minutes=50)
    with at(issued + timedelta(minutes=45)):
        assert me(key).status_code == 200
    # Then left alone for more than 30 minutes.
    with at(issued + timedelta(minutes=45 + 31)):
        assert me(key).status_code == 401
    assert not AuthToken.objects.exists()


def test_a_token_in_use_still_ends_10_hours_after_issue(member):
    member("pharmacist")
    issued = timezone.now()
    with at(issued):
        key = ask("pharmacist.thornton-heath").json()["token"]
    for minutes in range(20, 10 * 60, 20):
        with at(issued + timedelta(minutes=minutes)):
            assert me(key).status_code == 200, minutes
    assert AuthToken.objects.get().expiry == issued + timedelta(hours=10)
    with at(issued + timedelta(hours=10, seconds=1)):
        assert me(key).status_code == 401


def test_logout_revokes_the_presenting_token_only(member):
    member("pharmacist")
    first = ask("pharmacist.thornton-heath").json()["token"]
    second = ask("pharmacist.thornton-heath").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    response = client.post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert me(first).status_code == 401
    assert client.post("/api/v1/auth/logout/").status_code == 401
    assert me(second).status_code == 200


def test_logout_needs_a_token(client, member):
    client.force_login(member("pharmacist"))
    assert client.post("/api/v1/auth/logout/").status_code in (401, 403)


def test_changing_the_password_in_the_admin_revokes_every_token(client, member, django_user_model):
    user = member("pharmacist")
    key = ask(user.username).json()["token"]
    assert me(key).status_code == 200
    admin = django_user_model.objects.create_superuser("root", "root@example.nhs.uk", PASSWORD)
    client.force_login(admin)
    page = f"/admin/auth/user/{user.pk}/password/"
    assert client.get(page).status_code == 200
    new = "another-good-long-password"
    response = client.post(page, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.check_password(new)
    assert me(key).status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_changing_the_password_anywhere_else_revokes_tokens_too(member):
    user = member("pharmacist")
    key = ask(user.username).json()["token"]
    user.set_password("another-good-long-password")
    user.save()
    assert me(key).status_code == 401


def test_a_login_that_rehashes_the_password_does_not_revoke_tokens(client, member, settings):
    """Django re-hashes a password on login when the preferred hasher changes; that is not a
    change of password."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = member("pharmacist")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    _, key = token_issue(user=user)
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    user.refresh_from_db()
    assert user.password.startswith("md5$")  # re-hashed with the preferred hasher
    assert me(key).status_code == 200


def test_deactivating_a_membership_revokes_tokens(member):
    user = member("pharmacist")
    key = ask(user.username).json()["token"]
    membership_deactivate(membership=Membership.objects.get(user=user), by=None)
    assert not AuthToken.objects.filter(user=user).exists()
    assert me(key).status_code == 401


def test_the_database_holds_no_usable_token(member):
    member("pharmacist")
    key = ask("pharmacist.thornton-heath").json()["token"]
    table = AuthToken._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        stored = [str(value) for row in cursor.fetchall() for value in row]
    assert len(key) == 64
    assert not any(key in value for value in stored)
    assert AuthToken.objects.get().digest == hashlib.sha512(key.encode()).hexdigest()
