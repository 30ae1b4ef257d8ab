"""Writing the access trail. Only inserts: the table refuses UPDATE and DELETE."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.urls import reverse
from django.utils import timezone

from core.typing import RequestUser, User
from networks.models import Membership
from networks.roles import Role
from networks.selectors import role_in
from notifications.services import Message, deliver

from .models import AccessEvent, BreakGlass

BREAK_GLASS = "break_glass"  # the access trail's `what` for a break-glass (API.md 1.1)


class Seen(NamedTuple):
    """A person shown, as the trail needs them, when only their ids are at hand (a task's or
    a list row's `patient_id` and `network_id`), so no patient row is loaded to record it."""

    pk: int
    network_id: int


class Shown(Protocol):
    """Whom the trail records as seen: a patient, or a `Seen`."""

    @property
    def pk(self) -> Any: ...

    @property
    def network_id(self) -> int: ...


def access_record(
    *,
    user: User,
    patients: Iterable[Shown],
    what: str,
    channel: str,
    outcome: str = AccessEvent.Outcome.ALLOWED,
    path: str = "",
) -> None:
    """One event per person read (a list writes one row per person shown, in one INSERT).

    The rows go in by one INSERT ... SELECT over arrays (what bulk_create would write, with
    `at` set here as auto_now_add does), not through 50 model instances: this runs on every
    list, and building the instances cost more than the rest of the request's Python."""
    rows = [(role_in(user, p.network_id) or "", p.network_id, p.pk) for p in patients]
    if not rows:
        return
    roles, network_ids, patient_ids = (list(column) for column in zip(*rows, strict=True))
    connection = connections[router.db_for_write(AccessEvent)]
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_EVENTS,
            [
                timezone.now(),
                user.pk,
                user.get_username(),
                what,
                channel,
                outcome,
                path[:300],
                roles,
                network_ids,
                patient_ids,
            ],
        )


_INSERT_EVENTS = f"""
INSERT INTO {AccessEvent._meta.db_table} (at, user_id, username, role, network_id, patient_id,
                                          patient_ref, what, channel, outcome, path)
SELECT %s, %s, %s, t.role, t.network_id, t.patient_id, '', %s, %s, %s, %s
FROM unnest(%s::varchar[], %s::bigint[], %s::bigint[]) WITH ORDINALITY
     AS t(role, network_id, patient_id, n)
ORDER BY t.n
"""  # noqa: S608 (the table's name, ours)


def access_refused(
    *,
    user: RequestUser,
    patient_ref: object,
    what: str,
    channel: str,
    outcome: str,
    path: str = "",
    patient: Shown | None = None,
) -> None:
    """A refused look: `denied` (role may not) or `not_found` (not in the user's networks)."""
    AccessEvent.objects.create(
        user_id=user.pk if user.is_authenticated else None,
        username=user.get_username() if user.is_authenticated else "",
        role=(role_in(user, patient.network_id) or "") if patient else "",
        network_id=patient.network_id if patient else None,
        patient_id=patient.pk if patient else None,
        patient_ref=str(patient_ref)[:40],
        what=what,
        channel=channel,
        outcome=outcome,
        path=path[:300],
    )


def network_access_record(
    *, user: User, network_ids: Iterable[int], what: str, channel: str, path: str = ""
) -> None:
    """A look at something that names no one person but is about a network's people (report
    figures, the access trail itself): one event per network, no patient, in one INSERT, so
    each network's trail shows who took it away or read it."""
    AccessEvent.objects.bulk_create(
        [
            AccessEvent(
                user_id=user.pk,
                username=user.get_username(),
                role=role_in(user, network_id) or "",
                network_id=network_id,
                what=what,
                channel=channel,
                outcome=AccessEvent.Outcome.ALLOWED,
                path=path[:300],
            )
            for network_id in network_ids
        ]
    )


def report_export_record(
    *, user: User, network_ids: Iterable[int], what: str, path: str = ""
) -> None:
    """An export of report figures that name no one: one event per network reported on."""
    network_access_record(
        user=user, network_ids=network_ids, what=what, channel="export", path=path
    )


def break_glass_record(
    *,
    by: User,
    patient: Shown,
    reason_code: str,
    reason: str,
    channel: str,
    path: str = "",
    entry_kind: str = "record",
    entry_id: int | None = None,
    entry_author_id: int | None = None,
) -> BreakGlass:
    """Break the glass on one person: the grant (for `BREAK_GLASS_HOURS`) and its line in the
    access trail (`what="break_glass"`), in the caller's transaction. Who may break it, and
    telling the IG lead and the entry's author, are the caller's (a higher floor's) business;
    the reason must be coded and given (a ValidationError names the field otherwise)."""
    problems: dict[str, list[str]] = {}
    if reason_code not in BreakGlass.Reason.values:
        problems["reason_code"] = ["Choose why you need to break the glass."]
    if not (reason or "").strip():
        problems["reason"] = ["Say why you need to see this person's record now."]
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    grant = BreakGlass.objects.create(
        expires_at=now + timedelta(hours=settings.BREAK_GLASS_HOURS),
        user=by,
        role=role_in(by, patient.network_id) or "",
        network_id=patient.network_id,
        patient_id=patient.pk,
        entry_kind=entry_kind,
        entry_id=entry_id,
        entry_author_id=entry_author_id,
        reason_code=reason_code,
        reason=reason.strip(),
    )
    access_record(user=by, patients=[patient], what=BREAK_GLASS, channel=channel, path=path)
    transaction.on_commit(lambda: deliver(break_glass_messages(grant)))
    return grant


def break_glass_messages(grant: BreakGlass) -> list[Message]:
    """Who is told at once: every IG lead of the network, and the restricted entry's author
    (not when they broke it themselves). No name of the person: the message may be e-mailed."""
    by = grant.user.get_username()
    why = grant.get_reason_code_display()
    leads = Membership.objects.filter(
        network_id=grant.network_id, role=Role.IG_LEAD, is_active=True
    ).values_list("user_id", flat=True)
    query = urlencode({"network": grant.network.slug})
    common: dict[str, Any] = {
        "subject_type": "break_glass",
        "subject_id": grant.pk,
        "network_id": grant.network_id,
        "patient_id": grant.patient_id,
    }
    messages = [
        Message(
            recipient_id=lead,
            kind=BREAK_GLASS,
            title=f"{by} broke the glass on a person's record ({why.lower()})",
            body=f"Reason given: {grant.reason}. Review it on the break-glass page.",
            url=f"{reverse('audit:break_glass')}?{query}#bg-{grant.pk}",
            **common,
        )
        for lead in leads
    ]
    if grant.entry_author_id and grant.entry_author_id != grant.user_id:
        messages.append(
            Message(
                recipient_id=grant.entry_author_id,
                kind="break_glass_author",
                title=f"{by} broke the glass to read a restricted entry you wrote",
                body=f"Reason given ({why.lower()}): {grant.reason}.",
                url=reverse("patients:detail", args=[grant.patient_id]),
                **common,
            )
        )
    return messages


def break_glass_review(*, grant: BreakGlass, by: User, outcome: str, note: str = "") -> BreakGlass:
    """The IG lead's review of one break-glass: appropriate, or not (then a note is required)."""
    if outcome not in BreakGlass.Review.values:
        raise ValidationError({"review_outcome": ["Choose whether the access was appropriate."]})
    if outcome == BreakGlass.Review.INAPPROPRIATE and not note.strip():
        raise ValidationError({"review_note": ["Say what will be followed up."]})
    if grant.reviewed_at is not None:
        raise ValidationError({"review_outcome": ["This break-glass has already been reviewed."]})
    grant.reviewed_at = timezone.now()
    grant.reviewed_by = by
    grant.review_outcome = outcome
    grant.review_note = note.strip()
    grant.save(update_fields=["reviewed_at", "reviewed_by", "review_outcome", "review_note"])
    return grant
