from decimal import Decimal
from typing import Any

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from core.constraints import on_field
from core.validators import not_before_1900, single_line, within_five_years_ahead

from . import news2 as news2_module
from .news2 import News2, news2


class Frequency(models.TextChoices):
    """Structured dose frequency; `DOSES_PER_DAY` turns it into use per day for run-out
    dates (as-required medicines have none)."""

    ONCE_DAILY = "once_daily", "Once a day"
    TWICE_DAILY = "twice_daily", "Twice a day"
    THREE_TIMES_DAILY = "three_times_daily", "Three times a day"
    FOUR_TIMES_DAILY = "four_times_daily", "Four times a day"
    AT_NIGHT = "at_night", "At night"
    WEEKLY = "weekly", "Once a week"
    AS_REQUIRED = "as_required", "When required"


DOSES_PER_DAY = {
    Frequency.ONCE_DAILY: 1,
    Frequency.TWICE_DAILY: 2,
    Frequency.THREE_TIMES_DAILY: 3,
    Frequency.FOUR_TIMES_DAILY: 4,
    Frequency.AT_NIGHT: 1,
    Frequency.WEEKLY: 1 / 7,
    Frequency.AS_REQUIRED: 0,
}


@pghistory.track()
class Medication(models.Model):
    """One line of the person's reconciled medication list."""

    class Form(models.TextChoices):
        TABLET = "tablet", "Tablet"
        CAPSULE = "capsule", "Capsule"
        LIQUID = "liquid", "Oral liquid"
        INHALER = "inhaler", "Inhaler"
        PATCH = "patch", "Patch"
        INJECTION = "injection", "Injection"
        CREAM = "cream", "Cream or ointment"
        DROPS = "drops", "Drops"
        OTHER = "other", "Other"

    class Route(models.TextChoices):
        ORAL = "oral", "By mouth"
        INHALED = "inhaled", "Inhaled"
        TOPICAL = "topical", "On the skin"
        TRANSDERMAL = "transdermal", "Transdermal"
        SUBCUTANEOUS = "subcutaneous", "Subcutaneous"
        EYE = "eye", "Eye"
        EAR = "ear", "Ear"
        NASAL = "nasal", "Nasal"
        OTHER = "other", "Other"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="medications"
    )
    name = models.CharField(max_length=200, validators=[single_line])
    dmd_code = models.CharField(
        "dm+d code",
        max_length=18,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{6,18}$", "A dm+d code is 6 to 18 digits.")],
    )
    form = models.CharField(max_length=12, choices=Form.choices, default=Form.TABLET)
    strength = models.CharField(
        max_length=60, blank=True, validators=[single_line], help_text='e.g. "5 mg", "250 mg/5 ml"'
    )
    dose_amount = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="How many units per dose.",
    )
    dose_unit = models.CharField(
        max_length=20, default="tablet", help_text='e.g. "tablet", "ml", "puff"'
    )
    frequency = models.CharField(max_length=20, choices=Frequency.choices)
    route = models.CharField(max_length=14, choices=Route.choices, default=Route.ORAL)
    started_on = models.DateField(null=True, blank=True, validators=[not_before_1900])
    stopped_on = models.DateField(null=True, blank=True, validators=[not_before_1900])
    stop_reason = models.CharField(max_length=300, blank=True)
    prescriber = models.CharField(max_length=120, blank=True, validators=[single_line])
    compliance_aid = models.BooleanField(
        "In a compliance aid", default=False, help_text="Dispensed in a multi-compartment aid."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stopped_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(stopped_on__gte=F("started_on")),
                name="medication_stops_after_it_starts",
                **on_field("stopped_on", "A medicine cannot stop before it started."),
            ),
            models.CheckConstraint(
                condition=Q(dose_amount__gt=0),
                name="medication_dose_positive",
                **on_field("dose_amount", "A dose is more than 0."),
            ),
        ]
        indexes = [models.Index(fields=["patient", "stopped_on"])]

    def __str__(self) -> str:
        return f"{self.name} {self.strength}".strip()

    @property
    def is_active(self) -> bool:
        return self.stopped_on is None

    @property
    def is_regular(self) -> bool:
        return self.frequency != Frequency.AS_REQUIRED

    @property
    def units_per_day(self) -> float:
        return float(self.dose_amount) * DOSES_PER_DAY[self.frequency]

    @property
    def dose_display(self) -> str:
        amount = f"{self.dose_amount.normalize():f}"
        return f"{amount} {self.dose_unit} {self.get_frequency_display().lower()}"


@pghistory.track()
class Visit(models.Model):
    class Kind(models.TextChoices):
        HOME = "home", "Home visit"
        PHONE = "phone", "Phone call"
        VIDEO = "video", "Video call"

    class Preference(models.TextChoices):
        NONE = "none", "No preference"
        HOME = "home", "Prefers a home visit"
        REMOTE = "remote", "Prefers phone or video"

    class Consciousness(models.TextChoices):
        ALERT = "alert", "Alert"
        CONFUSION = "confusion", "New confusion"
        VOICE = "voice", "Responds to voice"
        PAIN = "pain", "Responds to pain"
        UNRESPONSIVE = "unresponsive", "Unresponsive"

    class Escalation(models.TextChoices):
        NONE = news2_module.NO_ESCALATION, "None"
        URGENT = news2_module.URGENT, "Urgent response"
        EMERGENCY = news2_module.EMERGENCY, "Emergency response"

    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="visits")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits"
    )
    joint_visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    visited_at = models.DateTimeField(validators=[not_before_1900])
    # Pre-visit risk assessment
    infection_risk = models.BooleanField(
        default=False, help_text="Infection risk to or from the person."
    )
    lone_working_risk = models.BooleanField(
        default=False, help_text="Risk to a lone worker at the address."
    )
    preference = models.CharField(max_length=6, choices=Preference.choices, default=Preference.NONE)
    summary = models.TextField(max_length=10000, blank=True)
    # Observations, with their units in the names; ranges are the plausible ones
    systolic_bp = models.PositiveSmallIntegerField(
        "Systolic BP (mmHg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(300)],
    )
    diastolic_bp = models.PositiveSmallIntegerField(
        "Diastolic BP (mmHg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(200)],
    )
    pulse = models.PositiveSmallIntegerField(
        "Pulse (beats/min)",
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(250)],
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        "Breathing rate (breaths/min)",
        null=True,
        blank=True,
        validators=[MinValueValidator(4), MaxValueValidator(70)],
    )
    temperature_c = models.DecimalField(
        "Temperature (°C)",
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(25), MaxValueValidator(45)],
    )
    spo2 = models.PositiveSmallIntegerField(
        "Oxygen saturation (%)",
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(100)],
    )
    on_oxygen = models.BooleanField("On supplemental oxygen", default=False)
    spo2_scale = models.PositiveSmallIntegerField(
        "SpO₂ scale", default=1, choices=[(1, "Scale 1"), (2, "Scale 2 (hypercapnic failure)")]
    )
    consciousness = models.CharField(max_length=12, choices=Consciousness.choices, blank=True)
    news2_score = models.PositiveSmallIntegerField("NEWS2", null=True, blank=True)
    news2_complete = models.BooleanField(default=False)
    # NEWS2 escalation: a lasting warning on the person's page until a clinician
    # acknowledges it, and one urgent task per visit (the one-to-one makes it once).
    news2_escalation = models.CharField(
        "NEWS2 escalation",
        max_length=9,
        choices=Escalation.choices,
        default=Escalation.NONE,
        db_default=Escalation.NONE,  # rows copied in bulk (demo/synthetic) leave it out
    )
    news2_task = models.OneToOneField(
        "actions.Action", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    news2_acknowledged_at = models.DateTimeField(null=True, blank=True)
    news2_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    follow_up_on = models.DateField(
        null=True, blank=True, validators=[not_before_1900, within_five_years_ahead]
    )
    follow_up_action = models.OneToOneField(
        "actions.Action", on_delete=models.PROTECT, null=True, blank=True, related_name="visit"
    )
    # Restricted by its author (or the chair): only the author, the person's key worker and
    # the chair read its summary, observations and changes to medicines; others see that it
    # exists and may break the glass (patients.restricted, API.md 1.1).
    restricted = models.BooleanField(default=False, db_default=False)
    restricted_reason = models.CharField(max_length=500, blank=True, validators=[single_line])
    sealed = False  # a blanked copy for a reader who may not open it (selectors.seal_visits)
    restricted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    restricted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(systolic_bp__isnull=True)
                | Q(diastolic_bp__isnull=True)
                | Q(systolic_bp__gt=F("diastolic_bp")),
                name="visit_systolic_above_diastolic",
                **on_field("diastolic_bp", "Diastolic must be lower than systolic."),
            ),
            models.CheckConstraint(
                condition=Q(spo2__isnull=True) | Q(spo2__gte=50, spo2__lte=100),
                name="visit_spo2_range",
                **on_field("spo2", "Oxygen saturation is between 50 and 100%."),
            ),
            models.CheckConstraint(
                condition=Q(temperature_c__isnull=True)
                | Q(temperature_c__gte=25, temperature_c__lte=45),
                name="visit_temperature_range",
                **on_field("temperature_c", "A temperature is between 25 and 45 °C."),
            ),
            models.CheckConstraint(
                condition=Q(restricted=False) | ~Q(restricted_reason=""),
                name="visit_restricted_has_reason",
                **on_field("restricted_reason", "Say why the entry is restricted."),
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-visited_at"]),
            models.Index(fields=["visitor", "visited_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.patient} on {self.visited_at:%d %b %Y}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "sealed", False):
            raise RuntimeError("A sealed visit is a blanked copy for reading: never saved.")
        super().save(*args, **kwargs)

    @property
    def recommended_kind(self) -> str:
        """The risk assessment's advice: a home visit unless there is an infection or
        lone-working risk or the person would rather not."""
        if (
            self.infection_risk
            or self.lone_working_risk
            or self.preference == self.Preference.REMOTE
        ):
            return "phone or video"
        return "home visit"

    @property
    def news2_needs_attention(self) -> bool:
        return self.news2_score is not None and self.news2_score >= 5

    @property
    def news2_warning(self) -> bool:
        """An escalation no clinician has acknowledged yet."""
        return self.news2_escalation != self.Escalation.NONE and self.news2_acknowledged_at is None

    @property
    def news2_guidance(self) -> str:
        return news2_module.GUIDANCE.get(self.news2_escalation, "")

    def news2(self) -> News2:
        """NEWS2 from this visit's observations (saved or not): the one place that maps the
        visit's fields onto the score's parameters."""
        return news2(
            respiratory_rate=self.respiratory_rate,
            spo2=self.spo2,
            on_oxygen=self.on_oxygen,
            spo2_scale=self.spo2_scale,
            systolic_bp_value=self.systolic_bp,
            pulse_rate=self.pulse,
            consciousness_level=self.consciousness or None,
            temperature_c=self.temperature_c,
        )


class Intervention(models.Model):
    class Kind(models.TextChoices):
        STOPPED = "stopped", "Stopped"
        STARTED = "started", "Started"
        DOSE_CHANGED = "dose_changed", "Dose changed"
        COMPLIANCE_AID = "compliance_aid", "Switched to a compliance aid"
        RATIONALISED = "rationalised", "Rationalised"
        OTHER = "other", "Other"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="interventions")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    medicine = models.CharField(max_length=200, blank=True, validators=[single_line])
    medication = models.ForeignKey(
        Medication, on_delete=models.PROTECT, null=True, blank=True, related_name="interventions"
    )
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.medicine}"


@pghistory.track()
class MedicationReview(models.Model):
    class Outcome(models.TextChoices):
        NO_CHANGE = "no_change", "No change needed"
        CHANGES_MADE = "changes_made", "Changes made"
        CHANGES_RECOMMENDED = "changes_recommended", "Changes recommended to the prescriber"
        REFERRED = "referred", "Referred on"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="medication_reviews"
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews"
    )
    reviewed_on = models.DateField(validators=[not_before_1900, within_five_years_ahead])
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    agreed_actions = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"Medication review {self.reviewed_on}"


class Supply(models.Model):
    """One dispensing of a medicine (dispensing history), entered by hand or from a CSV."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        CSV = "csv", "CSV upload"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="supplies"
    )
    medication = models.ForeignKey(
        Medication, on_delete=models.SET_NULL, null=True, blank=True, related_name="supplies"
    )
    medicine = models.CharField(max_length=200, validators=[single_line])
    dispensed_on = models.DateField(validators=[not_before_1900])
    quantity = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.MANUAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-dispensed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="supply_quantity_positive",
                **on_field("quantity", "A quantity is more than 0."),
            ),
            models.UniqueConstraint(
                fields=["patient", "medicine", "dispensed_on", "quantity"], name="supply_once"
            ),
        ]
        indexes = [models.Index(fields=["patient", "dispensed_on"])]

    def __str__(self) -> str:
        return f"{self.medicine} x{self.quantity} on {self.dispensed_on}"


@pghistory.track()
class ResidentAllocation(models.Model):
    """The named pharmacist or pharmacy technician of the network who looks after a care-home
    resident's medicines, allocated by the medicines lead (a pharmacist) or the chair. One
    row a resident: reallocating changes it, and the row history keeps who had them before
    and who moved them (medicines.services.resident_allocate)."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="medicines_allocation"
    )
    member = models.ForeignKey(
        "networks.Membership", on_delete=models.PROTECT, related_name="resident_allocations"
    )
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    allocated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.patient} to {self.member}"


# --- a GP medication list, staged for reconciliation ------------------------------------------


class MedicationImport(models.Model):
    """A GP medication list (a FHIR Bundle of MedicationStatements) brought in for one
    person. It only stages: its lines wait for the pharmacist's decisions (reconcile page);
    nothing in it changes the person's reconciled list by itself."""

    class Channel(models.TextChoices):
        API = "api", "API"
        PAGE = "page", "Upload on the person's page"

    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="medication_imports"
    )
    channel = models.CharField(max_length=4, choices=Channel.choices)
    source_text = models.TextField(help_text="The Bundle as received.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"GP medication list of {self.created_at:%d %b %Y}"


@pghistory.track()
class MedicationImportLine(models.Model):
    """One MedicationStatement of an import, matched to the reconciled list by dm+d code, and
    the pharmacist's decision on it (who and when; the row history keeps each change)."""

    class Match(models.TextChoices):
        NEW = "new", "Not on our list"
        SAME = "same", "Same as our list"
        DIFFERS = "differs", "Differs from our list"
        NOT_CODED = "not_coded", "No dm+d code"

    class Decision(models.TextChoices):
        PENDING = "", "Not decided"
        ADD = "add", "Add to the list"
        KEEP_OURS = "keep_ours", "Keep ours"
        TAKE_THEIRS = "take_theirs", "Take theirs"
        IGNORE = "ignore", "Ignore"

    medication_import = models.ForeignKey(
        MedicationImport, on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(help_text="The statement's entry in the Bundle.")
    name = models.CharField(max_length=200, validators=[single_line])
    dmd_code = models.CharField("dm+d code", max_length=18, blank=True)
    status = models.CharField(max_length=20, blank=True, help_text="The statement's status.")
    dose_text = models.CharField(max_length=500, blank=True, help_text="The Dosage's text.")
    dose_amount = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    dose_unit = models.CharField(max_length=20, blank=True)
    frequency = models.CharField(max_length=20, choices=Frequency.choices, blank=True)
    route = models.CharField(max_length=14, choices=Medication.Route.choices, blank=True)
    dose_not_held = models.CharField(
        max_length=300, blank=True, help_text="Why ICN's dose fields cannot hold their dose."
    )
    match = models.CharField(max_length=9, choices=Match.choices)
    medication = models.ForeignKey(
        Medication,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Our line with the same dm+d code, when there is one.",
    )
    decision = models.CharField(
        max_length=11, choices=Decision.choices, blank=True, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    result = models.ForeignKey(
        Medication,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The line of our list added or changed by the decision.",
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["medication_import", "position"], name="import_line_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(decision="") | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="import_line_decision_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def dose_held(self) -> bool:
        return self.dose_amount is not None and not self.dose_not_held

    @property
    def dose_display(self) -> str:
        if not self.dose_held:
            return self.dose_text or "Dose not given"
        amount = f"{self.dose_amount.normalize():f}"  # type: ignore[union-attr]
        return f"{amount} {self.dose_unit} {self.get_frequency_display().lower()}"

    @property
    def choices(self) -> list[tuple[str, str]]:
        """The decisions open for this line."""
        D = self.Decision
        if self.match == self.Match.DIFFERS:
            options = [D.KEEP_OURS, D.TAKE_THEIRS, D.IGNORE]
        elif self.match == self.Match.SAME:
            options = [D.KEEP_OURS, D.IGNORE]
        else:
            options = [D.ADD, D.IGNORE]
        return [(d.value, d.label) for d in options]
