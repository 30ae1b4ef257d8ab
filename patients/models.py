from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from core import nhs_number
from core.constraints import on_field
from core.validators import not_before_1900, single_line
from networks.models import Membership, Network, Organisation

from .frailty import band as frailty_band
from .validators import validate_nhs_number, validate_not_future


class Frailty(models.TextChoices):
    FIT = "fit", "Fit"
    MILD = "mild", "Mild frailty"
    MODERATE = "moderate", "Moderate frailty"
    SEVERE = "severe", "Severe frailty"


class CareNeed(models.TextChoices):
    """Why a care-home resident needs the medicines team, for stratifying residents."""

    NEW_RESIDENT = "new_resident", "New resident"
    RECENTLY_DISCHARGED = "recently_discharged", "Recently discharged from hospital"
    SWALLOWING = "swallowing", "Swallowing difficulty"
    ADHERENCE = "adherence", "Not taking medicines as intended"
    COMPLEX = "complex", "Complex medicines"
    FREQUENT_HOSPITAL_USER = "frequent_hospital_user", "Frequent hospital user"
    END_OF_LIFE = "end_of_life", "End of life care"


class Consent(models.TextChoices):
    GIVEN = "given", "Given"
    REFUSED = "refused", "Refused"
    BEST_INTEREST = "best_interest", "Best-interest decision (lacks capacity)"
    NOT_ASKED = "not_asked", "Not yet asked"


@pghistory.track()
class Patient(models.Model):
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="patients")
    nhs_number = models.CharField("NHS number", max_length=10, validators=[validate_nhs_number])
    given_name = models.CharField(max_length=100, validators=[single_line])
    family_name = models.CharField(max_length=100, validators=[single_line])
    date_of_birth = models.DateField(validators=[validate_not_future, not_before_1900])
    # Contact (every role that works with the person)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True, validators=[single_line])
    phone = models.CharField(max_length=30, blank=True, validators=[single_line])
    gp_practice = models.ForeignKey(
        Organisation,
        verbose_name="GP practice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registered_patients",
        limit_choices_to={"kind": Organisation.Kind.GP_PRACTICE},
    )
    care_home = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        limit_choices_to={"kind": Organisation.Kind.CARE_HOME},
    )
    key_worker = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="key_patients"
    )
    # Social (PIC sees these)
    notes_for_visitors = models.CharField(max_length=500, blank=True)
    social_needs = models.TextField(max_length=4000, blank=True)
    what_matters = models.TextField(
        "What matters to me", max_length=4000, blank=True, help_text="The person's own goals."
    )
    # Clinical (not for PIC or managers)
    frailty = models.CharField(max_length=10, choices=Frailty.choices, null=True, blank=True)
    caseload_reason = models.TextField("Why on the caseload", max_length=2000, blank=True)
    clinical_notes = models.TextField(max_length=10000, blank=True)
    care_needs = ArrayField(
        models.CharField(max_length=30, choices=CareNeed.choices),
        default=list,
        blank=True,
        help_text="For stratifying care-home residents between technicians and pharmacists.",
    )
    # Consent to MDT discussion and information sharing
    consent_mdt = models.CharField(max_length=15, choices=Consent.choices, default="not_asked")
    consent_sharing = models.CharField(max_length=15, choices=Consent.choices, default="not_asked")
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    # A best-interests decision (Mental Capacity Act) names who took it and when: required
    # while either consent is `best_interest` (patients.services.patient_record_consent).
    consent_best_interest_by = models.CharField(
        "Best-interests decision taken by",
        max_length=200,
        blank=True,
        validators=[single_line],
        help_text="Name and role of who decided, e.g. Dr A Shah, GP.",
    )
    consent_best_interest_on = models.DateField(
        "Best-interests decision taken on",
        null=True,
        blank=True,
        validators=[not_before_1900, validate_not_future],
    )

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "nhs_number"], name="patient_nhs_number_unique_in_network"
            ),
            models.CheckConstraint(
                condition=Q(nhs_number__regex=r"^[0-9]{10}$"),
                name="patient_nhs_number_10_digits",
                **on_field("nhs_number", "An NHS number is 10 digits."),
            ),
            models.CheckConstraint(
                condition=Q(frailty__isnull=True) | Q(frailty__in=Frailty.values),
                name="patient_frailty_known",
                **on_field("frailty", "Choose a frailty level from the list."),
            ),
            models.CheckConstraint(
                condition=Q(date_of_birth__gte="1880-01-01"),
                name="patient_dob_plausible",
                **on_field("date_of_birth", "Give a date of birth from 1880 on."),
            ),
        ]
        indexes = [
            models.Index(fields=["nhs_number"]),
            models.Index(
                OpClass(Upper("family_name"), name="varchar_pattern_ops"),
                name="patient_family_prefix",
            ),
            models.Index(
                OpClass(Upper("given_name"), name="varchar_pattern_ops"),
                name="patient_given_prefix",
            ),
            models.Index(fields=["network", "family_name", "given_name"]),
            # Search by NHS number is a prefix match (LIKE '999123%'): the plain index above
            # serves it only under the C collation, this one under any.
            models.Index(
                OpClass("nhs_number", name="varchar_pattern_ops"), name="patient_nhs_prefix"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def age(self) -> int:
        today = timezone.localdate()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @property
    def nhs_number_display(self) -> str:
        return nhs_number.display(self.nhs_number)


class FrailtyScale(models.TextChoices):
    EFI = "efi", "eFI"
    CFS = "cfs", "CFS"


FRAILTY_SCALE_NAMES = [
    (FrailtyScale.EFI.value, "Electronic Frailty Index (eFI)"),
    (FrailtyScale.CFS.value, "Clinical Frailty Scale (CFS)"),
]


@pghistory.track()
class FrailtyAssessment(models.Model):
    """Frailty history: one row each time it is assessed or changed. A scored assessment
    has a scale and its score (eFI 0 to 1, or Clinical Frailty Scale 1 to 9); a row without a
    scale is a frailty level set on the record by hand."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="frailty_history")
    frailty = models.CharField(max_length=10, choices=Frailty.choices, null=True, blank=True)
    scale = models.CharField(max_length=3, choices=FrailtyScale.choices, blank=True, default="")
    efi_score = models.DecimalField(
        "eFI score", max_digits=4, decimal_places=2, null=True, blank=True
    )
    cfs_score = models.PositiveSmallIntegerField("CFS score", null=True, blank=True)
    assessed_on = models.DateField(validators=[not_before_1900])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(efi_score__isnull=True) | Q(efi_score__gte=0, efi_score__lte=1),
                name="frailty_efi_between_0_and_1",
                **on_field("efi_score", "An eFI score is between 0 and 1."),
            ),
            models.CheckConstraint(
                condition=Q(cfs_score__isnull=True) | Q(cfs_score__gte=1, cfs_score__lte=9),
                name="frailty_cfs_between_1_and_9",
                **on_field("cfs_score", "A CFS score is a whole number from 1 to 9."),
            ),
            models.CheckConstraint(
                condition=Q(scale="", efi_score__isnull=True, cfs_score__isnull=True)
                | Q(scale="efi", efi_score__isnull=False, cfs_score__isnull=True)
                | Q(scale="cfs", cfs_score__isnull=False, efi_score__isnull=True),
                name="frailty_score_of_its_scale",
                **on_field("scale", "An assessment has the one score of its scale."),
            ),
        ]
        indexes = [models.Index(fields=["patient", "scale", "-assessed_on", "-id"])]

    def __str__(self) -> str:
        return f"{self.get_frailty_display() or 'Not recorded'} on {self.assessed_on}"

    @property
    def score(self) -> Decimal | int | None:
        return self.efi_score if self.scale == FrailtyScale.EFI else self.cfs_score

    @property
    def band(self) -> str:
        """The score's band in its own scale's words ("Mild frailty", "Very mild frailty")."""
        return frailty_band(self.scale, self.score) if self.scale else self.get_frailty_display()


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CareTeamMember(models.Model):
    """A member involved with a person, and what they do for them."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    involvement = models.CharField(max_length=200, blank=True, validators=[single_line])
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "membership"], name="care_team_once")
        ]

    def __str__(self) -> str:
        return f"{self.membership} for {self.patient}"


@pghistory.track()
class Goal(models.Model):
    """A goal agreed with the person ("what matters to me"), and whether it was met: the
    personal outcome reported beside the admission figures."""

    class Outcome(models.TextChoices):
        OPEN = "open", "Working on it"
        MET = "met", "Met"
        PARTLY_MET = "partly_met", "Partly met"
        NOT_MET = "not_met", "Not met"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="goals")
    description = models.CharField(max_length=300)
    agreed_on = models.DateField(validators=[not_before_1900])
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    outcome_on = models.DateField(null=True, blank=True, validators=[not_before_1900])
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["agreed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(outcome="open") & Q(outcome_on__isnull=True))
                | (~Q(outcome="open") & Q(outcome_on__isnull=False)),
                name="goal_outcome_dated_iff_decided",
                **on_field(
                    "outcome_on",
                    "A goal's outcome has a date once it is decided, and none while it is open.",
                ),
            ),
        ]
        indexes = [models.Index(fields=["patient", "outcome"])]

    def __str__(self) -> str:
        return self.description
