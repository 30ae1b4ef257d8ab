from zoneinfo import ZoneInfo

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import TruncDate

from core.constraints import on_field
from core.transitions import Lifecycle, Move
from core.validators import single_line
from networks.roles import Role, Service


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"


SERVICE_CODE = RegexValidator(
    r"^[a-z][a-z0-9_]{1,29}$",
    "Use 2 to 30 lower-case letters, digits and underscores, starting with a letter "
    "(for example mental_health_pharmacy).",
)


# A SNOMED CT concept id: 6 to 18 digits.
SNOMED_CODE = RegexValidator(r"^[0-9]{6,18}$", "A SNOMED CT code is 6 to 18 digits.")


class ServiceConfig(models.Model):
    """A service as one network runs it: its label, who serves it and what it accepts. The
    built-in services (networks.roles.Service) are every network's defaults; a network adds
    its own (a code of its choosing) without a migration."""

    network = models.ForeignKey(
        "networks.Network", on_delete=models.CASCADE, related_name="service_configs"
    )
    service = models.CharField("Code", max_length=30, validators=[SERVICE_CODE])
    label = models.CharField(max_length=80, blank=True, validators=[single_line])
    serving_roles = ArrayField(
        models.CharField(max_length=30, choices=Role.choices),
        default=list,
        help_text="Roles whose members triage this service's referrals (the chair always may).",
    )
    accepts = models.TextField(
        "What this service accepts",
        max_length=2000,
        blank=True,
        help_text="Shown on the referral form so that inappropriate referrals are avoided.",
    )
    active = models.BooleanField(default=True)
    snomed_code = models.CharField(
        "SNOMED CT code",
        max_length=18,
        blank=True,
        validators=[SNOMED_CODE],
        help_text="The procedure a referral to this service asks for (FHIR ServiceRequest.code).",
    )

    class Meta:
        ordering = ["network", "service"]
        constraints = [
            models.UniqueConstraint(fields=["network", "service"], name="service_once_per_network"),
            # The huddle takes the MDT's referrals: a network cannot switch it off.
            models.CheckConstraint(
                condition=~Q(service=Service.MDT) | Q(active=True),
                name="service_mdt_active",
                **on_field("active", "The MDT service cannot be switched off."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.service} ({self.network_id})"


class RedFlag(models.Model):
    """A coded observation that triggers a referral to the service that owns it."""

    class Category(models.TextChoices):
        MEDICINES = "medicines", "Medicines"
        HOME = "home", "Home"
        DAILY_LIVING = "daily_living", "Daily living"
        SOCIAL = "social", "Social"
        HEALTH = "health", "Health"

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=120, validators=[single_line])
    category = models.CharField(max_length=20, choices=Category.choices)
    routes_to = models.CharField(max_length=30, choices=Service.choices)
    default_urgency = models.CharField(max_length=7, choices=Urgency.choices, default="routine")
    description = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    snomed_code = models.CharField(
        "SNOMED CT code",
        max_length=18,
        blank=True,
        validators=[SNOMED_CODE],
        help_text="The finding this flag records, where SNOMED CT has one (FHIR Flag.code).",
    )

    class Meta:
        ordering = ["category", "label"]
        constraints = [
            models.CheckConstraint(
                condition=Q(routes_to__in=Service.values), name="red_flag_service"
            ),
        ]

    def __str__(self) -> str:
        return self.label


OUTCOME_MAX_LENGTH = 1000


@pghistory.track()
class Referral(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Origin(models.TextChoices):
        MANUAL = "manual", "Referral"
        RED_FLAG = "red_flag", "Red flag"

    class DeclineReason(models.TextChoices):
        INAPPROPRIATE = "inappropriate", "Inappropriate for this service"
        ALREADY_KNOWN = "already_known", "Already known to the service"
        OUTSIDE_AREA = "outside_area", "Outside the area"
        PERSON_DECLINED = "person_declined", "The person declined"
        OTHER = "other", "Other"

    OPEN = (Status.NEW, Status.ACCEPTED)

    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="referrals"
    )
    # Any service code of the network (ServiceConfig); the services check it is active.
    service = models.CharField(max_length=30)
    reason = models.TextField(max_length=4000)
    urgency = models.CharField(max_length=7, choices=Urgency.choices, default=Urgency.ROUTINE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    # Who referred: a member, or someone outside the network recorded as organisation + contact.
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made"
    )
    source_organisation = models.ForeignKey(
        "networks.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_contact = models.CharField(
        max_length=200,
        blank=True,
        validators=[single_line],
        help_text="Name and phone or e-mail of the referrer outside ICN.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(max_length=2000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(
        max_length=OUTCOME_MAX_LENGTH,
        blank=True,
        help_text="What was done: given when the service completes the referral.",
    )
    # The referrer's own identifier for it (FHIR ServiceRequest.identifier) when it came from
    # another system: the intake is idempotent by it (interop/intake.py).
    external_system = models.CharField(max_length=200, blank=True, validators=[single_line])
    external_id = models.CharField(max_length=200, blank=True, validators=[single_line])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One referral per identifier a partner gave it, in each network.
            models.UniqueConstraint(
                fields=["network", "external_system", "external_id"],
                condition=~Q(external_id=""),
                name="referral_external_identifier_once",
            ),
            # The same problem never raises a second open referral to the same service.
            models.UniqueConstraint(
                fields=["patient", "service"],
                condition=Q(status__in=["new", "accepted"]),
                name="referral_one_open_per_person_and_service",
            ),
            # Withdrawn: by the referrer before triage, or (consent to share withdrawn) after
            # it was accepted, so either with or without a triage.
            models.CheckConstraint(
                condition=Q(status="new", triaged_at__isnull=True)
                | (~Q(status="new") & ~Q(status="withdrawn") & Q(triaged_at__isnull=False))
                | Q(status="withdrawn"),
                name="referral_triaged_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status="declined", decline_reason__gt="")
                | (~Q(status="declined") & Q(decline_reason="")),
                name="referral_decline_reason_iff_declined",
                **on_field("decline_reason", "A declined referral has a reason; no other has one."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["completed", "withdrawn"], closed_at__isnull=False)
                | (~Q(status__in=["completed", "withdrawn"]) & Q(closed_at__isnull=True)),
                name="referral_closed_at_iff_closed",
            ),
        ]
        indexes = [
            # The inbox in its order (urgent first, then the oldest): its first page is read
            # from the index's start, not sorted from every new referral of the service.
            models.Index(
                fields=["network", "service", "-urgency", "created_at", "id"],
                condition=Q(status="new"),
                name="referral_inbox_order",
            ),
            # My day's referrals awaiting a visit, and the caseload of accepted referrals.
            models.Index(
                fields=["network", "service", "triaged_at"],
                condition=Q(status="accepted"),
                name="referral_accepted",
            ),
            models.Index(fields=["patient", "-created_at"]),
            models.Index(fields=["referred_by", "-created_at"]),
            # The dashboard's referral figures (reports/figures.py) for some networks and
            # months, read from the index alone (an index-only scan).
            models.Index(
                fields=["network", "created_at"],
                include=[
                    "service",
                    "status",
                    "origin",
                    "decline_reason",
                    "source_organisation",
                    "triaged_at",
                    "id",
                ],
                name="referral_dashboard",
            ),
            # Networks side by side (reports/compare.py): a network's referrals in order of
            # the London days they were made and triaged, read from the index alone, so that
            # a year of every network's referrals is counted by day in one ordered pass
            # without converting a timestamp per row.
            models.Index(
                F("network"),
                TruncDate("created_at", tzinfo=ZoneInfo("Europe/London")),
                TruncDate("triaged_at", tzinfo=ZoneInfo("Europe/London")),
                include=["created_at", "triaged_at", "service"],
                name="referral_london_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_label} referral for {self.patient}"

    _service_label: str

    @property
    def service_label(self) -> str:
        """The service as the network calls it: primed for lists by
        selectors.label_services (one query), else read from the network's directory."""
        label = self.__dict__.get("_service_label")
        if label is None:
            from .selectors import service_directory

            info = service_directory(self.network).get(self.service)
            label = self._service_label = info.label if info else self.service
        return label

    @service_label.setter
    def service_label(self, label: str) -> None:
        self._service_label = label

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


@pghistory.track()
class PatientFlag(models.Model):
    """A red flag raised on a person: active until resolved. Linked to the referral it raised
    or was attached to."""

    class RaisedFrom(models.TextChoices):
        REFERRAL = "referral", "A referral"
        VISIT = "visit", "A visit"
        PATIENT = "patient", "The person's page"
        DISPENSING = "dispensing", "Dispensing history"
        API = "api", "A partner system"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="flags")
    flag = models.ForeignKey(RedFlag, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    raised_from = models.CharField(max_length=10, choices=RaisedFrom.choices)
    note = models.CharField(max_length=500, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "flag"],
                condition=Q(resolved_at__isnull=True),
                name="flag_one_active_per_person",
            ),
        ]
        indexes = [models.Index(fields=["patient", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.flag} ({self.patient})"

    @property
    def is_active(self) -> bool:
        return self.resolved_at is None


# The referral's lifecycle: new -> accepted | declined -> completed; new -> withdrawn.
_NEW = {Referral.Status.NEW}
REFERRAL = Lifecycle(
    {
        "accept": Move(_NEW, Referral.Status.ACCEPTED, "accepted"),
        "decline": Move(_NEW, Referral.Status.DECLINED, "declined"),
        "complete": Move({Referral.Status.ACCEPTED}, Referral.Status.COMPLETED, "completed"),
        "withdraw": Move(_NEW, Referral.Status.WITHDRAWN, "withdrawn"),
        # The person withdrew the consent the referral rested on (PIC: consent to share).
        "withdraw_consent": Move(
            {Referral.Status.NEW, Referral.Status.ACCEPTED}, Referral.Status.WITHDRAWN, "withdrawn"
        ),
    },
    noun="referral",
)
