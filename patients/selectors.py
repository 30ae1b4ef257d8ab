"""Reads of people's records, scoped to the caller's active network memberships.

One condition per line so that coverage proves each branch.
"""

from django.db.models import Q, QuerySet

from core import nhs_number
from core.typing import User
from networks.models import Network, Organisation
from networks.roles import CASEWORK_ROLES, TRAIL_ROLES, Role
from networks.selectors import active_memberships, network_ids_where

from .models import FrailtyAssessment, FrailtyScale, Patient


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """Everyone the user may open: people in networks where they do casework, and, for care
    home staff, the residents of their own care home in that network."""
    condition = Q(network_id__in=network_ids_where(user, CASEWORK_ROLES))
    for membership in active_memberships(user).values():
        if membership.role == Role.CARE_HOME_STAFF:
            condition |= Q(network_id=membership.network_id, care_home_id=membership.care_home_id)
    return Patient.objects.filter(condition)


def patients_in_user_networks(user: User) -> QuerySet[Patient]:
    """People in any of the user's networks, whatever the role: to tell 403 from 404."""

    return Patient.objects.filter(network_id__in=list(active_memberships(user)))


def patients_auditable_by(user: User) -> QuerySet[Patient]:
    """People whose access log the user may read."""
    return Patient.objects.filter(network_id__in=network_ids_where(user, TRAIL_ROLES))


def patient_search(queryset: QuerySet[Patient], q: str) -> QuerySet[Patient]:
    """Name (any word, prefix, case-insensitive) or NHS number (spaces allowed, prefix)."""
    q = (q or "").strip()
    if not q:
        return queryset
    digits = nhs_number.normalise(q)
    if digits.isdigit():
        return queryset.filter(nhs_number__startswith=digits)
    for word in q.split()[:4]:
        queryset = queryset.filter(
            Q(family_name__istartswith=word) | Q(given_name__istartswith=word)
        )
    return queryset


def patient_list(user: User, *, q: str = "") -> QuerySet[Patient]:
    queryset = patients_visible_to(user).select_related("network", "gp_practice", "care_home")
    return patient_search(queryset, q)


def patient_detail(user: User, patient_id: int | str) -> Patient | None:
    return (
        patients_visible_to(user)
        .select_related(
            "network",
            "gp_practice",
            "care_home",
            "key_worker__user",
            "key_worker__network",
            "consent_recorded_by",
        )
        .filter(pk=patient_id)
        .first()
    )


def latest_frailty_scores(patient_ids: list[int]) -> dict[int, dict[str, FrailtyAssessment]]:
    """Each person's latest scored assessment on each scale (eFI, CFS), by date assessed then
    by when recorded: one query however many people."""
    latest = (
        FrailtyAssessment.objects.filter(patient_id__in=patient_ids, scale__in=FrailtyScale.values)
        .order_by("patient_id", "scale", "-assessed_on", "-id")
        .distinct("patient_id", "scale")
        .only("id", "patient_id", "scale", "efi_score", "cfs_score", "assessed_on", "frailty")
    )
    found: dict[int, dict[str, FrailtyAssessment]] = {}
    for assessment in latest:
        found.setdefault(assessment.patient_id, {})[assessment.scale] = assessment
    return found


def latest_frailty_score(scores: dict[str, FrailtyAssessment]) -> FrailtyAssessment | None:
    """The more recent of a person's latest eFI and CFS (latest_frailty_scores)."""
    return max(scores.values(), key=lambda a: (a.assessed_on, a.pk), default=None)


# Another network's organisations are not this network's to use (API.md 1.1, Input rules): the
# same words whether the code exists elsewhere or not at all.
NOT_THE_NETWORKS = {
    "gp_practice": "No GP practice with that code in this network.",
    "care_home": "No care home with that code in this network.",
}


def organisation_of_network(network: Network, organisation: Organisation) -> bool:
    """Is the organisation one of the network's GP practices or care homes (by its kind)?"""
    if organisation.kind == Organisation.Kind.GP_PRACTICE:
        return network.gp_practices.filter(pk=organisation.pk).exists()
    if organisation.kind == Organisation.Kind.CARE_HOME:
        return network.care_homes.filter(pk=organisation.pk).exists()
    return False


def organisations_of_network(
    network: Network, kind: str, current_id: int | None = None
) -> QuerySet[Organisation]:
    """The network's GP practices or care homes (and the person's current one, kept even if
    the network has since stopped supporting it), for a form's choices."""
    related = "networks" if kind == Organisation.Kind.GP_PRACTICE else "care_home_networks"
    condition = Q(**{related: network})
    if current_id:
        condition |= Q(pk=current_id)
    return Organisation.objects.filter(condition, kind=kind).distinct().order_by("name")
