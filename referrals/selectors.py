"""Reads of referrals and flags, scoped to the caller's networks and role."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from core.typing import User
from networks.models import Network
from networks.roles import (
    CLINICAL_ROLES,
    DEFAULT_SERVING_ROLES,
    Role,
    Service,
)
from networks.selectors import active_memberships, network_ids_where
from patients.models import Patient

from .models import PatientFlag, RedFlag, Referral, ServiceConfig

DEFAULT_ACCEPTS: dict[str, str] = {
    Service.MDT: "People at risk of an unplanned admission who need several services "
    "coordinated: discussed at the next meeting.",
    Service.MEDICINES_OPTIMISATION: "Problems with medicines: not managing them, stockpiles, "
    "several dispensing dates, recent changes after discharge, falls on high-risk medicines.",
    Service.SOCIAL_SERVICES: "Care and support needs, carers' breakdown, safeguarding "
    "concerns, housing and heating problems, money worries.",
    Service.PIC: "Loneliness, getting out and about, personal goals, links to community "
    "support. Not personal care.",
    Service.OCCUPATIONAL_THERAPY: "Difficulty with daily activities or moving around the home: "
    "not using upstairs, sleeping in a chair or on the sofa, equipment.",
    Service.PHYSIOTHERAPY: "Falls, reduced mobility, strength and balance.",
    Service.COMMUNITY_NURSING: "Housebound people needing nursing: wounds, continence, "
    "injections, end of life care.",
    Service.GP: "Medical review that cannot wait for the next meeting.",
}


@dataclass(frozen=True)
class ServiceInfo:
    code: str
    label: str
    serving_roles: tuple[str, ...]
    accepts: str
    active: bool


_SERVICES_ATTR = "_icn_service_directory"


def service_directory(
    network: Network, configs: Iterable[ServiceConfig] | None = None
) -> dict[str, ServiceInfo]:
    """Every service in the network, the network's own settings over the defaults
    (one query, kept on the network object for the rest of the request). `configs`: the
    network's ServiceConfig rows when already read (the navigation reads them)."""
    cached = getattr(network, _SERVICES_ATTR, None)
    if cached is not None:
        return cached
    if configs is None:
        configs = ServiceConfig.objects.filter(network_id=network.pk)
    by_service = {c.service: c for c in configs}
    directory = {}
    for service in Service:
        config = by_service.get(service.value)
        directory[service.value] = ServiceInfo(
            code=service.value,
            label=service.label,
            serving_roles=tuple(config.serving_roles) if config else DEFAULT_SERVING_ROLES[service],
            accepts=(config.accepts if config and config.accepts else DEFAULT_ACCEPTS[service]),
            active=config.active if config else True,
        )
    setattr(network, _SERVICES_ATTR, directory)
    return directory


def services_served_by(user: User, network: Network) -> list[str]:
    """Services whose referrals the user may triage in this network (the chair: all)."""
    membership = active_memberships(user).get(network.pk)
    if membership is None:
        return []
    directory = service_directory(membership.network)
    if membership.role == Role.CHAIR:
        return [code for code, info in directory.items() if info.active]
    return [
        code
        for code, info in directory.items()
        if info.active and membership.role in info.serving_roles
    ]


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    """Clinical roles: every referral in their networks. The PIC: referrals to the PIC
    service and those they made. Anyone (a partner system too): the referrals they made."""
    memberships = active_memberships(user)
    pic_networks = network_ids_where(user, {Role.PIC})
    return Referral.objects.filter(
        Q(network_id__in=network_ids_where(user, CLINICAL_ROLES))
        | Q(network_id__in=pic_networks, service=Service.PIC)
        | Q(network_id__in=list(memberships), referred_by_id=user.pk)
    )


def referrals_in_networks_of(user: User) -> QuerySet[Referral]:
    """Any referral in the user's networks: to tell "not yours" (403) from "not here" (404)."""
    return Referral.objects.filter(network_id__in=list(active_memberships(user)))


def inbox(network: Network, service: str) -> QuerySet[Referral]:
    """New referrals to a service: urgent first, then oldest."""
    return (
        Referral.objects.filter(network=network, service=service, status=Referral.Status.NEW)
        .select_related("patient", "referred_by", "source_organisation", "network")
        .prefetch_related("flags__flag")
        .order_by("-urgency", "created_at", "id")  # "urgent" > "routine"
    )


def inbox_count(user: User, network: Network) -> int:
    services = services_served_by(user, network)
    if not services:
        return 0
    return Referral.objects.filter(
        network=network, service__in=services, status=Referral.Status.NEW
    ).count()


def open_referral(patient: Patient, service: str) -> Referral | None:
    return (
        Referral.objects.filter(patient=patient, service=service, status__in=Referral.OPEN)
        .order_by("created_at")
        .first()
    )


def active_red_flags() -> QuerySet[RedFlag]:
    return RedFlag.objects.filter(active=True).order_by("category", "label")


def active_flags_for(patient: Patient) -> QuerySet[PatientFlag]:
    return (
        PatientFlag.objects.filter(patient=patient, resolved_at__isnull=True)
        .select_related("flag", "raised_by", "referral")
        .order_by("-raised_at")
    )
