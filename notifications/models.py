from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """A message to one user: in the app at once, by e-mail now or in the morning digest.

    `key` is unique: kind, subject, recipient and occurrence (for example the due date of an
    overdue task). A retried task, a duplicate delivery or a second beat process therefore
    never reaches a person twice."""

    class Email(models.TextChoices):
        NONE = "none", "Not e-mailed"  # no address, or in-app only
        PENDING = "pending", "To send now"
        DIGEST = "digest", "For the next digest"
        SENT = "sent", "Sent"
        FAILED = "failed", "Could not be sent"  # never retried; an admin was told

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    network = models.ForeignKey(
        "networks.Network", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    subject_type = models.CharField(max_length=30, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    occurrence = models.CharField(max_length=60, blank=True)
    key = models.CharField(max_length=200, unique=True)
    covering_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Delivered to a deputy on behalf of this member, who is away.",
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    email_body = models.TextField(
        db_default="",  # rows written by COPY (the synthetic data) without it
        blank=True,
        help_text="More for the e-mail only (e.g. the minutes themselves), sent only where "
        "e-mail may carry patient data (NOTIFY_EMAIL_IDENTIFIABLE).",
    )
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=7, choices=Email.choices, default=Email.NONE)
    emailed_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        "Digest", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"]),
            # The sweeps' "already sent for this subject and occurrence?" anti-join.
            models.Index(
                fields=["subject_type", "subject_id", "kind", "occurrence"],
                name="notification_subject",
            ),
            models.Index(
                fields=["created_at"], condition=Q(email="pending"), name="notification_to_email"
            ),
            models.Index(
                fields=["recipient"], condition=Q(email="digest"), name="notification_to_digest"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Preference(models.Model):
    """How a member wants e-mail: each notification as it happens, or one digest at 07:30 on
    working days. In-app notifications always arrive at once."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "Straight away"
        DIGEST = "digest", "In one e-mail at 07:30 on working days"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.CharField(max_length=9, choices=Delivery.choices)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.email}"


class Digest(models.Model):
    """One morning digest per person per day (the unique constraint keeps it to one)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    items = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="digest_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.day}"
