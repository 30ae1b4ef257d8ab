"""Kept apart from icn.core.api: DRF imports authentication classes while rest_framework.views
is still loading."""

from rest_framework.authentication import TokenAuthentication


class MemberTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`. Tokens are deleted when a membership is deactivated, and
    every read is scoped to active memberships, so a deactivated member sees nothing."""
