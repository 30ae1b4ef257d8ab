from tests.oidc_provider.fixtures import oidc_provider, sso_on  # noqa: F401
