import time

import pytest
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


@pytest.fixture
def mfa(settings):
    settings.ICN_REQUIRE_MFA = True
    return settings


@pytest.fixture
def enrolled(member):
    """enrolled(role) -> (user, confirmed TOTP device)."""

    def make(role="pharmacist", **kwargs):
        user = member(role, **kwargs)
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        return user, device

    return make
