"""Logging in: the password, then (when ICN_REQUIRE_MFA) a code from the person's
authenticator or a recovery code, enrolling an authenticator the first time.

No authenticated session exists before the second factor: after a correct password only the
pending user's id (and when) is kept in the session; `login()` is called once the code is
right. Wrong codes are throttled by django-otp and count towards django-axes' lockout."""

import time
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from networks.access import member_required, public

from .forms import CodeForm
from .passkeys import browser_config
from .selectors import authenticator_of, passkeys_of, recovery_codes_left
from .services import (
    passkey_remove,
    passkey_rename,
    recovery_codes_make,
    second_factor_verify,
    totp_enrolment_confirm,
    totp_enrolment_start,
    totp_secret_text,
)

PENDING = "_icn_pending_login"  # {"user", "backend", "at", "next"}: password right, no code yet


class PasswordLoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        if not settings.ICN_REQUIRE_MFA:
            return super().form_valid(form)
        user = form.get_user()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("login_code" if authenticator_of(user) else "login_enrol")


login = public(PasswordLoginView.as_view())


def pending_login(request) -> tuple[object | None, dict]:
    """The user whose password was right a moment ago (ICN_MFA_PENDING_SECONDS), or None."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None, {}
    if time.time() - pending.get("at", 0) > settings.ICN_MFA_PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, {}
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending


def _restart(request):
    request.session.pop(PENDING, None)
    return redirect(f"{resolve_url(settings.LOGIN_URL)}?expired=1")


def is_locked_out(request, user) -> bool:
    """This username is locked out by django-axes (wrong passwords, codes and passkeys,
    together); the pending login is dropped then."""
    from axes.handlers.proxy import AxesProxyHandler

    if AxesProxyHandler.is_locked(request, {"username": user.get_username()}):
        request.session.pop(PENDING, None)
        return True
    return False


def _locked_out(request, user):
    """django-axes' own lockout page if this username is locked out."""
    from axes.helpers import get_lockout_response

    if is_locked_out(request, user):
        return get_lockout_response(request, None, {"username": user.get_username()})
    return None


def count_failure(request, user) -> None:
    """A wrong code (or a refused passkey) counts as a failed login for django-axes; at the
    limit its middleware turns this response into the lockout page."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )


def _wait_message(wait_until) -> str:
    seconds = max(1, int((wait_until - timezone.now()).total_seconds()) + 1)
    return f"Too many wrong codes. Wait {seconds} seconds, then enter the newest code."


def finish_login(request, user, device, pending):
    request.session.pop(PENDING, None)
    auth_login(request, user, backend=pending["backend"])
    otp_login(request, device)
    return pending.get("next") or settings.LOGIN_REDIRECT_URL


@public
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    user, pending = pending_login(request)
    if user is None:
        return _restart(request)
    if authenticator_of(user) is None:
        return redirect("login_enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if locked := _locked_out(request, user):
            return locked
        result = second_factor_verify(user=user, code=form.cleaned_data["code"])
        if result.ok:
            return redirect(finish_login(request, user, result.device, pending))
        count_failure(request, user)
        form.add_error(
            "code",
            _wait_message(result.wait_until)
            if result.wait_until
            else "That code is not right. Enter the 6-digit code your authenticator shows now, "
            "or one of your recovery codes.",
        )
    context = {"form": form, "has_passkey": passkeys_of(user).exists()}
    if context["has_passkey"]:
        context["passkey_config"] = browser_config(request)
    return render(request, "accounts/login_code.html", context, status=_status(form))


def _status(form) -> int:
    return 422 if form.is_bound and form.errors else 200


def qr_svg(text: str) -> str:
    """A QR code as inline SVG (no image request, no script; CSP allows it)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg class="qr" role="img" aria-label="QR code" ', 1)


@public
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol(request):
    """Set up an authenticator: at first login (pending user), or from the security page."""
    if request.user.is_authenticated:
        user, pending = request.user, None
    else:
        user, pending = pending_login(request)
        if user is None:
            return _restart(request)
    if authenticator_of(user) is not None:
        return redirect("account_security" if pending is None else "login_code")
    device = totp_enrolment_start(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if locked := _locked_out(request, user):
            return locked
        allowed, throttled = device.verify_is_allowed()
        codes = None
        if allowed:
            codes = totp_enrolment_confirm(device=device, code=form.cleaned_data["code"], by=user)
        if codes is not None:
            device.refresh_from_db()
            if pending is None:
                otp_login(request, device)
                next_url = "/accounts/security/"
            else:
                next_url = finish_login(request, user, device, pending)
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url}
            )
        count_failure(request, user)
        device.refresh_from_db()
        form.add_error(
            "code",
            _wait_message(throttled["locked_until"])
            if not allowed
            else "That code is not right. Enter the 6-digit code your authenticator app shows now.",
        )
    context = {
        "form": form,
        "qr": mark_safe(qr_svg(device.config_url)),  # noqa: S308 (our own SVG)
        "secret": totp_secret_text(device),
        "secret_plain": b32encode(device.bin_key).decode().rstrip("="),
        "first_login": pending is not None,
    }
    return render(request, "accounts/enrol.html", context, status=_status(form))


@member_required
@never_cache
@require_http_methods(["GET", "POST"])
def security(request):
    """The person's authenticator and recovery codes; new recovery codes on request."""
    if request.method == "POST":
        codes = recovery_codes_make(user=request.user, by=request.user)
        return render(
            request,
            "accounts/recovery_codes.html",
            {"codes": codes, "next_url": "/accounts/security/", "renewed": True},
        )
    context = {
        "authenticator": authenticator_of(request.user),
        "passkeys": passkeys_of(request.user),
        "passkey_config": browser_config(request),
        "recovery_left": recovery_codes_left(request.user),
        "mfa_required": settings.ICN_REQUIRE_MFA,
    }
    return render(request, "accounts/security.html", context)


@member_required
@require_http_methods(["POST"])
def passkey_name(request):
    """Name a passkey: sent by the security page's script right after registering one."""
    passkey = passkey_rename(
        user=request.user,
        passkey_id=_int(request.POST.get("passkey")),
        name=request.POST.get("name", ""),
    )
    if passkey is not None:
        messages.success(request, f"Passkey “{passkey.name}” added.")
    return redirect("account_security")


@member_required
@require_http_methods(["POST"])
def passkey_delete(request):
    if passkey_remove(user=request.user, passkey_id=_int(request.POST.get("passkey"))):
        messages.success(request, "Passkey removed.")
    return redirect("account_security")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def admin_login(request, extra_context=None):
    """The Django admin's login page: ours, so the admin gets no password-only session."""
    if request.user.is_authenticated:
        raise PermissionDenied  # logged in but not staff: no loop back to the login page
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.GET.get("next") or "/admin/")
