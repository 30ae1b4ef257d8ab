"""A first login with a second factor in headless Debian Chromium: password, set up the
authenticator from the key shown, recovery codes, then a later login with a code."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-good-long-password"


def code_for(secret: str, steps_ahead: int = 0) -> str:
    secret = secret.replace(" ", "")
    totp = TOTP(b32decode(secret + "=" * (-len(secret) % 8)))
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def test_first_login_sets_up_an_authenticator_then_logs_in_with_a_code(
    page: Page, live_server, member, settings
):
    settings.ICN_REQUIRE_MFA = True
    member("pharmacist")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    log_in(page, live_server.url, "pharmacist.thornton-heath", PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/login/authenticator/$"))
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator(".secret-key code").inner_text()
    page.get_by_label("Code from your authenticator app").fill(code_for(secret))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name=re.compile("continue", re.I)).click()
    expect(page).to_have_url(re.compile(r"/medicines/my-day/$"))  # pharmacy starts on My day

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server.url, "pharmacist.thornton-heath", PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    # The same 30-second step cannot be used twice: the app's next code.
    page.get_by_label("Security code").fill(code_for(secret, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/medicines/my-day/$"))  # pharmacy starts on My day
    assert not [e for e in errors if "Content Security Policy" in e], errors
