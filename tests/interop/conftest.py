import pytest

from .validate import fhir_client


@pytest.fixture
def fhir(api):
    """fhir(user) -> a client whose get/post return (status, body) and check that every
    resource in the body parses with fhir.resources and names its UK Core profile."""

    def make(user=None):
        return fhir_client(api(user))

    return make
