"""What reporting needs beyond the operational records: hospital admissions (the harder fact
beside the MDT's own estimate of admissions avoided), their CSV imports, and a working-day
calendar so that "working days to triage" is computed in SQL over any number of referrals."""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from core.transitions import Lifecycle, Move
from core.validators import not_before_1900


class CalendarDay(models.Model):
    """One row per day. `working_index` counts England and Wales working days up to and
    including the day, so working days after `a` up to and including `b` are
    `index(b) - index(a)` (core.workdays.working_days_between, as a join)."""

    day = models.DateField(primary_key=True)
    working = models.BooleanField()
    working_index = models.IntegerField()

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} ({'working' if self.working else 'not working'})"


@pghistory.track()
class AdmissionEvent(models.Model):
    """A person's hospital admission, entered by hand or imported from a hospital feed."""

    class Kind(models.TextChoices):
        EMERGENCY = "emergency", "Emergency"
        ELECTIVE = "elective", "Elective"

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        IMPORT = "import", "Hospital feed (CSV)"

    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="admissions"
    )
    admitted_on = models.DateField(validators=[not_before_1900])
    kind = models.CharField(max_length=9, choices=Kind.choices)
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.MANUAL)
    admission_import = models.ForeignKey(
        "AdmissionImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-admitted_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "admitted_on", "kind"], name="admission_once_per_day_and_kind"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "kind", "admitted_on"]),
            models.Index(fields=["network", "admitted_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.patient} {self.kind} {self.admitted_on}"


@pghistory.track()
class PracticePopulation(models.Model):
    """A GP practice's registered list size in a month (the denominator of a network's
    figures per 1,000 population), entered or imported from a CSV (reports.population)."""

    practice = models.ForeignKey(
        "networks.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "gp_practice"},
    )
    month = models.DateField(help_text="The first day of the month.")
    registered = models.PositiveIntegerField(help_text="People on the practice's list.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["month", "practice_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "month"], name="practice_population_once_a_month"
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="practice_population_month_first_day"
            ),
            models.CheckConstraint(
                condition=Q(registered__gt=0), name="practice_population_registered_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.month:%Y-%m}: {self.registered}"


class AdmissionImport(models.Model):
    """One hospital CSV file: checked first (every row, each bad one by line), then either
    imported whole, imported without its bad rows (the user's choice), or discarded."""

    class Status(models.TextChoices):
        CHECKED = "checked", "Checked, waiting for a decision"
        IMPORTED = "imported", "Imported"
        DISCARDED = "discarded", "Discarded"

    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.CHECKED)
    rows_total = models.PositiveIntegerField(default=0)
    # [{"line": 3, "nhs_number": "...", "admitted_on": "YYYY-MM-DD", "kind": "emergency",
    #   "patient_id": 12}] and [{"line": 4, "errors": ["..."]}]
    good_rows = models.JSONField(default=list, blank=True)
    bad_rows = models.JSONField(default=list, blank=True)
    duplicates = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"


# A checked file is decided once: imported (whole, or its good rows) or discarded.
_CHECKED = {AdmissionImport.Status.CHECKED}
ADMISSION_IMPORT = Lifecycle(
    {
        "import": Move(_CHECKED, AdmissionImport.Status.IMPORTED, "imported"),
        "discard": Move(_CHECKED, AdmissionImport.Status.DISCARDED, "discarded"),
    },
    noun="file",
)


class MonthlyReport(models.Model):
    """A commissioner's monthly report (reports/monthly.py): the previous calendar month's
    comparison of their networks as a PDF and a CSV, made once per person and month on the
    first working day. The files are kept here (the app has no media storage); they hold
    figures per network and no one's name. No network_id or patient_id column (the networks
    are a list of ids): not under row-level security, and read by its owner only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="The first day of the month the report covers.")
    network_ids = ArrayField(models.IntegerField(), default=list)
    generated_at = models.DateTimeField(auto_now_add=True)
    pdf = models.BinaryField()
    csv = models.BinaryField()
    sent_at = models.DateTimeField(null=True, blank=True)  # told (notification and e-mail)

    class Meta:
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="monthly_report_once_a_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="monthly_report_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m}"

    def file_name(self, extension: str) -> str:
        return f"icn-monthly-report-{self.month:%Y-%m}.{extension}"


class ReferralTally(models.Model):
    """Referrals counted as they happen (reports/tally.py): how many of a network's referrals
    made in a London month, to a service, from a source, there are (n), in each status, and
    declined for each reason. A database trigger on the referrals table moves a referral's
    counts from its old key and columns to its new ones in the same transaction as the
    change, whatever makes it (a service, the admin, a bulk update), so the dashboard's
    referral figures read these rows instead of every referral, and are exact at every
    moment. `manage.py rebuild_report_figures` recomputes them from the referrals. Counts,
    not people."""

    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the London month the referral was made.")
    service = models.CharField(max_length=30)
    # figures.referral_source: "red_flag", the referring organisation's kind, or "member".
    source = models.CharField(max_length=20)
    n = models.IntegerField(default=0)
    # One column per referral status (tally.STATUSES) and per decline reason (tally.REASONS).
    status_new = models.IntegerField(default=0)
    status_accepted = models.IntegerField(default=0)
    status_completed = models.IntegerField(default=0)
    status_declined = models.IntegerField(default=0)
    status_withdrawn = models.IntegerField(default=0)
    declined_inappropriate = models.IntegerField(default=0)
    declined_already_known = models.IntegerField(default=0)
    declined_outside_area = models.IntegerField(default=0)
    declined_person_declined = models.IntegerField(default=0)
    declined_other = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The trigger's ON CONFLICT target.
            models.UniqueConstraint(
                fields=["network", "month", "service", "source"], name="referral_tally_key"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="referral_tally_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.month:%Y-%m} {self.service} {self.source}: {self.n}"


class TriageTally(models.Model):
    """Triaged referrals counted as they happen, as ReferralTally, by the working days from
    referral to triage: a histogram of small integers, so the median and 90th percentile
    are exact from the counts (reports/tally.py)."""

    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the London month the referral was made.")
    service = models.CharField(max_length=30)
    # Working days from referral to triage; null when a day is not in the calendar.
    days = models.SmallIntegerField(null=True)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The trigger's ON CONFLICT target (a null `days` is one key, not many).
            models.UniqueConstraint(
                fields=["network", "month", "service", "days"],
                name="triage_tally_key",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="triage_tally_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.month:%Y-%m} {self.service} {self.days}: {self.n}"


class FirstContact(models.Model):
    """An accepted (or completed) referral's first contact (reports/contact.py): the
    person's first visit or task done at or after the triage, and the working days to it,
    kept by database triggers on referrals, visits and tasks in the transaction that changes
    any of them. Its own table, not a column of the referral, so that a visit writes no
    referral history. No foreign key to the referral (the triggers remove the row with it;
    Django's cascade would delete it round them) nor a constraint to the person's row."""

    referral_id = models.BigIntegerField(primary_key=True)
    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    month = models.DateField(help_text="The first day of the London month the referral was made.")
    service = models.CharField(max_length=30)
    triaged_at = models.DateTimeField(null=True)
    first_at = models.DateTimeField(null=True, help_text="The first visit or task done since.")
    contacted = models.BooleanField()
    # Working days from triage to first contact; null when not contacted or a day is not in
    # the calendar.
    days = models.SmallIntegerField(null=True)

    def __str__(self) -> str:
        return f"referral {self.referral_id}: {self.days}"


class ContactTally(models.Model):
    """FirstContact rows counted per network, London month the referral was made, service,
    contacted or not and working days to first contact: the dashboard's first contact
    figures, exact percentiles from a histogram (reports/contact.py). Counts, not people."""

    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the London month the referral was made.")
    service = models.CharField(max_length=30)
    contacted = models.BooleanField()
    days = models.SmallIntegerField(null=True)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The triggers' ON CONFLICT target (a null `days` is one key, not many).
            models.UniqueConstraint(
                fields=["network", "month", "service", "contacted", "days"],
                name="contact_tally_key",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="contact_tally_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.month:%Y-%m} {self.service} {self.days}: {self.n}"


class FlagTally(models.Model):
    """Red flags raised, counted as they happen (reports/stored.py): how many of each red
    flag were raised on a network's people in a London month. Statement triggers on the
    flags keep it exact in the same transaction as each change; `manage.py
    rebuild_report_figures` recomputes it. Counts, not people."""

    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the London month the flag was raised.")
    flag = models.ForeignKey("referrals.RedFlag", on_delete=models.CASCADE, related_name="+")
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The trigger's ON CONFLICT target.
            models.UniqueConstraint(fields=["network", "month", "flag"], name="flag_tally_key"),
            models.CheckConstraint(condition=Q(month__day=1), name="flag_tally_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.month:%Y-%m} {self.flag_id}: {self.n}"


class GoalTally(models.Model):
    """Goals agreed with a network's people, counted as they happen per month agreed and
    outcome (reports/stored.py), as FlagTally."""

    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month the goal was agreed.")
    outcome = models.CharField(max_length=10)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The trigger's ON CONFLICT target.
            models.UniqueConstraint(fields=["network", "month", "outcome"], name="goal_tally_key"),
            models.CheckConstraint(condition=Q(month__day=1), name="goal_tally_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.month:%Y-%m} {self.outcome}: {self.n}"


class VisitTally(models.Model):
    """Visits counted as they happen, per network, London month and visitor
    (reports/stored.py), as FlagTally: the dashboard's visits per pharmacist read these rows
    and the visitor's role now."""

    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the London month of the visit.")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The trigger's ON CONFLICT target.
            models.UniqueConstraint(fields=["network", "month", "visitor"], name="visit_tally_key"),
            models.CheckConstraint(condition=Q(month__day=1), name="visit_tally_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.month:%Y-%m} {self.visitor_id}: {self.n}"


class ActionTally(models.Model):
    """Actions agreed at meetings, counted as they happen per network, month due and state
    (open, on_time, late) (reports/stored.py), as FlagTally."""

    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month the action is due.")
    state = models.CharField(max_length=10)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The trigger's ON CONFLICT target.
            models.UniqueConstraint(fields=["network", "month", "state"], name="action_tally_key"),
            models.CheckConstraint(condition=Q(month__day=1), name="action_tally_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.month:%Y-%m} {self.state}: {self.n}"


class DischargeTally(models.Model):
    """Episodes closed, counted as they happen per network, London month and the MDT's
    answer to "have we avoided an admission?" (reports/stored.py), as FlagTally."""

    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the London month of the discharge.")
    answer = models.CharField(max_length=6, blank=True)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The trigger's ON CONFLICT target.
            models.UniqueConstraint(
                fields=["network", "month", "answer"], name="discharge_tally_key"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="discharge_tally_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.month:%Y-%m} {self.answer}: {self.n}"


class FollowedTally(models.Model):
    """Discharges counted as they happen per network, London day of discharge, answer at
    discharge, and whether an emergency admission followed within 30 and 90 days
    (reports/followed.py): kept by triggers on episodes and on admissions."""

    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="+")
    closed_on = models.DateField(help_text="The London day of the discharge.")
    answer = models.CharField(max_length=6, blank=True)
    admitted_30 = models.BooleanField()
    admitted_90 = models.BooleanField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The trigger's ON CONFLICT target.
            models.UniqueConstraint(
                fields=["network", "closed_on", "answer", "admitted_30", "admitted_90"],
                name="followed_tally_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.closed_on} {self.answer}: {self.n}"
