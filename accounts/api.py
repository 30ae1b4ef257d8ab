"""API tokens: issue (password, and the second factor when required) and revoke."""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.authentication import MemberTokenAuthentication
from core.fields import StrictCharField
from networks.selectors import active_memberships

from .selectors import token_needs_otp
from .services import second_factor_verify, token_issue, token_revoke


class MemberTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <key>` in the schema (the name earlier versions published)."""

    target_class = "core.authentication.MemberTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


class TokenSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=4096, trim_whitespace=False)
    otp = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=12,
        help_text="The current six-digit code of the person's authenticator app. Required when "
        "the deployment requires a second factor (ICN_REQUIRE_MFA), except for "
        "`partner_system` accounts, which never send it.",
    )

    def validate(self, attrs):
        # django-axes marks the request it is given as locked out, and its middleware reads
        # that mark from Django's HttpRequest: give it that one, not DRF's wrapper.
        request = self.context["request"]._request
        # django-axes: failures are counted and a locked-out username is refused here.
        user = authenticate(request=request, username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with provided credentials."]}
            )
        if not active_memberships(user):
            raise serializers.ValidationError(
                {"non_field_errors": ["This account has no active network membership."]}
            )
        if token_needs_otp(user):
            code = (attrs.get("otp") or "").strip()
            if not code:
                raise serializers.ValidationError(
                    {"otp": ["Send the six-digit code from your authenticator app."]}
                )
            result = second_factor_verify(user=user, code=code, recovery=False)
            if not result.ok:
                user_login_failed.send(
                    sender=__name__, credentials={"username": user.get_username()}, request=request
                )
                raise serializers.ValidationError(
                    {
                        "otp": [
                            "Too many wrong codes: wait a few seconds, then send the newest code."
                            if result.wait_until
                            else "That code is not right (log in to ICN once to set up an "
                            "authenticator app if you have not)."
                        ]
                    }
                )
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField(
        help_text="When the token expires if not used again. Each use moves this on "
        "(API_TOKEN_IDLE_MINUTES), never beyond API_TOKEN_HOURS after issue; a partner "
        "system's token lasts PARTNER_TOKEN_DAYS and is not moved on."
    )


class TokenView(APIView):
    """Exchange a username and password (and, when required, a code from the person's
    authenticator) for an API token. django-axes locks out repeated failures. Only a user with
    an active network membership gets a token."""

    icn_scoped = True  # reads nothing but the caller's own account
    # Credentials are in the body: no session (no CSRF check) and no token are looked at.
    authentication_classes = ()
    permission_classes = ()

    @extend_schema(request=TokenSerializer, responses=TokenResponseSerializer)
    def post(self, request, *args, **kwargs):
        serializer = TokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        instance, key = token_issue(user=user, by=user)  # the person signing in
        return Response({"token": key, "expires_at": instance.expiry})


class LogoutView(APIView):
    """Revoke the token this request is authenticated with."""

    icn_scoped = True  # touches nothing but the caller's own token
    authentication_classes = (MemberTokenAuthentication,)
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=None,
        responses={
            status.HTTP_204_NO_CONTENT: OpenApiResponse(description="The token is revoked.")
        },
    )
    def post(self, request, *args, **kwargs):
        token_revoke(token=request.auth, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
