"""pytest fixtures for tests that log in through the test identity provider: import them
into a conftest (`from tests.oidc_provider.fixtures import oidc_provider, sso_on`)."""

import pytest

from accounts import sso

from .fixture import start_provider

# The people the test identity provider knows (its password is the same for all).
IDP_USERS = [
    {"username": "alice", "email": "alice.ward@example.nhs.uk", "first_name": "Alice"},
    {"username": "bob", "email": "bob.hart@example.nhs.uk", "email_verified": False},
    {"username": "carol", "email": "carol.nobody@example.nhs.uk"},
    {"username": "dave", "email": "dave.left@example.nhs.uk"},
    {"username": "frank", "email": "frank.disabled@example.nhs.uk"},
    {"username": "erin.s@croydon.gov.uk", "email": "erin@home.example", "email_verified": False},
]


@pytest.fixture(scope="module")
def oidc_provider(live_server):
    """django-oauth-toolkit's OpenID provider, started once per module, with ICN (under
    live_server) registered as its client."""
    provider = start_provider(
        redirect_uri=f"{live_server.url}/accounts/oidc/callback/", users=IDP_USERS
    )
    yield provider
    provider.stop()


@pytest.fixture
def sso_on(settings, oidc_provider):
    """ICN configured, as an administrator would, with the provider's issuer alone."""
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = oidc_provider.client_id
    settings.OIDC_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_BUTTON_LABEL = "Test Care Identity"
    sso.forget_discovery()
    yield oidc_provider
    sso.forget_discovery()
