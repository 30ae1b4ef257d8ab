"""Fixtures shared by the meeting tests (a test module may define its own instead)."""

import pytest

from huddles import services


@pytest.fixture
def chair(member):
    return member("chair")


@pytest.fixture
def meeting(network):
    """The network's next meeting (scheduled on demand)."""
    return services.next_meeting(network)
