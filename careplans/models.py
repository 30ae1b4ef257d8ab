"""A person's care plan: what the MDT agreed (needs by domain, interventions with an owner
and a due date, a review date), one per person, versioned so a stale edit is refused. Each
intervention with an owner is worked as a task (actions.Action) on the owner's My work."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from core.constraints import on_field
from core.validators import not_before_1900, single_line, within_five_years_ahead
from networks.roles import Role


class Domain(models.TextChoices):
    HEALTH = "health", "Health"
    MEDICINES = "medicines", "Medicines"
    HOME = "home", "Home"
    SOCIAL = "social", "Social"
    WHAT_MATTERS = "what_matters", "What matters to me"


# What a personal independence coordinator (voluntary sector) reads of a plan's needs.
SOCIAL_DOMAINS = frozenset({Domain.SOCIAL, Domain.WHAT_MATTERS})


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CarePlan(models.Model):
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="care_plan"
    )
    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    review_on = models.DateField(
        null=True, blank=True, validators=[not_before_1900, within_five_years_ahead]
    )
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Care plan v{self.version} for {self.patient_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CarePlanNeed(models.Model):
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="needs")
    domain = models.CharField(max_length=12, choices=Domain.choices)
    description = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CarePlanIntervention(models.Model):
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="interventions")
    description = models.CharField(max_length=200, validators=[single_line])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    due_on = models.DateField(validators=[not_before_1900, within_five_years_ahead])
    task = models.ForeignKey(
        "actions.Action",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The task this intervention is worked as (on the owner's My work).",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(owner__isnull=False) & ~Q(owner_role="")),
                name="care_plan_intervention_one_owner",
                **on_field("owner", "Give either a member (owner) or a role (owner_role)."),
            ),
        ]

    def __str__(self) -> str:
        return self.description
