"""The daily digest of unusual access, for the network's information governance lead(s).

For one day (yesterday, London time): members who opened more than
`ICN_UNUSUAL_ACCESS_PER_DAY` distinct people's records in a network, or were refused more
than `ICN_UNUSUAL_REFUSALS_PER_DAY` times, each told to the network's IG leads as one
notification linking to the trail filtered to that member and day. The notification's
unique key (kind, member, lead, day and network) makes a second run send nothing."""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from networks.models import Membership, Network
from networks.roles import Role
from notifications.services import Message, deliver

from .models import AccessEvent

KIND = "unusual_access"


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def unusual_access(day: datetime.date) -> dict[tuple[int, int], dict]:
    """{(network id, user id): {"username", "opened", "refused"}} of members over a limit."""
    opened_limit = settings.ICN_UNUSUAL_ACCESS_PER_DAY
    refused_limit = settings.ICN_UNUSUAL_REFUSALS_PER_DAY
    events = AccessEvent.objects.filter(
        at__gte=_start_of(day),
        at__lt=_start_of(day + datetime.timedelta(days=1)),
        user_id__isnull=False,
    ).order_by()
    opened = {
        (row["network_id"], row["user_id"]): (row["username"], row["n"])
        for row in events.filter(
            outcome=AccessEvent.Outcome.ALLOWED,
            patient_id__isnull=False,
            network_id__isnull=False,
        )
        .values("network_id", "user_id", "username")
        .annotate(n=Count("patient_id", distinct=True))
    }
    refused_in: dict[tuple[int, int], int] = {}
    refused_nowhere: dict[int, int] = {}  # not_found: an id outside all their networks
    usernames: dict[int, str] = {}
    for row in (
        events.exclude(outcome=AccessEvent.Outcome.ALLOWED)
        .values("network_id", "user_id", "username")
        .annotate(n=Count("id"))
    ):
        usernames[row["user_id"]] = row["username"]
        if row["network_id"] is None:
            refused_nowhere[row["user_id"]] = refused_nowhere.get(row["user_id"], 0) + row["n"]
        else:
            key = (row["network_id"], row["user_id"])
            refused_in[key] = refused_in.get(key, 0) + row["n"]
    # A refusal that matched no one counts in every network the member belongs to.
    for network_id, user_id in Membership.objects.filter(
        user_id__in=list(refused_nowhere), is_active=True
    ).values_list("network_id", "user_id"):
        key = (network_id, user_id)
        refused_in[key] = refused_in.get(key, 0) + refused_nowhere[user_id]
    found: dict[tuple[int, int], dict] = {}
    for key in set(opened) | set(refused_in):
        username, n_opened = opened.get(key, (usernames.get(key[1], ""), 0))
        n_refused = refused_in.get(key, 0)
        if n_opened > opened_limit or n_refused > refused_limit:
            found[key] = {"username": username, "opened": n_opened, "refused": n_refused}
    return found


def _title(username: str, day: datetime.date, opened: int, refused: int) -> str:
    parts = []
    if opened > settings.ICN_UNUSUAL_ACCESS_PER_DAY:
        parts.append(f"opened {opened} people's records")
    if refused > settings.ICN_UNUSUAL_REFUSALS_PER_DAY:
        parts.append(f"was refused {refused} times")
    return f"Unusual access on {day:%-d %b %Y}: {username} {' and '.join(parts)}"


def unusual_access_messages(day: datetime.date) -> list[Message]:
    found = unusual_access(day)
    if not found:
        return []
    network_ids = {network_id for network_id, _ in found}
    leads: dict[int, list[int]] = {}
    for network_id, user_id in Membership.objects.filter(
        network_id__in=network_ids, role=Role.IG_LEAD, is_active=True
    ).values_list("network_id", "user_id"):
        leads.setdefault(network_id, []).append(user_id)
    slugs = dict(Network.objects.filter(id__in=network_ids).values_list("id", "slug"))
    messages = []
    for (network_id, user_id), seen in sorted(found.items()):
        query = urlencode(
            {
                "network": slugs[network_id],
                "user": seen["username"],
                "date_from": day.isoformat(),
                "date_to": day.isoformat(),
            }
        )
        for lead in leads.get(network_id, []):
            messages.append(
                Message(
                    recipient_id=lead,
                    kind=KIND,
                    title=_title(seen["username"], day, seen["opened"], seen["refused"]),
                    subject_type="user",
                    subject_id=user_id,
                    occurrence=f"{day.isoformat()}:{network_id}",
                    body=f"{seen['opened']} people's records opened, {seen['refused']} "
                    "refused looks. Check the trail for a legitimate reason.",
                    url=f"{reverse('audit:log')}?{query}",
                    network_id=network_id,
                )
            )
    return messages


def unusual_access_notify(*, day: datetime.date) -> int:
    """Tell the IG leads of the day's unusual access (nothing twice, however often run)."""
    return deliver(unusual_access_messages(day))
