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
