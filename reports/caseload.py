"""The reports' column on the people list (patients' caseload page), through the port
settings.ICN_PORTS["caseload_columns"]: admissions in the last 12 months, a Subquery the
list sorts on in SQL."""

import datetime

from django.db.models import OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.queries import count_of
from core.typing import User
from patients.caseload import CaseloadColumn

from .models import AdmissionEvent

YEAR = datetime.timedelta(days=365)


def admissions_within(days: int) -> Coalesce:
    """The number of a person's hospital admissions (any kind) in the last `days` days, as an
    expression on OuterRef("pk") (0 when none)."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    admissions = AdmissionEvent.objects.filter(patient=OuterRef("pk"), admitted_on__gt=since)
    return count_of(admissions, "patient")


def caseload_columns(user: User) -> list[CaseloadColumn]:
    return [
        CaseloadColumn(
            key="admissions_12m",
            label="Admissions (12 months)",
            expression=admissions_within(YEAR.days),
            kind="number",
            clinical=True,
        )
    ]
