"""Fixtures shared by the referrals page tests (test_inbox_views.py, test_views.py)."""

import pytest


@pytest.fixture
def social_worker(member):
    return member("social_worker")


@pytest.fixture
def pharmacist(member):
    return member("pharmacist")


@pytest.fixture
def login(client, member):
    def make(role="pharmacist", net=None):
        user = member(role, net=net)
        client.force_login(user)
        return user

    return make
