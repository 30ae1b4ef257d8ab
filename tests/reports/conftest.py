"""Fixtures shared by the reports page tests (test_admissions.py, test_admissions_manual.py)."""

import datetime

import pytest

from tests.factories import PatientFactory


@pytest.fixture
def people(network):
    """Three people in the network, born in 1940."""
    born = datetime.date(1940, 5, 1)
    return [
        PatientFactory(network=network, given_name=g, family_name="Okafor", date_of_birth=born)
        for g in ("Edith", "Amos", "Ruth")
    ]


@pytest.fixture
def chair(member):
    return member("chair")


@pytest.fixture
def login(client, member):
    def make(role="chair", net=None):
        user = member(role, net=net)
        client.force_login(user)
        return user

    return make
