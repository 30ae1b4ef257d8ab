"""Passkeys (WebAuthn) as the second factor: the JSON ceremony views' refusals, a signed
assertion from a software key finishing the login, and the security page's list.

The software key here signs like an authenticator does (py_webauthn checks it as it would a
browser's); the browser journey with Chromium's virtual authenticator is
tests/e2e/test_passkey_journey.py."""

import base64
import hashlib
import json
import os

import cbor2
import pytest
from axes.models import AccessAttempt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django_otp_webauthn.models import WebAuthnCredential

from accounts.services import second_factor_reset
from accounts.views import PENDING

from .mfa import PASSWORD, totp_code

pytestmark = pytest.mark.django_db

BEGIN = "/accounts/login/passkey/begin/"
COMPLETE = "/accounts/login/passkey/complete/"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftKey:
    """A passkey held in memory: an ES256 key pair and a credential id."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)

    def register(self, user, name="Passkey") -> WebAuthnCredential:
        numbers = self.key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big")}
        cose[-3] = numbers.y.to_bytes(32, "big")
        return WebAuthnCredential.objects.create(
            user=user,
            name=name,
            credential_id=self.credential_id,
            public_key=cbor2.dumps(cose),
            aaguid="00000000-0000-0000-0000-000000000000",
        )

    def assertion(self, challenge, *, rp_id="testserver", origin="http://testserver", key=None):
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": challenge, "origin": origin}
        ).encode()
        # rpIdHash, flags (user present), signature counter
        auth_data = hashlib.sha256(rp_id.encode()).digest() + b"\x01" + (1).to_bytes(4, "big")
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = (key or self.key).sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
            },
            "clientExtensionResults": {},
        }


def password_step(client, username="pharmacist.thornton-heath", next_url=None):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def post_json(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def assert_no_session(client):
    assert "_auth_user_id" not in client.session
    assert client.get("/patients/").status_code == 302


@pytest.fixture
def with_passkey(mfa, enrolled):
    user, _device = enrolled("pharmacist")
    key = SoftKey()
    key.register(user)
    return user, key


def test_no_pending_user_no_ceremony(client, with_passkey):
    response = post_json(client, BEGIN)
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"
    assert "otp_webauthn_authentication_state" not in client.session
    assert post_json(client, COMPLETE, {"id": "x"}).status_code == 403
    assert_no_session(client)


def test_no_passkey_no_ceremony(client, mfa, enrolled):
    enrolled("pharmacist")
    password_step(client)
    assert post_json(client, BEGIN).status_code == 404
    assert "otp_webauthn_authentication_state" not in client.session


def test_the_code_page_offers_a_passkey_only_to_who_has_one(client, mfa, enrolled):
    enrolled("pharmacist")
    password_step(client)
    assert "Use a passkey" not in client.get("/accounts/login/code/").content.decode()
    client.logout()
    user, _ = enrolled("gp")
    SoftKey().register(user)
    password_step(client, "gp.thornton-heath")
    page = client.get("/accounts/login/code/").content.decode()
    assert "Use a passkey" in page and 'id="otp_webauthn_config"' in page
    assert "<script>" not in page  # CSP: script-src 'self', no inline scripts


def test_a_signed_assertion_finishes_the_login_like_a_code(client, with_passkey):
    user, key = with_passkey
    password_step(client, next_url="/my-work/")
    options = post_json(client, BEGIN).json()
    assert options["rpId"] == "testserver"
    assert [c["id"] for c in options["allowCredentials"]] == [b64(key.credential_id)]

    response = post_json(client, COMPLETE, key.assertion(options["challenge"]))
    assert response.status_code == 200, response.content
    assert response.json()["redirect_url"] == "/my-work/"
    passkey = WebAuthnCredential.objects.get(user=user)
    assert client.session["otp_device_id"] == passkey.persistent_id
    assert client.session["_auth_user_id"] == str(user.pk)
    assert PENDING not in client.session
    assert client.get("/patients/").status_code == 200
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda key, ch: {"garbage": True}, id="garbage"),
        pytest.param(lambda key, ch: [1, 2, 3], id="not-an-object"),
        pytest.param(
            lambda key, ch: key.assertion(ch, key=ec.generate_private_key(ec.SECP256R1())),
            id="signed-by-another-key",
        ),
        pytest.param(lambda key, ch: key.assertion(b64(b"an old challenge")), id="replayed"),
        pytest.param(
            lambda key, ch: key.assertion(ch, origin="https://icn.example.evil"),
            id="other-origin",
        ),
        pytest.param(lambda key, ch: key.assertion(ch, rp_id="evil.example"), id="other-rp-id"),
        pytest.param(lambda key, ch: SoftKey().assertion(ch), id="unknown-credential"),
    ],
)
def test_a_forged_assertion_is_refused_with_no_session(client, with_passkey, forge):
    user, key = with_passkey
    password_step(client)
    options = post_json(client, BEGIN).json()
    response = post_json(client, COMPLETE, forge(key, options["challenge"]))
    assert response.status_code == 400
    assert response.json()["code"] == "passkey_refused"
    assert_no_session(client)
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 1
    # The challenge was used up: the genuine key cannot reuse it either.
    password_step(client)
    again = post_json(client, COMPLETE, key.assertion(options["challenge"]))
    assert again.status_code == 400
    assert_no_session(client)


def test_another_persons_passkey_is_refused(client, with_passkey, enrolled):
    other, _ = enrolled("gp")
    other_key = SoftKey()
    other_key.register(other)
    password_step(client)
    options = post_json(client, BEGIN).json()
    response = post_json(client, COMPLETE, other_key.assertion(options["challenge"]))
    assert response.status_code == 400
    assert_no_session(client)


def test_a_locked_out_username_cannot_use_a_passkey(client, with_passkey, settings):
    user, key = with_passkey
    password_step(client)
    options = post_json(client, BEGIN).json()
    AccessAttempt.objects.create(
        username=user.username,
        ip_address="127.0.0.1",
        user_agent="",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )
    response = post_json(client, COMPLETE, key.assertion(options["challenge"]))
    assert response.status_code == 403
    assert_no_session(client)


def test_registering_needs_a_full_login(client, mfa, enrolled):
    user, _device = enrolled("pharmacist")
    response = client.post("/accounts/security/passkeys/begin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # Logged in without the second factor (as before ICN_REQUIRE_MFA): refused.
    client.force_login(user)
    response = client.post("/accounts/security/passkeys/begin/")
    assert response.status_code == 403 and response.json()["code"] == "user_not_verified"


def test_registering_begins_for_a_verified_session(client, mfa, enrolled):
    user, device = enrolled("pharmacist")
    password_step(client)
    client.post("/accounts/login/code/", {"code": totp_code(device)})
    options = client.post("/accounts/security/passkeys/begin/").json()
    assert options["rp"] == {"name": "ICN", "id": "testserver"}
    assert options["user"]["name"] == user.username
    assert "otp_webauthn_register_state" in client.session
    garbage = post_json(client, "/accounts/security/passkeys/complete/", {"id": "x"})
    assert garbage.status_code == 422
    assert not WebAuthnCredential.objects.filter(user=user).exists()


def test_the_security_page_names_lists_and_removes_own_passkeys(client, mfa, enrolled):
    user, _ = enrolled("pharmacist")
    other, _ = enrolled("gp")
    mine = SoftKey().register(user)
    theirs = SoftKey().register(other, name="Theirs")
    client.force_login(user)
    page = client.get("/accounts/security/").content.decode()
    assert "Add a passkey" in page and "django_otp_webauthn/otp_webauthn_register.js" in page

    client.post("/accounts/security/passkeys/name/", {"passkey": mine.pk, "name": " Work  laptop "})
    client.post("/accounts/security/passkeys/name/", {"passkey": theirs.pk, "name": "Mine now"})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.name, theirs.name) == ("Work laptop", "Theirs")
    assert "Work laptop" in client.get("/accounts/security/").content.decode()

    client.post("/accounts/security/passkeys/remove/", {"passkey": theirs.pk})
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
    response = client.post("/accounts/security/passkeys/remove/", {"passkey": mine.pk})
    assert response.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=mine.pk).exists()


def test_a_second_factor_reset_removes_passkeys_too(with_passkey, member):
    user, _key = with_passkey
    reset = second_factor_reset(user=user, by=member("chair"))
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    assert reset.devices_removed == 2


def test_the_admin_lists_passkeys_without_their_keys(admin_client, with_passkey):
    user, _key = with_passkey
    passkey = WebAuthnCredential.objects.get(user=user)
    listing = admin_client.get("/admin/django_otp_webauthn/webauthncredential/")
    assert listing.status_code == 200 and "Passkey" in listing.content.decode()
    page = admin_client.get(f"/admin/django_otp_webauthn/webauthncredential/{passkey.pk}/change/")
    assert page.status_code == 200
    assert passkey.public_key.hex() not in page.content.decode()
