"""The login page with a second factor: no session before the code, enrolment at first
login, recovery codes, throttling, lockout, and the admin's login."""

import html
import re
import time
from base64 import b32decode
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import recovery_codes_make
from accounts.views import PENDING

from .mfa import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def password_step(client, username, password=PASSWORD, next_url=None):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def assert_no_session(client):
    assert "_auth_user_id" not in client.session
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_a_password_alone_opens_nothing(client, mfa, enrolled):
    enrolled("pharmacist")
    response = password_step(client, "pharmacist.thornton-heath")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/code/"
    assert_no_session(client)


def test_the_code_completes_the_login_and_goes_to_next(client, mfa, enrolled):
    _, device = enrolled("pharmacist")
    password_step(client, "pharmacist.thornton-heath", next_url="/my-work/")
    page = client.get("/accounts/login/code/")
    assert page.status_code == 200
    assert re.search(r'<label [^>]*for="id_code"', page.content.decode())
    response = client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/my-work/"
    assert client.get("/patients/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert client.session["otp_device_id"] == device.persistent_id
    assert PENDING not in client.session


def test_a_wrong_password_never_reaches_the_code_step(client, mfa, enrolled):
    enrolled("pharmacist")
    response = password_step(client, "pharmacist.thornton-heath", "wrong")
    assert response.status_code == 200
    assert client.get("/accounts/login/code/")["Location"] == "/accounts/login/?expired=1"
    assert_no_session(client)


def test_the_code_step_expires(client, mfa, enrolled):
    _, device = enrolled("pharmacist")
    password_step(client, "pharmacist.thornton-heath")
    session = client.session
    session[PENDING] = {**session[PENDING], "at": time.time() - mfa.ICN_MFA_PENDING_SECONDS - 1}
    session.save()
    response = client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?expired=1"
    assert_no_session(client)


def test_first_login_enrols_an_authenticator(client, mfa, member):
    user = member("pharmacist")
    response = password_step(client, "pharmacist.thornton-heath")
    assert response["Location"] == "/accounts/login/authenticator/"
    assert_no_session(client)

    page = client.get("/accounts/login/authenticator/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg " in html and "<script" not in html.split("<main", 1)[-1]
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    # The key in text, for typing in by hand, is the device's secret.
    secret = html.split('<p class="secret-key"><code>', 1)[1].split("</code>", 1)[0]
    padded = secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8)
    assert b32decode(padded) == device.bin_key
    # A reload shows the same secret (the QR code already scanned stays valid).
    client.get("/accounts/login/authenticator/")
    assert TOTPDevice.objects.filter(user=user).count() == 1

    wrong = client.post("/accounts/login/authenticator/", {"code": "000000"})
    assert wrong.status_code == 422 and "not right" in wrong.content.decode()
    assert_no_session(client)
    device.throttle_reset()  # the wrong code above throttles the next try for a second

    done = client.post("/accounts/login/authenticator/", {"code": totp_code(device)})
    assert done.status_code == 200
    codes = StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    assert len(codes) == 10
    html = done.content.decode()
    assert all(code in html for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/patients/").status_code == 200
    # Shown once: the security page says how many are left, not what they are.
    security = client.get("/accounts/security/").content.decode()
    assert "<strong>10</strong> unused recovery codes" in security
    assert not any(code in security for code in codes)


def test_a_recovery_code_works_once(client, mfa, enrolled):
    user, _ = enrolled("pharmacist")
    code = recovery_codes_make(user=user, by=user)[0]
    password_step(client, "pharmacist.thornton-heath")
    response = client.post("/accounts/login/code/", {"code": code.upper()})
    assert response.status_code == 302
    assert client.get("/patients/").status_code == 200
    client.post("/accounts/logout/")

    password_step(client, "pharmacist.thornton-heath")
    again = client.post("/accounts/login/code/", {"code": code})
    assert again.status_code == 422
    assert_no_session(client)
    assert StaticDevice.objects.get(user=user).token_set.count() == 9


def test_wrong_codes_are_throttled(client, mfa, enrolled):
    mfa.OTP_TOTP_THROTTLE_FACTOR = 10  # 10 s, 20 s, 40 s...: no race with a slow test run
    _, device = enrolled("pharmacist")
    password_step(client, "pharmacist.thornton-heath")
    assert client.post("/accounts/login/code/", {"code": "000000"}).status_code == 422
    # Until the delay has passed no code is even checked: the right one is refused too.
    response = client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert response.status_code == 422
    assert "Too many wrong codes" in response.content.decode()
    assert_no_session(client)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Once it has passed, the right code works.
    device.throttling_failure_timestamp -= timedelta(seconds=11)
    device.save()
    response = client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert response.status_code == 302
    assert client.get("/patients/").status_code == 200


def test_wrong_codes_count_towards_lockout(client, mfa, enrolled, settings):
    _, device = enrolled("pharmacist")
    password_step(client, "pharmacist.thornton-heath")
    responses = [
        client.post("/accounts/login/code/", {"code": "000000"})
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert responses[-1].status_code == 429
    assert AccessAttempt.objects.get(username="pharmacist.thornton-heath").failures_since_start
    device.throttle_reset()
    # Locked out: the password step is refused, even with everything right.
    assert password_step(client, "pharmacist.thornton-heath").status_code == 429
    assert_no_session(client)


def test_without_mfa_the_password_logs_in_as_before(client, enrolled):
    enrolled("pharmacist")
    response = password_step(client, "pharmacist.thornton-heath")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/patients/").status_code == 200


def test_the_admin_logs_in_through_the_same_two_steps(client, mfa, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.nhs.uk", PASSWORD)
    device = TOTPDevice.objects.create(user=admin, name="Authenticator app", confirmed=True)

    response = client.get("/admin/")
    assert response.status_code == 302
    login_page = client.get(response["Location"])
    assert login_page.status_code == 302
    assert login_page["Location"] == "/accounts/login/?next=/admin/"
    # Posting a password to the admin's own login URL logs no one in.
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert "_auth_user_id" not in client.session

    password_step(client, "root", next_url="/admin/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    done = client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_security_page_makes_new_recovery_codes(client, enrolled):
    user, _ = enrolled("pharmacist")
    old = recovery_codes_make(user=user, by=user)
    client.force_login(user)
    page = client.get("/accounts/security/")
    assert page.status_code == 200 and "Authenticator app" in page.content.decode()
    response = client.post("/accounts/security/")
    new = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(new) == 10 and not set(old) & set(new)
    assert all(code in response.content.decode() for code in new)


def test_security_page_is_for_members(client):
    response = client.get("/accounts/security/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_every_page_links_the_persons_name_to_login_and_security(client, member):
    pharmacist = member("pharmacist")
    client.force_login(pharmacist)
    page = client.get("/patients/").content.decode()
    header = page[page.index('<nav class="nhsuk-header__account"') : page.index("</nav>")]
    link = re.search(r'<a [^>]*href="/accounts/security/"[^>]*>(.*?)</a>', header, re.S)
    # The name as the page shows it (an O'Brien is escaped in the HTML).
    assert link and pharmacist.get_full_name() in html.unescape(link.group(1))
