"""Writes about how a person proves who they are: API tokens, authenticators, recovery codes,
and an administrator's reset of a second factor."""

from base64 import b32decode, b32encode
from binascii import hexlify
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from knox.models import AuthToken
from knox.settings import knox_settings

from core.attribution import attributed
from core.typing import User

from .models import SecondFactorReset
from .selectors import is_partner_system

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
PASSKEY_NAME = "Passkey"


# --- API tokens --------------------------------------------------------------------------


@attributed
@transaction.atomic
def token_issue(*, user: User, by: User | None = None) -> tuple[AuthToken, str]:
    """A new API token for `user`: (the row, the key to hand over once). A person's token
    lives API_TOKEN_IDLE_MINUTES from its last use, at most API_TOKEN_HOURS; a partner
    system's PARTNER_TOKEN_DAYS. The account's expired tokens are pruned here."""
    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lt=now).delete()
    ttl = settings.ICN_PARTNER_TOKEN_TTL if is_partner_system(user) else knox_settings.TOKEN_TTL
    return AuthToken.objects.create(user=user, expiry=ttl)


@attributed
def token_revoke(*, token: AuthToken, by: User) -> None:
    AuthToken.objects.filter(pk=token.pk).delete()


@attributed
def tokens_revoke_all(*, user: User, by: User | None = None) -> int:
    """Every API token of the account (password changed, membership deactivated)."""
    deleted, _ = AuthToken.objects.filter(user_id=user.pk).delete()
    return deleted


# --- second factor -----------------------------------------------------------------------


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret as people type it into an authenticator: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the person is setting up (the same one on a reload, so
    the QR code they scanned stays valid until they confirm it)."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


@attributed
@transaction.atomic
def totp_enrolment_confirm(*, device: TOTPDevice, code: str, by: User) -> list[str] | None:
    """Confirm the authenticator with a code it shows; returns the new recovery codes, to be
    shown once, or None if the code is wrong (throttled by django-otp)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed or not device.verify_token(_digits(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One authenticator a person: any other (older, or a half-finished set-up) goes.
    TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
    return recovery_codes_make(user=device.user, by=by)


@attributed
@transaction.atomic
def recovery_codes_make(*, user: User, by: User) -> list[str]:
    """ICN_RECOVERY_CODES new single-use recovery codes; any earlier ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.ICN_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


@dataclass(frozen=True)
class Verification:
    device: TOTPDevice | StaticDevice | None = None
    wait_until: datetime | None = None  # throttled: too many wrong codes just now

    @property
    def ok(self) -> bool:
        return self.device is not None


def _digits(code: str) -> str:
    return "".join(code.split()).replace("-", "")


@transaction.atomic
def second_factor_verify(*, user: User, code: str, recovery: bool = True) -> Verification:
    """Check a six-digit code from the person's authenticator or (when `recovery`) one of
    their unused recovery codes, which is used up. Wrong codes are throttled per device by
    django-otp (1, 2, 4, 8 ... seconds before the next try is even checked)."""
    code = _digits(code or "").lower()
    if not code:
        return Verification()
    if code.isdigit():
        devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
    elif recovery:
        devices = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
    else:
        devices = TOTPDevice.objects.none()
    wait_until = None
    for device in devices.order_by("pk"):
        allowed, data = device.verify_is_allowed()
        if not allowed:
            wait_until = (data or {}).get("locked_until") or wait_until
            continue
        if device.verify_token(code):
            return Verification(device=device)
    return Verification(wait_until=wait_until)


def passkey_rename(*, user: User, passkey_id: int | None, name: str) -> WebAuthnCredential | None:
    """Name one of the person's own passkeys ("Work laptop"); None if it is not theirs."""
    passkey = WebAuthnCredential.objects.filter(user=user, pk=passkey_id).first()
    if passkey is None:
        return None
    passkey.name = (" ".join((name or "").split()) or PASSKEY_NAME)[:64]
    passkey.save(update_fields=["name"])
    return passkey


def passkey_remove(*, user: User, passkey_id: int | None) -> bool:
    """Remove one of the person's own passkeys (the authenticator app stays)."""
    deleted, _ = WebAuthnCredential.objects.filter(user=user, pk=passkey_id).delete()
    return bool(deleted)


@attributed
@transaction.atomic
def second_factor_reset(*, user: User, by: User | None) -> SecondFactorReset:
    """Remove the person's authenticator, passkeys and recovery codes (lost or replaced
    phone); they enrol again at their next login. Their API tokens are revoked too.
    Recorded."""
    removed = TOTPDevice.objects.filter(user=user).count()
    removed += StaticDevice.objects.filter(user=user).count()
    removed += WebAuthnCredential.objects.filter(user=user).count()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    tokens_revoke_all(user=user, by=by)
    return SecondFactorReset.objects.create(
        user=user,
        username=user.get_username(),
        by=by,
        by_username=by.get_username() if by is not None else "",
        devices_removed=removed,
    )


@attributed
@transaction.atomic
def totp_device_set_secret(
    *, user: User, secret_b32: str, by: User | None = None
) -> tuple[TOTPDevice, bool]:
    """A confirmed authenticator with a known secret (the demo's, DEMO_TOTP_SECRET):
    (device, created). Idempotent: an existing device with that secret is left as it is.
    Raises ValueError for a secret that is not base32."""
    key = totp_key_from_base32(secret_b32)
    device = TOTPDevice.objects.filter(user=user, key=key).order_by("pk").first()
    created = device is None
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True
        )
    elif not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return device, created


def totp_key_from_base32(secret_b32: str) -> str:
    """The hex key django-otp stores, from the base32 secret authenticator apps show."""
    padded = "".join(secret_b32.split()).upper()
    padded += "=" * (-len(padded) % 8)
    try:
        raw = b32decode(padded)
    except ValueError as exc:
        raise ValueError("The TOTP secret must be base32 (A-Z, 2-7).") from exc
    if len(raw) < 10:
        raise ValueError("The TOTP secret must be at least 16 base32 characters (80 bits).")
    return hexlify(raw).decode()
