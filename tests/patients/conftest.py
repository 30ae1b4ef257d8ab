import pytest

from networks.models import Organisation
from tests.factories import OrganisationFactory


@pytest.fixture
def practice(network):
    """The network's GP practice H81001 (the import files name it)."""
    practice = OrganisationFactory(code="H81001", kind=Organisation.Kind.GP_PRACTICE)
    network.gp_practices.add(practice)
    return practice
