"""Helpers for the second-factor tests: a TOTP code as an authenticator app shows it, and
the password the factories give everyone. The fixtures `mfa` and `enrolled` are in
tests/conftest.py."""

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "a-good-long-password"


def totp_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the person's authenticator app shows now (or `steps_ahead` 30-second steps
    later: django-otp accepts one step either side, and never the same step twice)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"
