"""Kept apart from core.api: DRF imports authentication classes while rest_framework.views
is still loading."""

from typing import Any

from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.settings import knox_settings


class MemberTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` (django-rest-knox: only a hash of the key is stored).

    A token expires API_TOKEN_IDLE_MINUTES after its last use and never later than
    API_TOKEN_HOURS after issue; a partner system's token (issued with a longer life) is not
    moved on. Tokens are deleted when a membership is deactivated or the password changes,
    and every read is scoped to active memberships, so a deactivated member sees nothing."""

    def renew_token(self, auth_token: Any) -> None:  # a knox AuthToken (knox is untyped)
        max_ttl = knox_settings.AUTO_REFRESH_MAX_TTL
        if max_ttl is not None and auth_token.expiry > auth_token.created + max_ttl:
            return  # a long-lived (partner) token: its expiry is fixed at issue
        super().renew_token(auth_token)

    def _cleanup_token(self, auth_token: Any) -> bool:
        """Only the presented token (knox also reads and prunes every other token of the user
        on each request: one query more on every API call). Expired tokens of the account are
        pruned when it is issued a new one (accounts.services.token_issue)."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
