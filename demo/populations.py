"""The demo GP practices' registered list sizes (seed_demo): the denominators of the
figures per 1,000 population."""

import zlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from networks.models import Organisation
from reports.models import PracticePopulation


def seed_populations(upsert: Callable[..., Any], orgs: dict, chair: Any) -> None:
    """Each demo GP practice's registered list size for the last twelve whole months: a size
    from the practice's code, 6,000 to 14,000, growing by a few people a month. `upsert` is
    seed_demo's (model, label, keys, values), so a second run writes nothing."""
    month = timezone.localdate().replace(day=1)
    months = []
    for _ in range(12):
        month = (month - timedelta(days=1)).replace(day=1)
        months.append(month)
    for org in orgs.values():
        if org.kind != Organisation.Kind.GP_PRACTICE:
            continue
        base = 6000 + zlib.crc32(org.code.encode()) % 8000
        for age, first in enumerate(months):
            upsert(
                PracticePopulation,
                "GP list sizes",
                {"practice": org, "month": first},
                {"registered": base - 15 * age, "recorded_by_id": chair.pk},
            )


def commission_demo_networks(specs) -> dict[tuple[str, str], int]:
    """The first demo network's commissioner also commissions the others, so that networks side
    by side (issue #19) compares the demo's networks; as seed_demo's tally counts it (a second
    run changes nothing)."""
    from django.contrib.auth import get_user_model

    from networks.models import Membership, Network
    from networks.roles import Role
    from networks.services import membership_add

    first, *others = [spec.slug for spec in specs]
    user = get_user_model().objects.get(username=f"{Role.COMMISSIONER}.{first}")
    home = user.memberships.get(network__slug=first)
    tally = {("memberships", "created"): 0, ("memberships", "unchanged"): 0}
    for network in Network.objects.filter(slug__in=others):
        if Membership.objects.filter(user=user, network=network).exists():
            tally[("memberships", "unchanged")] += 1
            continue
        membership_add(
            user=user,
            network=network,
            role=Role.COMMISSIONER,
            organisation=home.organisation,
            job_title=home.job_title,
            by=None,
        )
        tally[("memberships", "created")] += 1
    return tally
