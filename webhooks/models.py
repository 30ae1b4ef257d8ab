"""Signed webhooks to partner systems (API.md 1.1 "Webhooks", docs/adr/0010): who listens
(Subscription), what happened (Event, written in the same transaction as the change: an
outbox), and one Delivery per event and subscriber, unique, which the worker and the sweep
send until a 2xx or the attempts run out."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class EventType(models.TextChoices):
    REFERRAL_CREATED = "referral.created", "A referral was made"
    REFERRAL_ACCEPTED = "referral.accepted", "A referral was accepted"
    REFERRAL_DECLINED = "referral.declined", "A referral was declined"
    REFERRAL_COMPLETED = "referral.completed", "A referral was completed"
    TASK_DONE = "task.done", "A task was done"
    PATIENT_DISCHARGED = "patient.discharged", "A person was discharged from the caseload"


class Subscription(models.Model):
    class Scope(models.TextChoices):
        # A chair's: every event of the network. A partner system's: only those of the
        # referrals it made (API.md: "only of its own referrals").
        NETWORK = "network", "The network's events"
        OWN = "own", "Its own referrals' events"

    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    scope = models.CharField(max_length=10, choices=Scope.choices)
    url = models.URLField(max_length=500)
    events = ArrayField(models.CharField(max_length=40, choices=EventType.choices))
    secret = models.CharField(max_length=100)  # whsec_..., shown once at creation
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["network", "active"], name="webhook_sub_network_active")]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["network", "own"]), name="webhook_subscription_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.network_id})"


class Event(models.Model):
    """Something a subscriber may hear of. `data` holds ids and FHIR references only: no
    names, no NHS numbers. `referrer` is who may hear it besides the network's chair: the
    partner system that made the referral."""

    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=40, choices=EventType.choices)
    data = models.JSONField()
    occurred_at = models.DateTimeField()
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.data}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        ABANDONED = "abandoned", "Abandoned"

    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    # The Standard Webhooks `webhook-id`, fixed when the delivery is made: the same on every
    # retry, so the receiver can drop a repeat.
    webhook_id = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When it is next due; while a worker is sending it, the end of that worker's lease.
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhook_delivery_once_per_subscriber"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivered", "abandoned"]),
                name="webhook_delivery_status",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} ({self.status})"
