"""Information governance: subject access requests and erasures (the tombstones).

Neither table holds a name or an NHS number. A request points at the person (so it is
itself part of what ICN holds about them, and is erased with them); an erasure keeps only a
keyed one-way hash of the NHS number (`governance.hashing`), so a later request for the same
number can be answered "erased on <date>" without ICN holding the number."""

import pgtrigger
from django.conf import settings
from django.db import models


class SubjectAccessRequest(models.Model):
    """One subject access request answered (or asked about someone ICN does not hold)."""

    class Channel(models.TextChoices):
        PAGE = "page", "Page"
        API = "api", "API"

    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subject_access_requests",
        help_text="Empty when no one with that NHS number is held in the network.",
    )
    nhs_number_hash = models.CharField(max_length=64, help_text="Keyed hash, never the number.")
    reference = models.CharField(
        max_length=200, help_text="The requester's letter, its date, or the case reference."
    )
    channel = models.CharField(max_length=4, choices=Channel.choices)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = "subject access request"

    def __str__(self) -> str:
        return f"Subject access request {self.pk} ({self.reference})"


class Erasure(models.Model):
    """The tombstone of an erased person: who erased, when, why, in which network, and a
    keyed hash of the NHS number. Append-only, as the access trail is."""

    erased_at = models.DateTimeField(auto_now_add=True, db_index=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    erased_by_username = models.CharField(max_length=150)
    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000)
    nhs_number_hash = models.CharField(max_length=64, db_index=True)
    rows_removed = models.JSONField(default=dict, help_text="Rows removed per table (counts only).")

    class Meta:
        ordering = ["-erased_at", "-id"]
        triggers = [
            pgtrigger.Protect(
                name="erasure_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"Erasure {self.pk} on {self.erased_at:%Y-%m-%d}"
