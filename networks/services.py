"""Writes to networks and memberships."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from icn.core.errors import Conflict

from .models import Membership, Network, Organisation
from .selectors import forget_memberships

User = get_user_model()


@transaction.atomic
def membership_add(
    *,
    user,
    network: Network,
    role: str,
    organisation: Organisation | None = None,
    job_title: str = "",
) -> Membership:
    membership = Membership(
        user=user, network=network, role=role, organisation=organisation, job_title=job_title
    )
    membership.full_clean(exclude=["user", "network", "organisation"])
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        raise Conflict(f"{user} is already a member of {network}.") from exc
    forget_memberships(user)
    return membership


@transaction.atomic
def membership_deactivate(*, membership: Membership, by=None) -> Membership:
    """Revokes page and API access to that network at once: every scoped read checks active
    memberships, and the user's API tokens are deleted so partners must re-authenticate."""
    if not membership.is_active:
        return membership
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    Token.objects.filter(user_id=membership.user_id).delete()
    forget_memberships(membership.user)
    return membership


@transaction.atomic
def membership_reactivate(*, membership: Membership, by=None) -> Membership:
    membership.is_active = True
    membership.deactivated_at = None
    membership.save(update_fields=["is_active", "deactivated_at"])
    forget_memberships(membership.user)
    return membership
