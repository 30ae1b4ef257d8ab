"""Single sign-on against a real OpenID Connect provider (django-oauth-toolkit in a
subprocess, `tests/oidc_provider/`), driven over HTTP as a browser would: ICN's login page,
the SSO link, the provider's login form, back to ICN's callback."""

import html
import logging
import re
from importlib import import_module
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from django.conf import settings as django_settings
from django.utils import timezone

from accounts import sso
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} in the page"
    return html.unescape(found.group(1))


def to_provider(base_url: str, start: str = "/patients/") -> tuple[requests.Session, str]:
    """A fresh browser: a member page, sent to ICN's login page, the SSO button followed to
    the provider's login form. Returns the session and that form's page."""
    browser = requests.Session()
    page = browser.get(base_url + start)
    assert urlsplit(page.url).path == "/accounts/login/"
    link = re.search(r'id="sso-login" href="([^"]+)"', page.text)
    assert link, "no SSO button on the login page"
    page = browser.get(urljoin(page.url, html.unescape(link.group(1))))
    assert page.status_code == 200
    assert "Test identity provider" in page.text
    return browser, page


def sign_in_at_provider(browser, page, username, password, *, follow=True):
    return browser.post(
        urljoin(page.url, "/login/"),
        data={
            "csrfmiddlewaretoken": _field(page.text, "csrfmiddlewaretoken"),
            "next": _field(page.text, "next"),
            "username": username,
            "password": password,
        },
        allow_redirects=follow,
    )


def sso_login(base_url, username, password, start="/patients/"):
    browser, page = to_provider(base_url, start)
    return browser, sign_in_at_provider(browser, page, username, password)


def session_of(browser):
    key = browser.cookies.get(django_settings.SESSION_COOKIE_NAME)
    return import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=key)


def assert_logged_out(browser, base_url):
    page = browser.get(base_url + "/patients/", allow_redirects=False)
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/accounts/login/")


def test_a_member_matched_by_verified_email_is_logged_in(sso_on, live_server, network):
    user = UserFactory(
        username="alice.ward",
        email="Alice.Ward@Example.NHS.uk",
        first_name="Alice",
        last_name="Ward",
    )
    MembershipFactory(user=user, network=network, role="community_nurse")

    browser, page = sso_login(live_server.url, "alice", sso_on.password)

    assert page.status_code == 200
    assert urlsplit(page.url).path == "/patients/"  # where they were going
    assert "Alice Ward" in page.text
    session = session_of(browser)
    assert session["_auth_user_id"] == str(user.pk)
    assert session[sso.AUTH_METHOD_SESSION_KEY] == "sso"


def refused(base_url, idp_user, password, expected):
    browser, page = sso_login(base_url, idp_user, password)
    assert page.status_code == 403
    assert urlsplit(page.url).path == "/accounts/oidc/callback/"
    assert expected in page.text
    assert_logged_out(browser, base_url)
    assert "_auth_user_id" not in session_of(browser)
    return page


NO_MEMBERSHIP = "There is no ICN membership for this account"


def test_someone_with_no_icn_account_is_refused_and_it_is_logged(sso_on, live_server, caplog):
    with caplog.at_level(logging.WARNING, logger="accounts.sso"):
        page = refused(live_server.url, "carol", sso_on.password, NO_MEMBERSHIP)

    assert "carol.nobody@example.nhs.uk" in page.text  # what to tell the chair
    assert "ask your network's chair" in page.text.lower()
    (refusal,) = [r for r in caplog.records if r.name == "accounts.sso"]
    assert refusal.levelno == logging.WARNING
    assert "SSO login refused (no_account)" in refusal.getMessage()
    assert "sub=" in refusal.getMessage()
    assert "email='carol.nobody@example.nhs.uk'" in refusal.getMessage()


def test_an_email_the_provider_has_not_verified_is_refused(sso_on, live_server, network):
    MembershipFactory(user=UserFactory(username="bob.hart", email="bob.hart@example.nhs.uk"))

    refused(live_server.url, "bob", sso_on.password, "Your e-mail address is not confirmed")


def test_an_inactive_user_or_membership_is_refused(sso_on, live_server, network):
    left = UserFactory(username="dave.left", email="dave.left@example.nhs.uk")
    MembershipFactory(user=left, network=network, is_active=False, deactivated_at=timezone.now())
    disabled = UserFactory(username="frank", email="frank.disabled@example.nhs.uk")
    disabled.is_active = False
    disabled.save()
    MembershipFactory(user=disabled, network=network)

    refused(live_server.url, "dave", sso_on.password, NO_MEMBERSHIP)
    refused(live_server.url, "frank", sso_on.password, NO_MEMBERSHIP)


def test_username_mode_matches_the_configured_claim(sso_on, live_server, network, settings):
    """As for Entra ID: the user principal name (`preferred_username`) against ICN's user
    name, whatever the e-mail address (here not even verified)."""
    settings.OIDC_MATCH = "username"
    settings.OIDC_USERNAME_CLAIM = "preferred_username"
    user = UserFactory(
        username="Erin.S@croydon.gov.uk",
        email="erin.smith@croydon.gov.uk",
        first_name="Erin",
        last_name="Shaw",
    )
    MembershipFactory(user=user, network=network, role="social_worker")

    browser, page = sso_login(live_server.url, "erin.s@croydon.gov.uk", sso_on.password)

    assert page.status_code == 200
    assert "Erin Shaw" in page.text
    assert session_of(browser)["_auth_user_id"] == str(user.pk)


def test_username_mode_does_not_fall_back_to_email(sso_on, live_server, network, settings):
    settings.OIDC_MATCH = "username"
    settings.OIDC_USERNAME_CLAIM = "preferred_username"
    MembershipFactory(user=UserFactory(username="alice.ward", email="alice.ward@example.nhs.uk"))

    browser, page = sso_login(live_server.url, "alice", sso_on.password)

    assert page.status_code == 403
    assert_logged_out(browser, live_server.url)


def test_a_tampered_state_or_another_browser_is_refused(sso_on, live_server, network):
    """The state must be the one issued to this browser: a forged one, or the genuine
    callback opened in another browser (login CSRF, a leaked link), logs no one in."""
    user = UserFactory(username="alice.ward", email="alice.ward@example.nhs.uk")
    MembershipFactory(user=user, network=network)
    browser, page = to_provider(live_server.url)
    answer = sign_in_at_provider(browser, page, "alice", sso_on.password, follow=False)
    while not urlsplit(answer.headers["Location"]).path.endswith("/accounts/oidc/callback/"):
        answer = browser.get(urljoin(answer.url, answer.headers["Location"]), allow_redirects=False)
    callback = urlsplit(urljoin(answer.url, answer.headers["Location"]))
    query = parse_qs(callback.query)
    assert set(query) >= {"code", "state"}
    forged = {**{k: v[0] for k, v in query.items()}, "state": "forged-" + query["state"][0]}

    page = browser.get(urlunsplit(callback._replace(query=urlencode(forged))))

    assert page.status_code == 400
    assert "Sign-in not completed" in page.text
    assert_logged_out(browser, live_server.url)
    stranger = requests.Session()
    assert stranger.get(urlunsplit(callback)).status_code == 400
    assert_logged_out(stranger, live_server.url)
    # The genuine callback still works: only the state was wrong.
    page = browser.get(urlunsplit(callback))
    assert page.status_code == 200
    assert session_of(browser)["_auth_user_id"] == str(user.pk)


def test_a_discovery_document_for_another_issuer_is_not_trusted(
    sso_on, live_server, client, settings
):
    """The provider answers at `localhost` but says its issuer is `127.0.0.1`: ICN does not
    send anyone there."""
    settings.OIDC_ISSUER = sso_on.issuer.replace("127.0.0.1", "localhost")

    response = client.get("/accounts/oidc/login/")

    assert response.status_code == 503
    assert b"Single sign-on is not available" in response.content


@pytest.mark.django_db
def test_no_button_and_no_sso_pages_when_no_issuer_is_set(client, settings):
    settings.OIDC_ISSUER = ""

    page = client.get("/accounts/login/")

    assert page.status_code == 200
    assert b"Sign in with" not in page.content
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


@pytest.mark.django_db
def test_the_button_names_the_provider_and_keeps_the_destination(client, settings):
    settings.OIDC_ISSUER = "https://login.example.org/tenant/v2.0"
    settings.OIDC_BUTTON_LABEL = "NHS Care Identity"

    page = client.get("/accounts/login/?next=/patients/")

    assert b"Sign in with NHS Care Identity" in page.content
    assert b'href="/accounts/oidc/login/?next=/patients/"' in page.content


def test_refusals_do_not_lock_out_single_sign_on(sso_on, live_server, network, settings):
    """Password lockout (django-axes, by user name and address) is not for SSO refusals:
    they guess nothing, and a hospital's staff share one address behind its proxy."""
    MembershipFactory(
        user=UserFactory(username="alice.ward", email="alice.ward@example.nhs.uk"),
        network=network,
    )
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        refused(live_server.url, "carol", sso_on.password, NO_MEMBERSHIP)

    browser, page = sso_login(live_server.url, "alice", sso_on.password)

    assert page.status_code == 200
    assert session_of(browser)["_auth_user_id"]
