import pgtrigger
from django.conf import settings
from django.db import models

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
