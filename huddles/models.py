from typing import Any

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from core.constraints import on_field
from core.transitions import Lifecycle, Move
from core.validators import not_before_1900, single_line, within_five_years_ahead


@pghistory.track()
class Meeting(models.Model):
    """One huddle / virtual ward. `scheduled_for` is the cadence slot it was created for
    (unique per network, so topping up the schedule never duplicates a meeting), or none for
    an extra meeting the chair added (with its `reason`); `starts_at` is when it actually
    starts (moved meetings differ)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        CLOSED = "closed", "Closed"

    network = models.ForeignKey(
        "networks.Network", on_delete=models.PROTECT, related_name="meetings"
    )
    scheduled_for = models.DateTimeField(
        null=True, blank=True, help_text="The cadence slot; none for an extra meeting."
    )
    starts_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_reason = models.CharField(max_length=300, blank=True)
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why an extra meeting was added (e.g. urgent)."
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "scheduled_for"], name="meeting_once_per_slot"
            ),
        ]
        indexes = [models.Index(fields=["network", "status", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.network} {self.starts_at:%Y-%m-%d %H:%M}"


@pghistory.track()
class AgendaItem(models.Model):
    """A person on a meeting's agenda, what was said and what was decided. `notes` are
    clinical; `social_notes` are the social part the PIC may read and write. `version` rises
    with every change of the record (`social_version` with the social notes) so that two
    editors never silently overwrite each other."""

    class Source(models.TextChoices):
        REFERRAL = "referral", "New MDT referral"
        REVIEW = "review", "Review due"
        RED_FLAG = "red_flag", "Urgent red flag"
        CARRIED = "carried", "Not reached last time"
        MANUAL = "manual", "Added by the chair"

    class Status(models.TextChoices):
        PENDING = "pending", "To discuss"
        DISCUSSED = "discussed", "Discussed"
        NOT_REACHED = "not_reached", "Not reached"
        REMOVED = "removed", "Removed"

    class Decision(models.TextChoices):
        CONTINUE = "continue", "Continue"
        DISCHARGE = "discharge", "Discharge"

    class AdmissionAvoided(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        UNSURE = "unsure", "Unsure"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="items")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="agenda_items"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    reason = models.CharField(max_length=300)
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    notes = models.TextField(max_length=20000, blank=True)
    social_notes = models.TextField(
        max_length=20000,
        blank=True,
        help_text="The social part: what the PIC and the team add about the person's life, "
        "read by everyone who sees the item (unlike the clinical `notes`).",
    )
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    next_review_on = models.DateField(
        null=True, blank=True, validators=[not_before_1900, within_five_years_ahead]
    )
    admission_avoided = models.CharField(max_length=6, choices=AdmissionAvoided.choices, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The discussion notes restricted by the chair (or, lifting it, whoever restricted them):
    # only they, the person's key worker and the chair read them (patients.restricted).
    notes_restricted = models.BooleanField(default=False, db_default=False)
    notes_sealed = False  # notes blanked for a reader who may not open them (seal_items)
    notes_restricted_reason = models.CharField(max_length=500, blank=True)
    notes_restricted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes_restricted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    social_version = models.PositiveIntegerField(
        default=1,
        help_text="Rises with every change of `social_notes` (their own, so that the PIC "
        "writing never makes the chair's record stale, nor the other way round).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "patient"],
                condition=~Q(status="removed"),
                name="agenda_person_once",
            ),
            models.CheckConstraint(
                condition=~Q(decision="discharge") | ~Q(admission_avoided=""),
                name="agenda_discharge_needs_admission_answer",
                **on_field(
                    "admission_avoided",
                    "Do we think we have avoided an admission? "
                    "Answer yes, no or unsure to discharge.",
                ),
            ),
        ]
        indexes = [
            # The dashboard's people discussed per meeting (reports.stored.MEETINGS_SQL):
            # counted per meeting from the index alone.
            models.Index(
                fields=["meeting"],
                condition=Q(status="discussed"),
                name="agenda_item_discussed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} at {self.meeting}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if getattr(self, "notes_sealed", False) and (fields is None or "notes" in fields):
            raise RuntimeError("Sealed notes are a blanked copy for reading: never saved.")
        super().save(*args, **kwargs)


@pghistory.track()
class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="attendance_once")]

    def __str__(self) -> str:
        return f"{self.user} at {self.meeting}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Guest(models.Model):
    """Someone at the meeting who is not a member of the network (a hospital colleague, a care
    home manager, a family member): recorded by the chair, named in the minutes. They have no
    account, so they read nothing in ICN."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guests")
    name = models.CharField(max_length=120, validators=[single_line])
    role = models.CharField(
        max_length=120, blank=True, validators=[single_line], help_text="E.g. daughter."
    )
    organisation = models.CharField(max_length=200, blank=True, validators=[single_line])
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""),
                name="guest_named",
                **on_field("name", "Give the guest's name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.meeting}"

    @property
    def label(self) -> str:
        """ "Name, role (organisation)", as the minutes show a guest."""
        text = ", ".join(part for part in (self.name, self.role) if part)
        return f"{text} ({self.organisation})" if self.organisation else text


@pghistory.track()
class Episode(models.Model):
    """Time on the MDT caseload: opened when a person is first accepted to the MDT, closed
    at discharge. A person can return (a new episode)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="episodes"
    )
    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    admission_avoided = models.CharField(
        max_length=6, choices=AgendaItem.AdmissionAvoided.choices, blank=True
    )
    closing_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(closed_at__isnull=True),
                name="episode_one_open_per_person",
            ),
        ]
        indexes = [
            # The dashboard's discharges in a period (reports.figures: admissions avoided and
            # after discharge, the caseload): read from the index alone.
            models.Index(
                fields=["network", "closed_at"],
                include=["patient", "admission_avoided", "opened_at"],
                condition=Q(closed_at__isnull=False),
                name="episode_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} from {self.opened_at:%Y-%m-%d}"


# --- lifecycles (core.transitions): the only way a meeting's or an item's status changes ---

_SCHEDULED = Meeting.Status.SCHEDULED
MEETING = Lifecycle(
    {
        "move": Move({_SCHEDULED}, _SCHEDULED, "moved"),
        "cancel": Move({_SCHEDULED}, Meeting.Status.CANCELLED, "cancelled"),
        "close": Move({_SCHEDULED}, Meeting.Status.CLOSED, "closed"),
        # The agenda, the record, actions and attendance change while the meeting is open.
        "change": Move({_SCHEDULED}, _SCHEDULED, "changed"),
    },
    noun="meeting",
)

_ON_AGENDA = {
    AgendaItem.Status.PENDING,
    AgendaItem.Status.DISCUSSED,
    AgendaItem.Status.NOT_REACHED,
}
AGENDA_ITEM = Lifecycle(
    {
        # Notes and decisions: a decision marks the person discussed (and may be changed).
        "discuss": Move(
            {AgendaItem.Status.PENDING, AgendaItem.Status.DISCUSSED},
            AgendaItem.Status.DISCUSSED,
            "discussed",
        ),
        # At the close, people still waiting are carried to the next agenda.
        "miss": Move({AgendaItem.Status.PENDING}, AgendaItem.Status.NOT_REACHED, "not reached"),
        "remove": Move(_ON_AGENDA, AgendaItem.Status.REMOVED, "removed"),
    },
    noun="agenda item",
)
