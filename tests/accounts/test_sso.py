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
        username="alice.ward", email="Alice.Ward@Example.NHS.uk", first_name="Alice",
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


@pytest.mark.parametrize(
    ("idp_user", "icn_user", "expected"),
    [
        ("carol", None, "There is no ICN membership for this account"),
        ("bob", "active", "Your e-mail address is not confirmed"),
        ("dave", "membership_inactive", "There is no ICN membership for this account"),
        ("frank", "user_inactive", "There is no ICN membership for this account"),
    ],
    ids=["no-such-user", "email-not-verified", "membership-inactive", "user-inactive"],
)
def test_refused_with_a_clear_page_and_no_session(
    sso_on, live_server, network, caplog, idp_user, icn_user, expected
):
    email = {
        "bob": "bob.hart@example.nhs.uk",
        "dave": "dave.left@example.nhs.uk",
        "frank": "frank.disabled@example.nhs.uk",
    }.get(idp_user)
    if icn_user:
        user = UserFactory(username=f"{idp_user}.icn", email=email)
        if icn_user == "user_inactive":
            user.is_active = False
            user.save()
        if icn_user == "membership_inactive":
            MembershipFactory(
                user=user, network=network, is_active=False, deactivated_at=timezone.now()
            )
        else:
            MembershipFactory(user=user, network=network)

    with caplog.at_level(logging.WARNING, logger="accounts.sso"):
        browser, page = sso_login(live_server.url, idp_user, sso_on.password)

    assert page.status_code == 403
    assert urlsplit(page.url).path == "/accounts/oidc/callback/"
    assert expected in page.text
    if expected.startswith("There is no ICN membership"):
        assert "ask your network" in page.text.lower()
    assert_logged_out(browser, live_server.url)
    assert "_auth_user_id" not in session_of(browser)
    refusals = [r.getMessage() for r in caplog.records if r.name == "accounts.sso"]
    assert len(refusals) == 1
    assert "SSO login refused" in refusals[0]
    assert "sub=" in refusals[0] and "@example.nhs.uk" in refusals[0]


def test_username_mode_matches_the_configured_claim(sso_on, live_server, network, settings):
    """As for Entra ID: the user principal name (`preferred_username`) against ICN's user
    name, whatever the e-mail address (here not even verified)."""
    settings.OIDC_MATCH = "username"
    settings.OIDC_USERNAME_CLAIM = "preferred_username"
    user = UserFactory(
        username="Erin.S@croydon.gov.uk", email="erin.smith@croydon.gov.uk", first_name="Erin",
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


def test_a_tampered_state_is_refused(sso_on, live_server, network):
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
    # The genuine callback still works: only the state was wrong.
    page = browser.get(urlunsplit(callback))
    assert page.status_code == 200
    assert session_of(browser)["_auth_user_id"] == str(user.pk)


def test_a_callback_opened_in_another_browser_is_refused(sso_on, live_server, network):
    """The state belongs to the browser that started the sign-in: a callback URL taken to
    another browser (login CSRF, a leaked link) logs no one in there."""
    user = UserFactory(username="alice.ward", email="alice.ward@example.nhs.uk")
    MembershipFactory(user=user, network=network)
    browser, page = to_provider(live_server.url)
    answer = sign_in_at_provider(browser, page, "alice", sso_on.password, follow=False)
    while not urlsplit(answer.headers["Location"]).path.endswith("/accounts/oidc/callback/"):
        answer = browser.get(urljoin(answer.url, answer.headers["Location"]), allow_redirects=False)
    callback = urljoin(answer.url, answer.headers["Location"])

    stranger = requests.Session()
    assert stranger.get(callback).status_code == 400
    assert_logged_out(stranger, live_server.url)


def test_a_discovery_document_for_another_issuer_is_not_trusted(
    sso_on, live_server, client, settings
):
    """The provider answers at `localhost` but says its issuer is `127.0.0.1`: ICN does not
    send anyone there."""
    settings.OIDC_ISSUER = sso_on.issuer.replace("127.0.0.1", "localhost")

    response = client.get("/accounts/oidc/login/")

    assert response.status_code == 503
    assert b"Single sign-on is not available" in response.content


def test_no_button_and_no_sso_pages_when_no_issuer_is_set(client, settings):
    settings.OIDC_ISSUER = ""

    page = client.get("/accounts/login/")

    assert page.status_code == 200
    assert b"Sign in with" not in page.content
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_the_button_names_the_provider_and_keeps_the_destination(client, settings):
    settings.OIDC_ISSUER = "https://login.example.org/tenant/v2.0"
    settings.OIDC_BUTTON_LABEL = "NHS Care Identity"

    page = client.get("/accounts/login/?next=/patients/")

    assert b"Sign in with NHS Care Identity" in page.content
    assert b'href="/accounts/oidc/login/?next=/patients/"' in page.content
