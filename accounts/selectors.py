"""Reads about how a person proves who they are."""

from django.conf import settings
from django.db.models import QuerySet
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from core.typing import User
from networks.roles import Role
from networks.selectors import active_memberships


def is_partner_system(user: User) -> bool:
    """Every active membership is a `partner_system` one (an API account of another system).
    Anyone who is also a person in some network is treated as a person."""
    memberships = active_memberships(user)
    return bool(memberships) and all(m.role == Role.PARTNER_SYSTEM for m in memberships.values())


def token_needs_otp(user: User) -> bool:
    return settings.ICN_REQUIRE_MFA and not is_partner_system(user)


def authenticator_of(user: User) -> TOTPDevice | None:
    """The person's confirmed TOTP authenticator, if they have enrolled one."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user: User) -> int:
    device = StaticDevice.objects.devices_for_user(user, confirmed=True).first()
    return device.token_set.count() if device else 0


def passkeys_of(user: User) -> QuerySet[WebAuthnCredential]:
    """The person's confirmed passkeys (WebAuthn credentials), oldest first."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")
