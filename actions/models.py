import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from core.constraints import on_field
from core.transitions import Lifecycle, Move
from core.validators import not_before_1900, single_line, within_five_years_ahead
from networks.roles import Role


@pghistory.track()
class Action(models.Model):
    """Work about a person for a named member or a role queue in a network (API: `tasks`)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    class Source(models.TextChoices):
        MANUAL = "manual", "Added by hand"
        VISIT = "visit", "Visit follow-up"
        MEETING = "meeting", "Agreed at a meeting"
        REFERRAL = "referral", "Referral"
        CARE_PLAN = "care_plan", "Care plan"

    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="actions"
    )
    title = models.CharField(max_length=200, validators=[single_line])
    details = models.TextField(max_length=4000, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_actions",
    )
    assignee_role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    due_on = models.DateField(validators=[not_before_1900, within_five_years_ahead])
    status = models.CharField(max_length=4, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    agenda_item = models.ForeignKey(
        "huddles.AgendaItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
    )
    claimed_from_role = models.CharField(
        max_length=30,
        choices=Role.choices,
        blank=True,
        help_text="The role queue this task was claimed from.",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_note = models.TextField(
        max_length=2000,
        blank=True,
        db_default="",  # rows copied in bulk (demo/synthetic, benchmarks) leave it out
        help_text="What was done, said when it was marked done.",
    )

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(assignee__isnull=False) & Q(assignee_role=""))
                | (Q(assignee__isnull=True) & ~Q(assignee_role="")),
                name="action_for_a_member_or_a_role",
                **on_field(
                    "assignee", "Give either a member (assignee) or a role (assignee_role)."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(done_at__isnull=True))
                | (Q(status="done") & Q(done_at__isnull=False)),
                name="action_done_at_iff_done",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"]),
            models.Index(fields=["network", "assignee_role", "status", "due_on"]),
            models.Index(fields=["patient", "status"]),
            # The reminder sweeps: open tasks by due date.
            models.Index(fields=["due_on"], condition=Q(status="open"), name="action_open_due"),
            # The dashboard's open actions agreed at meetings not yet due
            # (reports.stored.actions_agreed).
            models.Index(
                fields=["network", "due_on"],
                condition=Q(status="open", agenda_item__isnull=False),
                name="action_agreed_open",
            ),
        ]

    def __str__(self) -> str:
        return self.title


# A task is open until someone marks it done; only an open task can be claimed from its queue.
_OPEN = {Action.Status.OPEN}
ACTION = Lifecycle(
    {
        "done": Move(_OPEN, Action.Status.DONE, "done"),
        "claim": Move(_OPEN, Action.Status.OPEN, "claimed"),
        "change": Move(_OPEN, Action.Status.OPEN, "changed"),
    },
    noun="task",
)
