"""CareTeam (UK Core CareTeam): one per person, its id the person's, its participants the
members on their care team with their role and what they do for the person. Every role
that opens the person reads the care team (the person's page shows it), so not clinical.

The kernel pages rows and reads one by its primary key, so a care team's row is its first
member (the lowest id); the resource gathers all of the person's members (one query for
the page), and a read turns the person's id into that first member's id."""

from collections.abc import Sequence
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from fhir.resources.R4B.careteam import CareTeam
from fhir.resources.R4B.resource import Resource

from core.typing import User
from networks.models import Membership
from networks.roles import Role
from patients.models import CareTeamMember
from patients.selectors import patients_visible_to

from .. import codes
from ..registry import Context, ImportContext, ResourceType, meta, reference, register
from ._common import USERNAME, person_name, when


def _first_member() -> Subquery:
    return Subquery(
        CareTeamMember.objects.filter(patient_id=OuterRef("patient_id"))
        .order_by("pk")
        .values("pk")[:1]
    )


def rows(user: User) -> QuerySet[CareTeamMember]:
    """One row per person with a care team: their first member."""
    return CareTeamMember.objects.filter(patient__in=patients_visible_to(user), pk=_first_member())


def row_id(id_: str) -> int | None:
    """CareTeam/{person id} -> the id of the person's first care team member."""
    if not (id_.isdigit() and len(id_) <= 18):  # beyond a bigint: no such person
        return None
    return (
        CareTeamMember.objects.filter(patient_id=int(id_))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def to_fhir(leads: Sequence[CareTeamMember], ctx: Context) -> list[Resource]:
    members: dict[int, list[CareTeamMember]] = {lead.patient_id: [] for lead in leads}
    for member in (
        CareTeamMember.objects.filter(patient_id__in=members)
        .select_related("membership__user", "membership__organisation")
        .order_by("pk")
    ):
        members[member.patient_id].append(member)
    return [_care_team(patient_id, team) for patient_id, team in members.items()]


def _care_team(patient_id: int, team: list[CareTeamMember]) -> CareTeam:
    participants = []
    for member in team:
        membership = member.membership
        name = person_name(membership.user)
        if membership.organisation_id:
            name += f" ({membership.organisation.name})"
        label = Role(membership.role).label
        participants.append(
            {
                "role": [
                    {
                        "coding": [
                            {"system": codes.ICN_ROLE, "code": membership.role, "display": label}
                        ],
                        "text": member.involvement or label,
                    }
                ],
                "member": {
                    "type": "Practitioner",
                    "identifier": {"system": USERNAME, "value": membership.user.get_username()},
                    "display": name,
                },
                "period": {"start": member.added_at},
            }
        )
    return CareTeam.model_validate(
        {
            "resourceType": "CareTeam",
            "id": str(patient_id),
            "meta": meta("CareTeam"),
            "status": "active",
            "name": "Care team",
            "subject": reference("Patient", patient_id),
            "participant": participants,
        }
    )


def from_fhir(resource: dict[str, Any], ctx: ImportContext) -> list[CareTeamMember]:
    """ctx.patient's care team in ctx.network: each participant who is an active member of
    this network too (the same user, by username) joins it; the others are not members
    here and are left out. Returns the members added."""
    usernames = {}
    for participant in resource.get("participant", []):
        identifier = (participant.get("member") or {}).get("identifier") or {}
        if identifier.get("system") == USERNAME and identifier.get("value"):
            role = participant.get("role") or [{}]
            text = role[0].get("text", "")
            usernames[identifier["value"]] = (text, participant.get("period") or {})
    memberships = Membership.objects.filter(
        network=ctx.network, user__username__in=usernames, is_active=True
    ).select_related("user")
    added = []
    for membership in sorted(memberships, key=lambda m: list(usernames).index(m.user.username)):
        text, period = usernames[membership.user.username]
        involvement = "" if text == Role(membership.role).label else text
        member = CareTeamMember.objects.create(
            patient=ctx.patient,
            membership=membership,
            involvement=involvement[:200],
            added_by=ctx.by,
        )
        if period.get("start"):
            start = when(period["start"], "participant.period.start")
            CareTeamMember.objects.filter(pk=member.pk).update(added_at=start)
            member.added_at = start
        added.append(member)
    return added


CARE_TEAM = register(
    ResourceType(
        name="CareTeam",
        profile=codes.profile("CareTeam"),
        rows=rows,
        to_fhir=to_fhir,
        clinical=False,
        row_id=row_id,
        from_fhir=from_fhir,
        order=10,
        description="The person's care team (its id is the person's): the members involved, "
        "their role and what they do for the person.",
    )
)
