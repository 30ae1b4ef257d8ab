"""The huddles' columns on the people list (patients' caseload page), through the port
settings.ICN_PORTS["caseload_columns"]: the list sits on a floor below this one."""

from django.contrib.auth.models import User
from django.utils import formats, timezone

from .models import Episode


def caseload_columns(user: User, patient_ids: list[int]) -> dict[str, dict[int, str]]:
    """ "On caseload since": when each person's open MDT episode began. One query for the
    page; the ids are of people the caller may already see."""
    opened = Episode.objects.filter(patient_id__in=patient_ids, closed_at__isnull=True).values_list(
        "patient_id", "opened_at"
    )
    return {
        "On caseload since": {
            patient_id: formats.date_format(timezone.localtime(at).date(), "j M Y")
            for patient_id, at in opened
        }
    }
