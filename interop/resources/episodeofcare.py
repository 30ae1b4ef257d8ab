"""EpisodeOfCare (UK Core EpisodeOfCare) from a time on the MDT caseload (``huddles.Episode``):
when it began and ended. Not why, nor the admission-avoided answer (clinical): every role
that opens the person reads when they came onto and left the caseload (the timeline shows
the PIC that much), so not clinical."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from fhir.resources.R4B.episodeofcare import EpisodeOfCare
from fhir.resources.R4B.resource import Resource

from core.typing import User
from huddles.models import Episode
from patients.selectors import patients_visible_to

from .. import codes
from ..outcome import FhirError
from ..registry import Context, ImportContext, ResourceType, SearchError, meta, reference, register
from ._common import when


def rows(user: User) -> QuerySet[Episode]:
    return Episode.objects.filter(patient__in=patients_visible_to(user)).select_related("network")


def to_fhir(episodes: Sequence[Episode], ctx: Context) -> list[Resource]:
    return [_episode(e) for e in episodes]


def _episode(episode: Episode) -> EpisodeOfCare:
    period: dict[str, Any] = {"start": episode.opened_at}
    if episode.closed_at is not None:
        period["end"] = episode.closed_at
    return EpisodeOfCare.model_validate(
        {
            "resourceType": "EpisodeOfCare",
            "id": str(episode.pk),
            "meta": meta("EpisodeOfCare"),
            "identifier": [{"system": codes.icn_identifier("episode"), "value": str(episode.pk)}],
            "status": "active" if episode.closed_at is None else "finished",
            "type": [{"text": "Multidisciplinary team caseload"}],
            "patient": reference("Patient", episode.patient_id),
            "managingOrganization": {"display": episode.network.name},
            "period": period,
        }
    )


def by_status(rows: QuerySet[Episode], value: str) -> QuerySet[Episode]:
    if value == "active":
        return rows.filter(closed_at__isnull=True)
    if value == "finished":
        return rows.filter(closed_at__isnull=False)
    raise SearchError("status is active or finished.")


def from_fhir(resource: dict[str, Any], ctx: ImportContext) -> Episode:
    """The time on ctx.network's caseload the resource describes (no agenda item, no
    meeting): opened and closed when it says."""
    period = resource.get("period") or {}
    opened = when(period.get("start"), "period.start")
    if opened is None:
        raise FhirError(422, ("EpisodeOfCare.period.start is missing.", "period.start"))
    closed = when(period.get("end"), "period.end")
    if closed is None and resource.get("status") in ("finished", "cancelled"):
        closed = opened
    if closed is None and Episode.objects.filter(patient=ctx.patient, closed_at=None).exists():
        raise FhirError(422, ("The person is already on the caseload (an open episode).", "status"))
    return Episode.objects.create(
        patient=ctx.patient, network=ctx.network, opened_at=opened, closed_at=closed
    )


EPISODE_OF_CARE = register(
    ResourceType(
        name="EpisodeOfCare",
        profile=codes.profile("EpisodeOfCare"),
        rows=rows,
        to_fhir=to_fhir,
        clinical=False,
        search={"status": by_status},
        from_fhir=from_fhir,
        order=20,
        description="Times on the MDT caseload: when each began and ended.",
    )
)
