"""Passkeys (WebAuthn) as a second factor, with django-otp-webauthn (its JSON views, its
browser scripts and py_webauthn's checks; no cryptography of ours).

A passkey stands in for the TOTP code at the login's code step, never for the password: the
ceremony is for the pending user only (the one whose password was right a moment ago) and
success goes through the same finishing path as a code (`login()` and `django_otp.login()`).
Registering one needs a full login (second factor included when the person has one)."""

from django.conf import settings
from django.http.request import split_domain_port
from django.middleware.csrf import get_token
from django.urls import reverse
from django.views.i18n import JavaScriptCatalog
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp_webauthn import exceptions
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from networks.access import member_required, public

from .selectors import passkeys_of
from .services import PASSKEY_NAME

# --- the relying party (settings.ICN_WEBAUTHN_*) -------------------------------------------


def rp_id(request) -> str:
    """WEBAUTHN_RP_ID, or the host name the page was served from (ALLOWED_HOSTS checked)."""
    if settings.ICN_WEBAUTHN_RP_ID:
        return settings.ICN_WEBAUTHN_RP_ID
    domain, _port = split_domain_port(request.get_host())
    return domain


class PasskeyHelper(WebAuthnHelper):
    def get_relying_party_name(self) -> str:
        return settings.ICN_WEBAUTHN_RP_NAME

    def get_allowed_origins(self) -> list[str]:
        """WEBAUTHN_ALLOWED_ORIGINS, or the request's own origin."""
        configured = list(settings.ICN_WEBAUTHN_ALLOWED_ORIGINS)
        return configured or [f"{self.request.scheme}://{self.request.get_host()}"]

    def create_credential(self, user, response, parsed_credential, original_data):
        device = super().create_credential(user, response, parsed_credential, original_data)
        device.name = PASSKEY_NAME  # the person names it on the security page next
        return device


def browser_config(request) -> dict:
    """What django-otp-webauthn's scripts read from the page (a JSON data block, not a
    script: CSP allows it)."""
    return {
        "csrfToken": get_token(request),
        "beginAuthenticationUrl": reverse("login_passkey_begin"),
        "completeAuthenticationUrl": reverse("login_passkey_complete"),
        "beginRegistrationUrl": reverse("passkey_register_begin"),
        "completeRegistrationUrl": reverse("passkey_register_complete"),
        "autocompleteLoginFieldSelector": None,  # no passwordless login
        "nextFieldSelector": "input[name='next']",
    }


STATE = "otp_webauthn_authentication_state"  # the library's: the challenge being answered


class PasskeyRefused(exceptions.OTPWebAuthnApiError):
    status_code = 400
    default_detail = (
        "That passkey could not be checked. Try it again, or enter a code from your "
        "authenticator app."
    )
    default_code = "passkey_refused"


class LockedOut(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = "Too many failed attempts. Wait, then log in again."
    default_code = "locked_out"


class LoginExpired(exceptions.NotAuthenticated):
    default_detail = "Your login has expired. Enter your user name and password again."


# --- registering a passkey (logged in) ------------------------------------------------------


class _VerifiedUserMixin:
    """ICN runs without django-otp's middleware: the session's verified device is read here,
    for the library's rule that a person who has a second factor must have used it in this
    session before adding a passkey."""

    def get_user(self):
        user = self.request.user
        if not user.is_authenticated:
            return None
        if not hasattr(user, "is_verified"):
            device = None
            persistent_id = self.request.session.get(DEVICE_ID_SESSION_KEY)
            if persistent_id:
                device = Device.from_persistent_id(persistent_id)
                if device is not None and (device.user_id != user.pk or not device.confirmed):
                    device = None
            user.otp_device = device
            user.is_verified = lambda: user.otp_device is not None
        return user


class PasskeyRegisterBegin(_VerifiedUserMixin, BeginCredentialRegistrationView):
    pass


class PasskeyRegisterComplete(_VerifiedUserMixin, CompleteCredentialRegistrationView):
    pass


passkey_register_begin = member_required(PasskeyRegisterBegin.as_view())
passkey_register_complete = member_required(PasskeyRegisterComplete.as_view())


# --- using one at the login's code step (pending user, no session yet) ------------------------


class _PendingUserMixin:
    """The ceremony is for the pending user alone; no pending user, no ceremony."""

    pending: dict

    def get_user(self):
        from .views import pending_login

        user, self.pending = pending_login(self.request)
        return user

    def check_can_authenticate(self):
        user = self.get_user()
        if user is None:
            raise LoginExpired()
        if not passkeys_of(user).exists():
            raise exceptions.CredentialNotFound(detail="You have no passkey. Enter a code.")


class LoginPasskeyBegin(_PendingUserMixin, BeginCredentialAuthenticationView):
    pass


class LoginPasskeyComplete(_PendingUserMixin, CompleteCredentialAuthenticationView):
    """Checks the signed assertion (py_webauthn: challenge from this session, origin, RP id,
    signature with the stored public key, signature counter), then finishes the login as a
    code would. Any failure counts towards django-axes' lockout and answers 400."""

    def post(self, request, *args, **kwargs):
        from .views import count_failure, is_locked_out

        user = self.get_user()
        if is_locked_out(request, user):
            request.session.pop(STATE, None)  # a challenge is used once, whatever happens
            raise LockedOut()
        if not isinstance(request.data, dict):
            request.session.pop(STATE, None)
            count_failure(request, user)
            raise PasskeyRefused()
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.OTPWebAuthnApiError as exc:
            count_failure(request, user)
            raise PasskeyRefused() from exc

    def complete_auth(self, device):
        from .views import finish_login

        self.next_url = finish_login(self.request, device.user, device, self.pending)

    def get_success_url(self):
        return self.next_url


login_passkey_begin = public(LoginPasskeyBegin.as_view())
login_passkey_complete = public(LoginPasskeyComplete.as_view())

# gettext() for the library's scripts (their messages are English already).
passkey_jsi18n = public(JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]))
