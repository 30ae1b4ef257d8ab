"""Single sign-on in the browser, through the real test identity provider."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import MembershipFactory, UserFactory
from tests.oidc_provider.fixture import PASSWORD

# The provider is started once for this module; `sso_on` points ICN at it.
from tests.oidc_provider.fixtures import oidc_provider, sso_on  # noqa: F401

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sso_on"),
]


def test_a_nurse_signs_in_with_her_organisations_account(page: Page, live_server, network):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    nurse = UserFactory(
        username="alice.ward",
        email="alice.ward@example.nhs.uk",
        first_name="Alice",
        last_name="Ward",
    )
    MembershipFactory(user=nurse, network=network, role="community_nurse")

    page.goto(f"{live_server.url}/patients/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to ICN")
    expect(page.get_by_label("Username")).to_be_visible()  # the password form stays
    page.get_by_role("link", name="Sign in with Test Care Identity").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Test identity provider")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in to the provider").click()

    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.get_by_role("banner")).to_contain_text("Alice Ward")
    expect(page.get_by_role("banner")).to_contain_text("Thornton Heath")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_someone_without_a_membership_is_told_whom_to_ask(page: Page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Test Care Identity").click()
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in to the provider").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "There is no ICN membership for this account"
    )
    expect(page.locator("main")).to_contain_text("carol.nobody@example.nhs.uk")
    expect(page.get_by_role("banner")).not_to_contain_text("Log out")
