"""The two single sign-on pages: off to the provider, and back from it."""

import logging

import requests
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import render
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from networks.access import public

from . import sso

logger = logging.getLogger("accounts.sso")


def _refused(request, refusal: sso.Refusal | None, *, unavailable: bool = False):
    """A clear page, never a redirect back to the login form: the person did sign in at
    their organisation, and needs to know what to ask for."""
    status = 503 if unavailable else 403 if refusal is not None else 400
    return render(
        request,
        "accounts/sso_refused.html",
        {"refusal": refusal, "unavailable": unavailable, "label": sso.button_label()},
        status=status,
    )


def _unavailable(request, exc: Exception):
    logger.error("SSO unavailable: %s", exc)
    return _refused(request, None, unavailable=True)


class SSOStart(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with state, nonce and a PKCE challenge."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    @staticmethod
    def get_settings(attr, *args):
        return sso.oidc_setting(attr, *args)

    def get(self, request):
        if not sso.enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
            self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
            return super().get(request)
        except sso.DiscoveryError as exc:
            return _unavailable(request, exc)


class SSOCallback(OIDCAuthenticationCallbackView):
    """Back from the provider: checks state, exchanges the code, verifies the ID token,
    matches the person to a member, and logs them in (the provider did any second factor)."""

    @staticmethod
    def get_settings(attr, *args):
        return sso.oidc_setting(attr, *args)

    def get(self, request):
        if not sso.enabled():
            raise Http404
        try:
            return self._callback(request)
        except SuspiciousOperation as exc:
            # A state not issued to this browser (a forged or replayed callback), or an ID
            # token that fails its checks.
            logger.warning("SSO callback rejected: %s", exc)
            return _refused(request, None)
        except sso.DiscoveryError as exc:
            return _unavailable(request, exc)
        except requests.RequestException as exc:
            logger.warning("SSO token exchange with %s failed: %s", sso.issuer(), exc)
            return _refused(request, None)

    def _callback(self, request):
        """mozilla-django-oidc's callback, except that the backend is called directly rather
        than through `django.contrib.auth.authenticate`: that would count each refusal as a
        failed password login for django-axes, whose lockout (by user name, here none, and
        address) would soon shut out every SSO user behind the same proxy."""
        if request.GET.get("error") or "code" not in request.GET or "state" not in request.GET:
            states = request.session.get("oidc_states", {})
            if request.GET.get("state") in states:
                del states[request.GET["state"]]
                request.session.save()
            return self.login_failure()
        state = request.GET["state"]
        states = request.session.get("oidc_states")
        if not isinstance(states, dict) or state not in states:
            raise SuspiciousOperation("OIDC callback state not issued to this session")
        # Each state is used once: forget it before anything slow happens.
        entry = states.pop(state)
        request.session.save()
        backend = sso.OIDCBackend()
        self.user = backend.authenticate(
            request, nonce=entry["nonce"], code_verifier=entry.get("code_verifier")
        )
        if self.user is None or not self.user.is_active:
            return self.login_failure()
        self.user.backend = sso.BACKEND
        return self.login_success()

    def login_success(self):
        response = super().login_success()
        self.request.session[sso.AUTH_METHOD_SESSION_KEY] = "sso"
        return response

    def login_failure(self):
        return _refused(self.request, getattr(self.request, sso.REFUSAL_ATTR, None))


sso_start = public(SSOStart.as_view())
sso_callback = public(SSOCallback.as_view())
