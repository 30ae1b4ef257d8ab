"""Passkeys in headless Debian Chromium with a CDP virtual authenticator (a platform
passkey with user verification, as a laptop's fingerprint reader): add one from the
security page, log out, log in with the password and the passkey instead of a code.

WebAuthn needs a secure context: http://localhost is one (127.0.0.1 is not for every
browser), and the relying party id defaults to the page's host name, so the live server is
reached as localhost."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.accounts.mfa import PASSWORD, totp_code
from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
USERNAME = "pharmacist.thornton-heath"


def virtual_authenticator(page: Page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_add_a_passkey_then_log_in_with_it_instead_of_a_code(
    page: Page, live_server, enrolled, settings
):
    settings.ICN_REQUIRE_MFA = True
    _user, device = enrolled("pharmacist")
    base = live_server.url.replace("127.0.0.1", "localhost")
    assert base.startswith("http://localhost:")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    cdp, authenticator = virtual_authenticator(page)

    # A first login with the authenticator app, then the security page.
    log_in(page, base, USERNAME, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.get_by_role("button", name="Use a passkey")).to_have_count(0)
    page.get_by_label("Security code").fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/medicines/my-day/$"))  # pharmacy starts on My day

    page.goto(f"{base}/accounts/security/")
    expect(page.get_by_text("You have no passkeys.")).to_be_visible()
    page.get_by_label("Name for a new passkey").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey \u201cWork laptop\u201d added.")).to_be_visible()
    expect(page.locator("#passkeys tbody tr")).to_have_count(1)
    expect(page.locator("#passkeys td").first).to_have_text("Work laptop")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["rpId"] == "localhost"

    page.get_by_role("button", name="Log out").click()

    # The password, then the passkey in place of a code.
    log_in(page, base, USERNAME, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(re.compile(r"/medicines/my-day/$"))  # pharmacy starts on My day
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert credentials["credentials"][0]["signCount"] >= 2

    page.goto(f"{base}/accounts/security/")
    expect(page.locator("#passkeys td").nth(2)).not_to_have_text("not yet")
    assert not [e for e in errors if "Content Security Policy" in e], errors
