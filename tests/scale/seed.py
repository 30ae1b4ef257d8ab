"""The scale-out tests' people, run as the tables' owner in a process of its own against the
fresh primary (tests/scale/stack.py): two networks, a person in each (and a second in the
first), a social worker and a manager of the first. Prints their ids as JSON, last."""

import json

import django

django.setup()

from core import rls  # noqa: E402
from tests.factories import MembershipFactory, NetworkFactory, PatientFactory  # noqa: E402


def main() -> None:
    rls.grant_to_app_role("icn_app")  # what migrate does (core/rls.py on_post_migrate)
    north = NetworkFactory(slug="north", name="North", involvement_required=False)
    south = NetworkFactory(slug="south", name="South", involvement_required=False)
    edith = PatientFactory(network=north, given_name="Edith", family_name="Okafor")
    ada = PatientFactory(network=north, given_name="Ada", family_name="Quenby")
    walter = PatientFactory(network=south, given_name="Walter", family_name="Pike")
    worker = MembershipFactory(network=north, role="social_worker", user__username="sw.north")
    manager = MembershipFactory(network=north, role="manager", user__username="manager.north")
    seeded = {
        "edith": edith.pk,
        "ada": ada.pk,
        "walter": walter.pk,
        "worker": worker.user.username,
        "manager": manager.user.username,
    }
    print(json.dumps(seeded))


main()
