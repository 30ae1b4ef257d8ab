"""Single sign-on settings: production refuses an issuer it cannot trust."""

import pytest

from tests.test_deploy import manage, production_env


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"OIDC_ISSUER": "http://idp.example.org"}, "must be an https:// URL"),
        ({"OIDC_ISSUER": "https://idp.example.org"}, "needs OIDC_CLIENT_ID"),
        ({"OIDC_ISSUER": "", "OIDC_MATCH": "name"}, "OIDC_MATCH must be"),
    ],
    ids=["plain-http", "no-client", "unknown-match"],
)
def test_production_refuses_to_start(extra, message):
    result = manage("check", env=production_env(ICN_READ_DOTENV="false", **extra))

    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_sso_configured():
    env = production_env(
        ICN_READ_DOTENV="false",
        OIDC_ISSUER="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
        OIDC_CLIENT_ID="icn",
        OIDC_CLIENT_SECRET="s3cret",
        OIDC_MATCH="username",
        OIDC_USERNAME_CLAIM="preferred_username",
    )

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stderr
