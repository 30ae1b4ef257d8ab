"""Reads of referrals and flags, scoped to the caller's networks and role."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from core.typing import User
from networks.models import Membership, Network
from networks.roles import (
    CLINICAL_ROLES,
    DEFAULT_SERVING_ROLES,
    Role,
    Service,
)
from networks.selectors import active_memberships, network_ids_where
from patients.involvement import RECENT_DAYS
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
    """Every service in the network: the built-in ones (the network's settings over the
    defaults), then the network's own in label order (one query, kept on the network object
    for the rest of the request). `configs`: the network's ServiceConfig rows when already
    read (the navigation reads them)."""
    cached = getattr(network, _SERVICES_ATTR, None)
    if cached is not None:
        return cached
    if configs is None:
        configs = ServiceConfig.objects.filter(network_id=network.pk)
    directory = _directory(list(configs))
    setattr(network, _SERVICES_ATTR, directory)
    return directory


def forget_service_directory(network: Network) -> None:
    """After a change to the network's services: the next read asks the database again."""
    network.__dict__.pop(_SERVICES_ATTR, None)


def _directory(configs: list[ServiceConfig]) -> dict[str, ServiceInfo]:
    by_service = {c.service: c for c in configs}
    directory = {}
    for service in Service:
        config = by_service.pop(service.value, None)
        directory[service.value] = ServiceInfo(
            code=service.value,
            label=(config.label if config and config.label else service.label),
            serving_roles=tuple(config.serving_roles) if config else DEFAULT_SERVING_ROLES[service],
            accepts=(config.accepts if config and config.accepts else DEFAULT_ACCEPTS[service]),
            active=config.active if config else True,
        )
    for config in sorted(by_service.values(), key=lambda c: (c.label or c.service).lower()):
        directory[config.service] = ServiceInfo(
            code=config.service,
            label=config.label or config.service,
            serving_roles=tuple(config.serving_roles),
            accepts=config.accepts,
            active=config.active,
        )
    return directory


def service_labels(network_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """{network id: {service code: label}} for several networks, in one query."""
    ids = sorted(set(network_ids))
    configs: dict[int, list[ServiceConfig]] = {pk: [] for pk in ids}
    if ids:
        for config in ServiceConfig.objects.filter(network_id__in=ids):
            configs[config.network_id].append(config)
    return {
        pk: {code: info.label for code, info in _directory(rows).items()}
        for pk, rows in configs.items()
    }


def network_directory_for(user: User, network_id: int) -> dict[str, ServiceInfo]:
    """The directory of one of the user's networks through their membership's network object,
    which the navigation has already primed (no query on pages)."""
    membership = active_memberships(user).get(network_id)
    if membership is None:
        return {code: info for code, info in _directory([]).items()}
    return service_directory(membership.network)


def label_from(referrals: Iterable[Referral | None], directory: dict[str, ServiceInfo]) -> None:
    """Prime `service_label` of referrals of one network from its directory (no query)."""
    for referral in referrals:
        if referral is not None:
            info = directory.get(referral.service)
            referral._service_label = info.label if info else referral.service


def label_services(referrals: Iterable[Referral]) -> list[Referral]:
    """Prime each referral's `service_label` from its network's configuration: one query
    however many referrals and networks."""
    referrals = list(referrals)
    labels = service_labels(r.network_id for r in referrals)
    for referral in referrals:
        referral._service_label = labels[referral.network_id].get(
            referral.service, referral.service
        )
    return referrals


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


def patient_involvement(*, memberships: list[Membership], now: datetime) -> Q:
    """The ``patient_involvement`` port (patients.involvement): a condition on Patient, the
    member's role serves a service (the network's ServiceConfig, else the built-in default)
    with a referral for the person open, or closed in the last RECENT_DAYS."""
    recent = now - timedelta(days=RECENT_DAYS)
    condition = Q(pk__in=[])
    for membership in memberships:
        nid, role = membership.network_id, membership.role
        configured = ServiceConfig.objects.filter(network_id=nid, service=OuterRef("service"))
        served = Q(Exists(configured.filter(serving_roles__contains=[role]))) | Q(
            ~Exists(configured),
            service__in=[s for s, roles in DEFAULT_SERVING_ROLES.items() if role in roles],
        )
        referrals = Referral.objects.filter(patient_id=OuterRef("pk"), network_id=nid).filter(
            Q(status__in=Referral.OPEN) | Q(closed_at__gte=recent)
        )
        condition |= Q(Exists(referrals.filter(served)))
    return condition
