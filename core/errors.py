"""Domain errors raised by services; the API and pages turn them into 403/404/409."""

from typing import Any

from django.db import models


class Conflict(Exception):
    """The write clashes with what is stored (duplicate, stale version, wrong state)."""

    def __init__(
        self, message: str, field: str | None = None, *, record: models.Model | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # The stored record it clashes with, for the caller to name only to those who may
        # read it (API.md 1.1: a 409 never names a person or record the caller may not read).
        self.record = record
        self.extra: dict[str, Any] = {}


class NotAllowed(Exception):
    """The caller's role may not do this (403)."""

    def __init__(self, message: str = "Your role may not do this.") -> None:
        super().__init__(message)
        self.message = message
