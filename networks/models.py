from datetime import time

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from core.constraints import on_field
from core.validators import not_before_1900, single_line, within_five_years_ahead

from .roles import Role
from .vocabulary import PRESETS


class Organisation(models.Model):
    class Kind(models.TextChoices):
        NHS_TRUST = "nhs_trust", "NHS trust"
        GP_PRACTICE = "gp_practice", "GP practice"
        COUNCIL = "council", "Council"
        VOLUNTARY_SECTOR = "voluntary_sector", "Voluntary sector"
        CARE_HOME = "care_home", "Care home"

    code = models.CharField(
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9-]+$", "Use capital letters, digits and hyphens.")],
        help_text="ODS code where the organisation has one, else a local code.",
    )
    name = models.CharField(max_length=200, validators=[single_line])
    kind = models.CharField(max_length=20, choices=Kind.choices)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=30, blank=True, validators=[single_line])

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Network(models.Model):
    class Vocabulary(models.TextChoices):
        ICN = "icn", "ICN (huddle, network facilitator)"
        HUB = "hub", "Hub (virtual ward, health and social care coordinator)"

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        FORTNIGHTLY = "fortnightly", "Fortnightly"
        TWICE_WEEKLY = "twice_weekly", "Twice a week"

    class BankHolidays(models.TextChoices):
        NEXT_WORKING_DAY = "next_working_day", "Move it to the next working day"
        SKIP = "skip", "Skip it"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, validators=[single_line])
    vocabulary = models.CharField(max_length=3, choices=Vocabulary.choices, default="icn")
    term_network = models.CharField(
        max_length=60, blank=True, validators=[single_line], help_text="Overrides the preset."
    )
    term_meeting = models.CharField(
        max_length=60, blank=True, validators=[single_line], help_text="Overrides the preset."
    )
    term_chair = models.CharField(
        max_length=60, blank=True, validators=[single_line], help_text="Overrides the preset."
    )
    cadence = models.CharField(max_length=12, choices=Cadence.choices, default="fortnightly")
    meeting_weekdays = ArrayField(
        models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)]),
        default=list,
        help_text="0 = Monday ... 6 = Sunday.",
    )
    meeting_time = models.TimeField(default=time(13, 0))
    schedule_anchor = models.DateField(
        null=True,
        blank=True,
        help_text="A date in a week with a meeting, for fortnightly cadences (default: creation).",
    )
    bank_holidays = models.CharField(
        "A meeting on a bank holiday",
        max_length=16,
        choices=BankHolidays.choices,
        default=BankHolidays.NEXT_WORKING_DAY,
        help_text="England and Wales bank holidays: move that meeting, or skip it.",
    )
    involvement_required = models.BooleanField(
        "Clinical detail only for those involved",
        default=True,
        help_text=(
            "On: a member reads a person's clinical detail only when involved in their care "
            "(care team, key worker, a referral to their service, a task about them, a meeting "
            "with them on the agenda, or the chair); others see who the person is and may "
            "break the glass. Off: every clinical member of the network is involved with "
            "everyone on its caseload (some MDTs decide so)."
        ),
    )
    meeting_minutes = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    gp_practices = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="networks",
        limit_choices_to={"kind": Organisation.Kind.GP_PRACTICE},
    )
    care_homes = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="care_home_networks",
        limit_choices_to={"kind": Organisation.Kind.CARE_HOME},
        help_text="Care homes whose residents this network supports.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vocabulary__in=["icn", "hub"]), name="network_vocabulary_known"
            ),
            models.CheckConstraint(
                condition=Q(cadence__in=["weekly", "fortnightly", "twice_weekly"]),
                name="network_cadence_known",
            ),
            models.CheckConstraint(
                condition=Q(bank_holidays__in=["next_working_day", "skip"]),
                name="network_bank_holidays_known",
                **on_field("bank_holidays", "Choose what happens to a meeting on a bank holiday."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def terms(self) -> dict[str, str]:
        terms = dict(PRESETS[self.vocabulary])
        for key in ("network", "meeting", "chair"):
            override = getattr(self, f"term_{key}")
            if override:
                terms[key] = override
                if key == "meeting":
                    terms["meetings"] = override + "s"
        return terms

    @property
    def terminology(self) -> dict[str, str]:
        """The API's `terminology` object."""
        terms = self.terms
        return {"network": terms["network"], "meeting": terms["meeting"], "chair": terms["chair"]}

    def role_label(self, role: str) -> str:
        if role == Role.CHAIR:
            return self.terms["chair"]
        return Role(role).label


@pghistory.track()
class Membership(models.Model):
    """A user's place in a network: one role there, employed by an organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    care_home = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_home_staff",
        limit_choices_to={"kind": Organisation.Kind.CARE_HOME},
        help_text="Care home staff only: the one care home whose residents they work with.",
    )
    job_title = models.CharField(max_length=120, blank=True, validators=[single_line])
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["network", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "network"], name="membership_one_per_network"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_known"),
            models.CheckConstraint(
                condition=Q(is_active=True, deactivated_at__isnull=True)
                | Q(is_active=False, deactivated_at__isnull=False),
                name="membership_deactivated_at_iff_inactive",
            ),
            models.CheckConstraint(
                condition=Q(role=Role.CARE_HOME_STAFF, care_home__isnull=False)
                | (~Q(role=Role.CARE_HOME_STAFF) & Q(care_home__isnull=True)),
                name="membership_care_home_iff_care_home_staff",
                **on_field(
                    "care_home", "Care home staff name their care home; no other role does."
                ),
            ),
        ]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}, {self.network.slug})"

    def clean(self) -> None:
        """Care home staff work with the residents of one of the network's care homes."""
        super().clean()
        if self.care_home_id is None or self.network_id is None:
            return
        if not self.network.care_homes.filter(pk=self.care_home_id).exists():
            raise ValidationError({"care_home": "Choose one of the network's care homes."})

    @property
    def role_label(self) -> str:
        return self.network.role_label(self.role)


@pghistory.track()
class Cover(models.Model):
    """A member away (leave, sickness, training) and the colleague who covers their work
    meanwhile: named tasks and notifications reach the deputy on those days (inclusive)."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="covers")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covers_away"
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covers_deputising"
    )
    starts_on = models.DateField(validators=[not_before_1900])
    ends_on = models.DateField(validators=[not_before_1900, within_five_years_ahead])
    note = models.CharField(max_length=200, blank=True, validators=[single_line])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="cover_ends_after_start",
                **on_field("ends_on", "Cover cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(member=models.F("deputy")),
                name="cover_deputy_is_someone_else",
                **on_field("deputy", "The deputy is someone other than the person away."),
            ),
        ]
        indexes = [
            models.Index(fields=["network", "member", "ends_on"]),
            models.Index(fields=["deputy", "ends_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.member} covered by {self.deputy} {self.starts_on}..{self.ends_on}"

    def covers(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on
