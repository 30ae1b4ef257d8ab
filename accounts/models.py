import pgtrigger
from django.conf import settings
from django.db import models


class SecondFactorReset(models.Model):
    """An administrator removed a person's authenticator and recovery codes (lost phone): the
    person enrols again at their next login. Append-only: the database refuses UPDATE and
    DELETE, so the record of who reset whose second factor cannot be changed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text="Whose second factor was reset.",
    )
    username = models.CharField(max_length=150)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        help_text="The administrator who reset it.",
    )
    by_username = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)
    devices_removed = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"])]
        triggers = [
            pgtrigger.Protect(
                name="second_factor_reset_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.by_username} reset {self.username}"
