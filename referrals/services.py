"""Every write to referrals and red flags: creation with de-duplication, the guarded
lifecycle (new -> accepted | declined -> completed; new -> withdrawn), and the closed loop
back to the referrer."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core import ports
from core.attribution import attributed
from core.errors import Conflict
from networks.models import Network, Organisation
from networks.roles import CASEWORK_ROLES, DEFAULT_SERVING_ROLES, Service
from networks.selectors import role_in
from notifications.services import notification_send
from patients.models import Consent, Patient
from patients.services import consent_to_share
from webhooks.models import EventType
from webhooks.services import event_record, referral_data

from .catalogue import SERVICE_SNOMED
from .models import (
    OUTCOME_MAX_LENGTH,
    REFERRAL,
    PatientFlag,
    RedFlag,
    Referral,
    ServiceConfig,
    Urgency,
)
from .selectors import forget_service_directory, open_referral, service_directory

Status = Referral.Status
REASON_MAX_LENGTH = Referral._meta.get_field("reason").max_length or 4000


@dataclass
class Raised:
    """What one write raised: the referral asked for, and any raised by its red flags."""

    referral: Referral | None = None
    flag_referrals: list[Referral] = field(default_factory=list)
    flags: list[PatientFlag] = field(default_factory=list)
    # Flags routed to the PIC for a person without consent to share: no referral, a task to
    # the one who raised them to ask for consent (API.md 1.1 "Referrals").
    held_for_consent: list[PatientFlag] = field(default_factory=list)


def _clean_text(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field_name: [message]})
    return value


def _insert_referral(referral: Referral) -> Referral:
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError as exc:
        if "referral_one_open_per_person_and_service" in str(exc):
            # Neither the person's name nor the other referral's id: the caller (a partner
            # system, a PIC) may not be allowed to read them. The caller's view adds the id
            # for those who may.
            raise Conflict(
                f"This person already has an open {referral.service_label.lower()} referral.",
                field="service",
                record=open_referral(referral.patient, referral.service),
            ) from exc
        if "referral_external_identifier_once" in str(exc):
            raise Conflict(
                "A referral with this identifier is already recorded in this network.",
                field="external_id",
                record=Referral.objects.filter(
                    network_id=referral.network_id,
                    external_system=referral.external_system,
                    external_id=referral.external_id,
                ).first(),
            ) from exc
        raise
    _announce(referral, EventType.REFERRAL_CREATED)
    return referral


def _announce(referral: Referral, event: str) -> None:
    """Partner systems subscribed hear of it (webhooks), in this transaction: the network's
    chair's subscriptions, and the referrer's own."""
    event_record(
        network_id=referral.network_id,
        type=event,
        data=referral_data(referral),
        referrer_id=referral.referred_by_id,
    )


NO_CONSENT_TO_SHARE = (
    "A referral to the PIC needs the person's consent to share their information with the "
    "voluntary sector, or a best-interests decision naming who took it: record it first."
)

# What the page tells the one who raised a flag held back for want of consent.
NO_CONSENT_TASK = (
    "No referral to the PIC: consent to share is not recorded; a task to ask has been added "
    "to your list."
)


def _may_share(patient: Patient) -> bool:
    """Consent to share as it stands now, read under a lock on the person's row: a consent
    withdrawn at the same moment either comes first (and this sees it) or waits for this
    write and then withdraws what it made (patients.services.patient_record_consent)."""
    current = (
        Patient.objects.select_for_update(no_key=True).only("consent_sharing").get(pk=patient.pk)
    )
    patient.consent_sharing = current.consent_sharing
    return consent_to_share(patient)


@attributed
@transaction.atomic
def referral_create(
    *,
    patient: Patient,
    service: str,
    reason: str,
    by: User,
    urgency: str = Urgency.ROUTINE,
    red_flags: Iterable[RedFlag] = (),
    source_organisation: Organisation | None = None,
    source_contact: str = "",
    raised_from: str = PatientFlag.RaisedFrom.REFERRAL,
    external_system: str = "",
    external_id: str = "",
) -> Raised:
    """Refer a person to a service. Red flags ticked on the referral are recorded on the
    person; each raises a referral to the service that owns it, or joins the open one.
    `external_system`/`external_id`: the identifier the referrer's own system gave it (FHIR
    ServiceRequest.identifier), once per network (Conflict when already recorded)."""
    directory = service_directory(patient.network)
    info = directory.get(service)
    if info is None or not info.active:
        offered = ", ".join(code for code, i in directory.items() if i.active)
        raise ValidationError(
            {
                "service": [
                    f"{service!r} is not an active service of this network: "
                    f"choose one of {offered}."
                ]
            }
        )
    if service == Service.PIC and not _may_share(patient):
        raise ValidationError({"consent_sharing": [NO_CONSENT_TO_SHARE]})
    reason = _clean_text(reason, "reason", "Say why you are referring.")
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": [f"Choose routine or urgent, not {urgency!r}."]})
    referral = Referral(
        network_id=patient.network_id,
        patient=patient,
        service=service,
        reason=reason,
        urgency=urgency,
        referred_by=by,
        source_organisation=source_organisation,
        source_contact=(source_contact or "").strip(),
        external_system=external_system,
        external_id=external_id,
    )
    referral.full_clean(exclude=["network", "patient", "referred_by", "source_organisation"])
    raised = Raised(referral=_insert_referral(referral))
    for flag in red_flags:
        flag_raised = flag_raise(
            patient=patient, flag=flag, by=by, raised_from=raised_from, referral=referral
        )
        raised.flags.extend(flag_raised.flags)
        raised.flag_referrals.extend(flag_raised.flag_referrals)
        raised.held_for_consent.extend(flag_raised.held_for_consent)
    return raised


@attributed
@transaction.atomic
def flag_raise(
    *,
    patient: Patient,
    flag: RedFlag,
    by: User,
    raised_from: str,
    note: str = "",
    referral: Referral | None = None,
) -> Raised:
    """Record an active flag on the person and route it to the owning service: onto
    `referral` when that is the owning service's, else onto the open referral for the person
    and that service, else a new referral (origin red_flag). A flag already active on the
    person is not raised twice while its referral is open; once that referral is closed, the
    flag raised again reaches the service again. A service the network has switched off
    hands its flags to the MDT. Urgent flags make a new referral urgent."""
    if not flag.active:
        raise ValidationError({"red_flags": [f"The red flag {flag.code!r} is no longer in use."]})
    existing = (
        PatientFlag.objects.select_for_update(of=("self",))
        .select_related("referral")
        .filter(patient=patient, flag=flag, resolved_at__isnull=True)
        .first()
    )
    # The owning service, or the MDT where this network has switched that service off.
    service = flag.routes_to
    if not service_directory(patient.network)[service].active:
        service = "mdt"
    # A flag held back for want of consent to share is routed again when raised again.
    held_back = existing is not None and existing.referral is None and service == Service.PIC
    if (
        existing is not None
        and not held_back
        and (existing.referral is None or existing.referral.is_open)
    ):
        return Raised(flags=[existing])
    if service == Service.PIC and not _may_share(patient):
        return _held_for_consent(
            patient=patient, flag=flag, by=by, raised_from=raised_from, note=note, held=existing
        )
    raised = Raised()
    target = referral if referral is not None and referral.service == service else None
    if target is None:
        target, created = _flag_referral(
            patient=patient, flag=flag, service=service, by=by, note=note
        )
        if created:
            raised.flag_referrals.append(target)
    if (
        flag.default_urgency == Urgency.URGENT
        and target.status == Status.NEW
        and target.urgency != Urgency.URGENT
    ):
        target.urgency = Urgency.URGENT
        target.save(update_fields=["urgency"])
    if existing is not None:
        # Still active, but its referral was closed (declined, completed, withdrawn), or it
        # was held back for want of consent to share, now recorded: the problem has been
        # noticed again, so it goes to the service again.
        existing.referral = target
        existing.save(update_fields=["referral"])
        raised.flags.append(existing)
        return raised
    raised.flags.append(
        _record_flag(
            patient=patient, flag=flag, by=by, raised_from=raised_from, note=note, referral=target
        )
    )
    return raised


def _record_flag(
    *,
    patient: Patient,
    flag: RedFlag,
    by: User,
    raised_from: str,
    note: str,
    referral: Referral | None,
) -> PatientFlag:
    """The flag, active on the person (on `referral`, or on none while held for consent)."""
    patient_flag = PatientFlag(
        patient=patient,
        flag=flag,
        referral=referral,
        raised_from=raised_from,
        note=(note or "").strip()[:500],
        raised_by=by,
    )
    try:
        with transaction.atomic():
            patient_flag.save()
    except IntegrityError:  # the same flag raised at the same moment: keep theirs
        patient_flag = PatientFlag.objects.get(patient=patient, flag=flag, resolved_at__isnull=True)
    return patient_flag


def _held_for_consent(
    *,
    patient: Patient,
    flag: RedFlag,
    by: User,
    raised_from: str,
    note: str,
    held: PatientFlag | None,
) -> Raised:
    """A flag for the PIC about a person without consent to share: recorded (or kept, if
    already active) with no referral, and a task to `by` to ask for consent, through the
    `consent_to_share_needed` port (actions is a floor above; an open identical task is
    kept, not doubled)."""
    if held is None:
        held = _record_flag(
            patient=patient, flag=flag, by=by, raised_from=raised_from, note=note, referral=None
        )
    ports.call("consent_to_share_needed", patient=patient, by=by, flag=flag)
    return Raised(flags=[held], held_for_consent=[held])


def _flag_referral(
    *, patient: Patient, flag: RedFlag, service: str, by: User, note: str, tries: int = 3
) -> tuple[Referral, bool]:
    """The open referral of the person to `service` that a red flag joins, or a new one
    (origin red_flag): (referral, created). Someone else raising one at the same moment makes
    the insert a Conflict: their referral is joined. If it has already been closed again
    (declined, withdrawn) by the time it is read, the lookup starts over."""
    for _ in range(tries):
        target = (
            Referral.objects.select_for_update()
            .filter(patient=patient, service=service, status__in=Referral.OPEN)
            .first()
        )
        if target is not None:
            return target, False
        target = Referral(
            network_id=patient.network_id,
            patient=patient,
            service=service,
            origin=Referral.Origin.RED_FLAG,
            reason=f"Red flag: {flag.label}." + (f" {note.strip()}" if note.strip() else ""),
            urgency=flag.default_urgency,
            referred_by=by,
        )
        try:
            return _insert_referral(target), True
        except Conflict:  # raised at the same moment by someone else: join theirs
            joined = open_referral(patient, service)
            if joined is not None:
                return joined, False
    raise Conflict(
        f"This person's {service_directory(patient.network)[service].label.lower()} referral "
        "changed while the red flag was raised: try again."
    )


@attributed
@transaction.atomic
def flag_resolve(*, patient_flag: PatientFlag, by: User, resolution: str = "") -> PatientFlag:
    patient_flag = PatientFlag.objects.select_for_update().get(pk=patient_flag.pk)
    if patient_flag.resolved_at is not None:
        raise Conflict("This flag is already resolved.")
    patient_flag.resolved_at = timezone.now()
    patient_flag.resolved_by = by
    patient_flag.resolution = (resolution or "").strip()[:500]
    patient_flag.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return patient_flag


# --- the lifecycle (referrals.models.REFERRAL) --------------------------------------------


def _lock(referral: Referral, action: str) -> Referral:
    """Lock the row and make the move (not saved); two people acting at once are serialised
    here and the second gets a Conflict (409)."""
    locked = (
        Referral.objects.select_for_update()
        .select_related("patient", "network")
        .get(pk=referral.pk)
    )
    REFERRAL.apply(locked, action)
    return locked


def _tell_referrer(referral: Referral, by: User) -> None:
    """The closed loop: the referrer hears the outcome (in the app, and by e-mail now or in
    the digest). Once per referral and outcome, whatever retries happen."""
    if referral.referred_by_id == by.pk:
        return
    service = referral.service_label
    name = referral.patient.full_name
    if referral.status == Status.DECLINED:
        title = f"{service} declined your referral for {name}"
        body = f"Reason: {referral.get_decline_reason_display()}."
        if referral.decline_note:
            body += f" {referral.decline_note}"
    else:
        title = f"{service} {referral.get_status_display().lower()} your referral for {name}"
        # The outcome is in the app; an e-mail carries it only where names may be sent
        # (notifications: EMAIL_IDENTIFIABLE).
        body = f"Outcome: {referral.outcome}" if referral.outcome else ""
    if role_in(referral.referred_by, referral.network_id) in CASEWORK_ROLES:
        url = reverse("patients:detail", args=[referral.patient_id]) + "#referrals"
    else:  # a partner system opens no records: the referral it made, in the API
        url = reverse("api:referral-detail", args=[referral.pk])
    notification_send(
        recipient=referral.referred_by,
        kind=f"referral_{referral.status}",
        subject_type="referral",
        subject_id=referral.pk,
        title=title,
        body=body,
        url=url,
        network=referral.network,
        patient=referral.patient,
    )


@attributed
@transaction.atomic
def referral_accept(*, referral: Referral, by: User) -> Referral:
    referral = _lock(referral, "accept")
    referral.triaged_at = timezone.now()
    referral.triaged_by = by
    referral.save(update_fields=["status", "triaged_at", "triaged_by"])
    _tell_referrer(referral, by)
    _announce(referral, EventType.REFERRAL_ACCEPTED)
    if referral.service == "mdt":
        # The huddle (a floor above) opens the episode and puts the person on the agenda.
        ports.call("referral_accepted_for_mdt", referral=referral, by=by)
    return referral


@attributed
@transaction.atomic
def referral_decline(*, referral: Referral, by: User, reason: str, note: str = "") -> Referral:
    if reason not in Referral.DeclineReason.values:
        raise ValidationError(
            {"reason": [f"Choose a reason: {', '.join(Referral.DeclineReason.values)}."]}
        )
    note = (note or "").strip()
    if reason == Referral.DeclineReason.OTHER and not note:
        raise ValidationError({"note": ["Say why, when the reason is 'other'."]})
    referral = _lock(referral, "decline")
    referral.triaged_at = timezone.now()
    referral.triaged_by = by
    referral.decline_reason = reason
    referral.decline_note = note
    referral.full_clean(
        exclude=[
            "network",
            "patient",
            "referred_by",
            "source_organisation",
            "triaged_by",
            "closed_by",
        ]
    )
    referral.save(
        update_fields=["status", "triaged_at", "triaged_by", "decline_reason", "decline_note"]
    )
    _tell_referrer(referral, by)
    _announce(referral, EventType.REFERRAL_DECLINED)
    return referral


@attributed
@transaction.atomic
def referral_complete(*, referral: Referral, by: User, outcome: str) -> Referral:
    """Close an accepted referral with what was done; the referrer hears the outcome."""
    outcome = _clean_text(outcome, "outcome", "Say what was done: the outcome.")
    if len(outcome) > OUTCOME_MAX_LENGTH:
        raise ValidationError(
            {"outcome": [f"Keep the outcome to {OUTCOME_MAX_LENGTH} characters."]}
        )
    referral = _lock(referral, "complete")
    referral.closed_at = timezone.now()
    referral.closed_by = by
    referral.outcome = outcome
    referral.save(update_fields=["status", "closed_at", "closed_by", "outcome"])
    _tell_referrer(referral, by)
    _announce(referral, EventType.REFERRAL_COMPLETED)
    return referral


@attributed
@transaction.atomic
def referral_add_reason(*, referral: Referral, by: User, reason: str) -> Referral:
    """Add a further reason (a second referrer's, say) to an open referral, signed and dated,
    rather than raise a second one for the same person and service (recorded in its
    history)."""
    reason = _clean_text(reason, "reason", "Say what to add to the referral.")
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if not locked.is_open:
        raise Conflict(
            f"This referral has been {locked.get_status_display().lower()}: "
            "make a new referral instead."
        )
    when = timezone.localtime().strftime("%-d %b %Y %H:%M")
    name = by.get_full_name() or by.get_username()
    combined = f"{locked.reason}\n\nAdded by {name}, {when}: {reason}"
    if len(combined) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": ["The referral's reason would be too long: shorten what you add."]}
        )
    locked.reason = combined
    locked.save(update_fields=["reason"])
    return locked


@attributed
@transaction.atomic
def referral_withdraw(*, referral: Referral, by: User) -> Referral:
    referral = _lock(referral, "withdraw")
    referral.closed_at = timezone.now()
    referral.closed_by = by
    referral.save(update_fields=["status", "closed_at", "closed_by"])
    return referral


def consent_note(what: str, by: User) -> str:
    """ "Consent to share withdrawn on 4 Dec 2026 by Ann Lee.": the note left on what a
    consent withdrawn closed."""
    name = by.get_full_name() or by.get_username()
    return f"{what} withdrawn on {timezone.localdate():%-d %b %Y} by {name}."


def consent_recorded(*, patient: Patient, was: dict[str, str], by: User) -> list[Referral]:
    """The `consent_recorded` port: consent to share now refused withdraws the person's open
    PIC referrals, new or accepted, each with a note saying so (the PIC works with the person
    only on that consent). Returns those withdrawn."""
    if patient.consent_sharing != Consent.REFUSED or was["consent_sharing"] == Consent.REFUSED:
        return []
    note = consent_note("Consent to share", by)
    withdrawn = []
    for referral in Referral.objects.filter(
        patient=patient, service=Service.PIC, status__in=Referral.OPEN
    ):
        referral = _lock(referral, "withdraw_consent")
        referral.closed_at = timezone.now()
        referral.closed_by = by
        referral.outcome = note
        referral.save(update_fields=["status", "closed_at", "closed_by", "outcome"])
        withdrawn.append(referral)
    return withdrawn


# --- the network's services (configuration) -------------------------------------------------


def network_created(*, network: Network, by: User | None) -> None:
    """The `network_created` port: a new network starts with the built-in services."""
    ServiceConfig.objects.bulk_create(
        ServiceConfig(
            network=network,
            service=service.value,
            label=service.label,
            serving_roles=list(DEFAULT_SERVING_ROLES[service]),
            snomed_code=SERVICE_SNOMED.get(service.value, ""),
        )
        for service in Service
    )


@attributed
@transaction.atomic
def service_save(
    *,
    network: Network,
    by: User,
    code: str,
    label: str,
    accepts: str,
    serving_roles: Iterable[str],
    active: bool,
    adding: bool,
) -> ServiceConfig:
    """Add a service to the network (`adding`: its code must be new there) or change one:
    its label, what it accepts, the roles that triage it (at least one) and whether it takes
    referrals. The MDT cannot be switched off (the huddle takes its referrals)."""
    code = (code or "").strip()
    directory = service_directory(network)
    errors: dict[str, list[str]] = {}
    if adding and code in directory:
        errors["code"] = [f"This network already has a service with the code {code!r}."]
    elif not adding and code not in directory:
        errors["code"] = [f"This network has no service {code!r}."]
    roles = list(dict.fromkeys(serving_roles))
    if not roles:
        errors["serving_roles"] = ["Choose at least one role to triage this service."]
    elif not set(roles) <= CASEWORK_ROLES:
        errors["serving_roles"] = ["Only roles that do casework may triage a service."]
    if code == Service.MDT and not active:
        errors["active"] = ["The MDT service cannot be switched off: the meeting takes it."]
    if errors:
        raise ValidationError(errors)
    config = ServiceConfig.objects.select_for_update().filter(
        network=network, service=code
    ).first() or ServiceConfig(network=network, service=code)
    config.label = (label or "").strip()
    config.accepts = (accepts or "").strip()
    config.serving_roles = roles
    config.active = active
    if not config.label:
        raise ValidationError({"label": ["Give the service a name."]})
    config.full_clean(exclude=["network"], validate_unique=False)
    try:
        with transaction.atomic():
            config.save()
    except IntegrityError as exc:  # two people adding the same code at once
        raise Conflict(
            f"This network already has a service with the code {code!r}.", field="code"
        ) from exc
    forget_service_directory(network)
    return config
