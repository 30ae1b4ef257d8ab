"""A keyed one-way hash of an NHS number, for the erasure tombstones and the requests.

HMAC-SHA256 keyed by SECRET_KEY (Django's salted_hmac with a salt of its own): without the
key, the hash of a ten-digit number cannot be reversed by trying every number. A match is
looked for under SECRET_KEY_FALLBACKS too, so rotating the key keeps earlier tombstones
answerable while the old key is listed there."""

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "icn.governance.nhs_number"


def nhs_number_hash(nhs_number: str, secret: str | None = None) -> str:
    return salted_hmac(SALT, nhs_number, secret=secret, algorithm="sha256").hexdigest()


def nhs_number_hashes(nhs_number: str) -> list[str]:
    """The hash under the current key and under every fallback key."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [nhs_number_hash(nhs_number, secret) for secret in secrets]
