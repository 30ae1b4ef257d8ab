"""Writes to networks and memberships. Every service takes `by` (who acts, or None for the
system) and runs inside `core.attribution.acting(by)`, so the row history names them."""

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken

from core import ports, rls
from core.attribution import attributed
from core.errors import Conflict

from .models import Cover, Membership, Network, Organisation
from .selectors import forget_memberships


@attributed
@transaction.atomic
def network_create(*, network: Network, by: User | None) -> Network:
    """Save a new network (`network`: unsaved, from the admin's form or a command) and tell
    the floors above through the `network_created` port (huddles schedules its meetings), in
    this transaction, so that no page has to create anything on a GET."""
    network.full_clean()
    network.save()
    # The new network's rows (its meetings), whoever creates it: the admin is no member yet.
    with rls.network_scope([network.pk]):
        ports.call("network_created", network=network, by=by)
    return network


@transaction.atomic
def membership_add(
    *,
    user: User,
    network: Network,
    by: User | None,
    role: str,
    organisation: Organisation | None = None,
    job_title: str = "",
    care_home: Organisation | None = None,
) -> Membership:
    """`care_home`: for care home staff (only), the one network care home they work in."""
    membership = Membership(
        user=user,
        network=network,
        role=role,
        organisation=organisation,
        job_title=job_title,
        care_home=care_home,
    )
    membership.full_clean(exclude=["user", "network", "organisation"])
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        raise Conflict(f"{user} is already a member of {network}.") from exc
    forget_memberships(user)
    return membership


@attributed
@transaction.atomic
def membership_deactivate(*, membership: Membership, by: User | None) -> Membership:
    """Revokes page and API access to that network at once: every scoped read checks active
    memberships, and the user's API tokens are deleted so partners must re-authenticate."""
    if not membership.is_active:
        return membership
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    AuthToken.objects.filter(user_id=membership.user_id).delete()
    forget_memberships(membership.user)
    return membership


@attributed
@transaction.atomic
def membership_reactivate(*, membership: Membership, by: User | None) -> Membership:
    membership.is_active = True
    membership.deactivated_at = None
    membership.save(update_fields=["is_active", "deactivated_at"])
    forget_memberships(membership.user)
    return membership


# --- cover: a member away and their deputy -----------------------------------------------


@attributed
@transaction.atomic
def cover_set(
    *,
    network: Network,
    member: User,
    deputy: User | None,
    starts_on: date | None,
    ends_on: date | None,
    by: User,
    note: str = "",
) -> Cover:
    """Record that `member` is away from `starts_on` to `ends_on` (inclusive) and `deputy`
    covers: their named tasks show in the deputy's work and their notifications reach the
    deputy too. Periods of one member in one network may not overlap."""
    # Serialise covers for this member: two overlapping requests cannot both pass the check.
    own = (
        Membership.objects.select_for_update()
        .filter(user=member, network=network, is_active=True)
        .first()
    )
    errors: dict[str, list[str]] = {}
    if own is None:
        errors["member"] = ["Only an active member of this network can be covered."]
    if (
        deputy is None
        or not Membership.objects.filter(user=deputy, network=network, is_active=True).exists()
    ):
        errors["deputy"] = ["The deputy must be an active member of this network."]
    elif deputy.pk == member.pk:
        errors["deputy"] = ["Choose someone else to cover for you."]
    today = timezone.localdate()
    if starts_on is None:
        errors["starts_on"] = ["Give the first day away."]
    if ends_on is None:
        errors["ends_on"] = ["Give the last day away."]
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = ["The last day away cannot be before the first."]
        elif ends_on < today:
            errors["ends_on"] = ["The last day away cannot be in the past."]
        elif (ends_on - starts_on).days > 365:
            errors["ends_on"] = ["Cover can be recorded for up to a year at a time."]
    if errors or starts_on is None or ends_on is None:  # a missing day is among the errors
        raise ValidationError(errors)
    clash = Cover.objects.filter(
        network=network, member=member, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).first()
    if clash is not None:
        raise Conflict(
            f"You are already covered by {clash.deputy.get_full_name() or clash.deputy} "
            f"from {clash.starts_on:%d %b} to {clash.ends_on:%d %b %Y}; end that first."
        )
    cover = Cover(
        network=network,
        member=member,
        deputy=deputy,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note.strip(),
        created_by=by,
    )
    cover.full_clean(exclude=["network", "member", "deputy", "created_by"])
    cover.save()
    return cover


@attributed
@transaction.atomic
def cover_end(*, cover: Cover, by: User) -> None:
    """Back early, or never went: a cover not yet started is removed; one under way ends
    yesterday, so from today the member's work is theirs again."""
    cover = Cover.objects.select_for_update().get(pk=cover.pk)
    today = timezone.localdate()
    if cover.starts_on >= today:
        cover.delete()
    elif cover.ends_on >= today:
        cover.ends_on = today - timedelta(days=1)
        cover.save(update_fields=["ends_on"])
