import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone

from networks.roles import Role


class AccessEvent(models.Model):
    """One look (or a refused look) at a person's record. Append-only: the database refuses
    UPDATE and DELETE on this table, so no code path can change the trail."""

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        DENIED = "denied", "Denied (role)"
        NOT_FOUND = "not_found", "Not found (outside the user's networks)"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=30, blank=True, choices=Role.choices)
    network = models.ForeignKey(
        "networks.Network",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="access_events",
    )
    patient_ref = models.CharField(
        max_length=40, blank=True, help_text="What was asked for when no patient matched (an id)."
    )
    what = models.CharField(max_length=40)
    channel = models.CharField(max_length=10)  # page | api | export
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    path = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-at"]),
            models.Index(fields=["user", "-at"]),
            # The network's trail, newest first (the IG lead's page, API and daily digest).
            models.Index(fields=["network", "-at"], name="audit_event_network_at"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="access_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.what} {self.outcome}"

    @property
    def role_label(self) -> str:
        """The role in the network's own words ("network facilitator" for an ICN chair)."""
        if self.network_id and self.role:
            return self.network.role_label(self.role)
        return self.get_role_display()


class BreakGlass(models.Model):
    """A member opened clinical detail they are not otherwise allowed to read (they are not
    involved in the person's care, or an entry is restricted) by breaking the glass: a coded
    reason, a time limit, the IG lead told at once and reviewing it afterwards.

    The grant covers the one person (every entry of theirs) for `BREAK_GLASS_HOURS`; `entry`
    names what the member was opening when they broke it (a visit, the record...)."""

    class Reason(models.TextChoices):
        CONSENT = "consent", "The person has consented"
        VITAL_INTERESTS = "vital_interests", "Vital interests: risk to life or serious harm"
        SAFEGUARDING = "safeguarding", "Safeguarding"
        LEGAL = "legal", "A legal duty or a court order"

    class Review(models.TextChoices):
        APPROPRIATE = "appropriate", "Appropriate"
        INAPPROPRIATE = "inappropriate", "Not appropriate: to be followed up"

    at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=30, choices=Role.choices)
    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="break_glass"
    )
    entry_kind = models.CharField(max_length=30, default="record")  # record | visit | ...
    entry_id = models.BigIntegerField(null=True, blank=True)
    entry_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who wrote the restricted entry opened (told at once).",
    )
    reason_code = models.CharField(max_length=20, choices=Reason.choices)
    reason = models.TextField(max_length=2000)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_outcome = models.CharField(max_length=20, choices=Review.choices, blank=True)
    review_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # "Has this member a live grant for these people?" on every clinical read.
            models.Index(fields=["user", "patient", "-expires_at"], name="audit_bg_user_patient"),
            # The IG lead's queue: the network's grants not yet reviewed, newest first.
            models.Index(fields=["network", "reviewed_at", "-at"], name="audit_bg_review"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    reason_code__in=["consent", "vital_interests", "safeguarding", "legal"]
                ),
                name="break_glass_reason_coded",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("at")),
                name="break_glass_expires_after",
            ),
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True)
                | (models.Q(reviewed_by__isnull=False) & ~models.Q(review_outcome="")),
                name="break_glass_review_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} break-glass by {self.user_id} on {self.patient_id}"

    @property
    def active(self) -> bool:
        return self.expires_at > timezone.now()
