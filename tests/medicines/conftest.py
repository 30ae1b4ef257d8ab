"""Fixtures shared by the medicines page tests (test_visit_views.py, test_views.py)."""

import pytest


@pytest.fixture
def login(client, member):
    def make(role="pharmacist", net=None):
        user = member(role, net=net)
        client.force_login(user)
        return user

    return make
