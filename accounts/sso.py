"""Single sign-on through OpenID Connect (NHS CIS2, a council's Microsoft Entra ID).

The authorization code flow with state, nonce and (when the provider offers S256) PKCE,
from mozilla-django-oidc. What this module adds:

- configuration is the issuer alone: the endpoints come from the issuer's discovery
  document, fetched when first needed and cached; its `issuer` must be the configured one;
- every setting is read at request time (the library reads some when a view or backend
  is built), so SSO can be switched on and off without a restart of the test process;
- the ID token's signature is checked against the provider's JWKS, and its `iss` and
  `aud` too (the library checks neither);
- users are never created: the person is matched to an existing account (see `match`),
  which must be active with at least one active network membership; anyone else is
  refused, with the reason kept on the request for the refusal page and logged.
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from networks.selectors import active_memberships

logger = logging.getLogger("accounts.sso")

DISCOVERY_TTL_SECONDS = 3600
TIMEOUT_SECONDS = 10
AUTH_METHOD_SESSION_KEY = "icn_auth_method"
REFUSAL_ATTR = "icn_sso_refusal"
BACKEND = "accounts.sso.OIDCBackend"

MATCH_EMAIL = "email"
MATCH_USERNAME = "username"


class DiscoveryError(ImproperlyConfigured):
    """The issuer's discovery document could not be fetched or does not describe it."""


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ISSUER", ""))


def issuer() -> str:
    return settings.OIDC_ISSUER.rstrip("/")


def button_label() -> str:
    return settings.OIDC_BUTTON_LABEL


_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


def discovery() -> dict[str, Any]:
    """The provider's metadata from `{issuer}/.well-known/openid-configuration`, cached for an
    hour per issuer. Its `issuer` must equal OIDC_ISSUER (OpenID Connect Discovery 4.3), so a
    document from anywhere else is never trusted."""
    name = issuer()
    with _cache_lock:
        cached = _cache.get(name)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    try:
        response = requests.get(f"{name}/.well-known/openid-configuration", timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DiscoveryError(f"OIDC discovery for {name} failed: {exc}") from exc
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != name:
        raise DiscoveryError(
            f"OIDC discovery for {name} names another issuer: {document.get('issuer')!r}"
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not document.get(key):
            raise DiscoveryError(f"OIDC discovery for {name} has no {key}")
    with _cache_lock:
        _cache[name] = (time.monotonic() + DISCOVERY_TTL_SECONDS, document)
    return document


def forget_discovery() -> None:
    with _cache_lock:
        _cache.clear()


def _uses_pkce() -> bool:
    return "S256" in discovery().get("code_challenge_methods_supported", [])


def _basic_auth_at_token_endpoint() -> bool:
    """client_secret_basic is the default (RFC 8414); client_secret_post only when the
    provider lists it and not basic."""
    methods = discovery().get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
    return "client_secret_basic" in methods or "client_secret_post" not in methods


# mozilla-django-oidc's setting names, answered from ICN's settings and the discovery
# document at the moment they are asked for.
_MAPPED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": lambda: discovery()["authorization_endpoint"],
    "OIDC_OP_TOKEN_ENDPOINT": lambda: discovery()["token_endpoint"],
    "OIDC_OP_USER_ENDPOINT": lambda: discovery().get("userinfo_endpoint"),
    "OIDC_OP_JWKS_ENDPOINT": lambda: discovery()["jwks_uri"],
    "OIDC_RP_CLIENT_ID": lambda: settings.OIDC_CLIENT_ID,
    "OIDC_RP_CLIENT_SECRET": lambda: settings.OIDC_CLIENT_SECRET,
    "OIDC_RP_SIGN_ALGO": lambda: settings.OIDC_SIGN_ALGO,
    "OIDC_RP_SCOPES": lambda: settings.OIDC_SCOPES,
    "OIDC_RP_IDP_SIGN_KEY": lambda: None,
    "OIDC_USE_NONCE": lambda: True,
    "OIDC_USE_PKCE": _uses_pkce,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": lambda: "S256",
    "OIDC_TOKEN_USE_BASIC_AUTH": _basic_auth_at_token_endpoint,
    "OIDC_CREATE_USER": lambda: False,
    "OIDC_TIMEOUT": lambda: TIMEOUT_SECONDS,
    "OIDC_VERIFY_SSL": lambda: True,
    "OIDC_STORE_ACCESS_TOKEN": lambda: False,
    "OIDC_STORE_ID_TOKEN": lambda: False,
    "OIDC_AUTHENTICATION_CALLBACK_URL": lambda: "oidc_authentication_callback",
    "OIDC_REDIRECT_FIELD_NAME": lambda: "next",
    "OIDC_ALLOW_UNSECURED_JWT": lambda: False,
}


def oidc_setting(attr: str, *default):
    if attr in _MAPPED:
        return _MAPPED[attr]()
    if default:
        return getattr(settings, attr, default[0])
    return getattr(settings, attr)


@dataclass(frozen=True)
class Refusal:
    """Why a person who proved who they are at the provider may not use ICN."""

    reason: str  # no_claim | email_unverified | no_account | ambiguous | inactive
    claim: str
    value: str
    sub: str

    @property
    def no_membership(self) -> bool:
        return self.reason in {"no_account", "ambiguous", "inactive"}


def match(claims: dict[str, Any]) -> tuple[Any | None, Refusal | None]:
    """The ICN user these claims name, or why there is none.

    OIDC_USERNAME_CLAIM names the claim to match (default `email`); OIDC_MATCH says against
    what: `email` compares it, case-insensitively, with User.email and only when the
    provider says `email_verified: true` (an address the provider has not verified could be
    anyone's); `username` compares it, case-insensitively, with User.username (for an
    identifier the provider itself assigns: CIS2's `uid`, Entra ID's `preferred_username`).
    Exactly one user must match, be active, and hold an active membership in a network.
    """
    claim = settings.OIDC_USERNAME_CLAIM
    value = claims.get(claim)
    value = value.strip() if isinstance(value, str) else ""
    sub = str(claims.get("sub", ""))

    def refuse(reason: str):
        return None, Refusal(reason=reason, claim=claim, value=value, sub=sub)

    if not value:
        return refuse("no_claim")
    users = get_user_model().objects.all()
    if settings.OIDC_MATCH == MATCH_USERNAME:
        users = users.filter(username__iexact=value)
    else:
        if claims.get("email_verified") is not True:
            return refuse("email_unverified")
        users = users.filter(email__iexact=value)
    found = list(users[:2])
    if not found:
        return refuse("no_account")
    if len(found) > 1:
        return refuse("ambiguous")
    user = found[0]
    if not user.is_active or not active_memberships(user):
        return refuse("inactive")
    return user, None


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, reading its settings lazily and never creating users.
    It acts only when called by the SSO callback (which passes `nonce`), so a password login
    never reaches it."""

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    @staticmethod
    def get_settings(attr, *args):
        return oidc_setting(attr, *args)

    def __getattr__(self, name):
        # The library reads self.OIDC_* set in its __init__; answer them when asked.
        if name.startswith("OIDC_"):
            return oidc_setting(name)
        raise AttributeError(name)

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not enabled():
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)

    # Permissions are ModelBackend's and the rules backend's business, not this one's: the
    # neutral answers keep it from adding work to every permission check.
    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    get_user_permissions = get_group_permissions = get_all_permissions

    def _verify_jws(self, payload, key):
        """The signature (the provider's key, the configured algorithm), expiry, and that the
        token is from our issuer and for us."""
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != settings.OIDC_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token signed with {header.get('alg')!r}")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[settings.OIDC_SIGN_ALGO],
                audience=settings.OIDC_CLIENT_ID,
                issuer=discovery()["issuer"],
                options={"require": ["iss", "aud", "exp", "sub"]},
                leeway=60,
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token rejected: {exc}") from exc

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims with the userinfo endpoint's added (CIS2 puts `uid` and
        `email` only there). The signed ID token wins where both name a claim, and userinfo
        about another subject is refused (OpenID Connect Core 5.3.2)."""
        claims = {}
        if oidc_setting("OIDC_OP_USER_ENDPOINT"):
            claims = super().get_userinfo(access_token, id_token, payload)
            if str(claims.get("sub")) != str(payload.get("sub")):
                raise SuspiciousOperation("userinfo is about another subject")
        return {**claims, **payload}

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        # Matching is `match()`'s, in get_or_create_user below. The library's own lookup (any
        # user with the claimed e-mail, verified or not) must never be reached.
        return get_user_model().objects.none()

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SuspiciousOperation("no sub claim")
        user, refusal = match(claims)
        if refusal is not None:
            setattr(self.request, REFUSAL_ATTR, refusal)
            logger.warning(
                "SSO login refused (%s): issuer=%s sub=%s %s=%r",
                refusal.reason,
                issuer(),
                refusal.sub,
                refusal.claim,
                refusal.value,
            )
            return None
        logger.info("SSO login: issuer=%s sub=%s user=%s", issuer(), claims["sub"], user.pk)
        return user
