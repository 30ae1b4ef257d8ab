"""Writes to actions (API: tasks). Each takes `by` and runs inside
`core.attribution.acting(by)`; the status moves only through `actions.models.ACTION`."""

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.attribution import attributed
from core.errors import Conflict, NotAllowed
from core.workdays import add_working_days
from networks.roles import CASEWORK_ROLES, Role
from networks.selectors import membership_in, role_in
from patients.models import Consent, Patient
from webhooks.models import EventType
from webhooks.services import event_record

from .models import ACTION, Action
from .tasks import notify_action_assigned

# The same words whether the username exists elsewhere or not at all: an error must not tell
# a caller which usernames exist.
NO_SUCH_ASSIGNEE = "No member of this person's network who does casework has that username."


DUPLICATE = "An identical open task already exists: same person, title and member or role."


def _check_owner(network_id: int, assignee: User | None, assignee_role: str) -> None:
    """A task is for one member who does casework in the network, or one casework role."""
    errors: dict[str, list[str]] = {}
    if bool(assignee) == bool(assignee_role):
        errors["assignee"] = [
            "Give either a member (assignee) or a role (assignee_role), not both."
        ]
    if assignee is not None:
        membership = membership_in(assignee, network_id)
        if membership is None or membership.role not in CASEWORK_ROLES:
            errors["assignee"] = [NO_SUCH_ASSIGNEE]
    if assignee_role and assignee_role not in CASEWORK_ROLES:
        # A manager, IG lead or partner system does no casework: a task in their queue would
        # show them the person's name and the (often clinical) title.
        errors["assignee_role"] = [
            f"Tasks go to a role that does casework, not {assignee_role!r}."
            if assignee_role in Role.values
            else f"Unknown role {assignee_role!r}."
        ]
    if errors:
        raise ValidationError(errors)


def _refuse_identical(action: Action) -> None:
    """Refuse a second open task with the same person, title and owner (409 naming it).
    Race-safe: the person's row is locked first, so two such writes for one person queue up
    and the second sees the first's task."""
    Patient.objects.select_for_update().filter(pk=action.patient_id).values_list("pk").first()
    existing = (
        Action.objects.filter(
            patient_id=action.patient_id,
            status=Action.Status.OPEN,
            title__iexact=action.title.strip(),
            assignee_id=action.assignee_id,
            assignee_role=action.assignee_role,
        )
        .exclude(pk=action.pk)
        .first()
    )
    if existing is not None:
        raise Conflict(DUPLICATE, field="title", record=existing)


def _notify_owner(action: Action, *, by: User, occurrence: str = "") -> None:
    # robust: with the broker down the task is still saved and the request succeeds quickly;
    # the assignment sweep finds the undelivered notification from the database again.
    transaction.on_commit(
        lambda: notify_action_assigned.delay(
            action_id=action.pk, occurrence=occurrence, by_id=by.pk, network_id=action.network_id
        ),
        robust=True,
    )


@attributed
@transaction.atomic
def action_create(
    *,
    patient: Patient,
    by: User,
    title: str,
    due_on: date,
    assignee: User | None = None,
    assignee_role: str = "",
    details: str = "",
    source: str = Action.Source.MANUAL,
    agenda_item: Any = None,  # a huddles.AgendaItem: a floor above, so not named here
) -> Action:
    """A task about a person. One added by hand that repeats an open task (same person,
    title and owner) is refused with a Conflict naming the task (`record`)."""
    _check_owner(patient.network_id, assignee, assignee_role)
    action = Action(
        network_id=patient.network_id,
        patient=patient,
        title=title,
        details=details,
        assignee=assignee,
        assignee_role=assignee_role,
        due_on=due_on,
        source=source,
        agenda_item=agenda_item,
        created_by=by,
    )
    action.full_clean(exclude=_NOT_CLEANED)
    if source == Action.Source.MANUAL:
        _refuse_identical(action)
    action.save()
    _notify_owner(action, by=by)
    return action


_NOT_CLEANED = ["network", "patient", "assignee", "created_by", "done_by", "agenda_item"]
_UNSET: Any = object()


@attributed
@transaction.atomic
def action_update(
    *,
    action: Action,
    by: User,
    title: str | None = None,
    due_on: date | None = None,
    details: str | None = None,
    assignee: User | None = _UNSET,
    assignee_role: str | None = None,
) -> Action:
    """Edit an open task (title, due date, details) and/or reassign it: to a member who does
    casework in its network, or to a casework role's queue. The new owner is notified; an
    edit that would make it identical to another open task is refused (409)."""
    action = Action.objects.select_for_update().get(pk=action.pk)
    ACTION.check(action, "change")
    fields: list[str] = []
    for name, value in (("title", title), ("due_on", due_on), ("details", details)):
        if value is not None and value != getattr(action, name):
            setattr(action, name, value)
            fields.append(name)
    reassigned = assignee is not _UNSET or assignee_role is not None
    if reassigned:
        new_assignee = None if assignee is _UNSET else assignee
        new_role = assignee_role or ""
        _check_owner(action.network_id, new_assignee, new_role)
        reassigned = (new_assignee.pk if new_assignee else None, new_role) != (
            action.assignee_id,
            action.assignee_role,
        )
        action.assignee, action.assignee_role = new_assignee, new_role
        fields += ["assignee", "assignee_role"]
    if not fields:
        return action
    action.full_clean(exclude=_NOT_CLEANED)
    if {"title", "assignee"} & set(fields):
        _refuse_identical(action)
    action.save(update_fields=fields)
    if reassigned:
        _notify_owner(action, by=by, occurrence=f"reassigned {timezone.now().isoformat()}")
    return action


ALREADY_DONE = "This task is already done."


@attributed
@transaction.atomic
def action_mark_done(*, action: Action, by: User, note: str = "") -> Action:
    """Mark a task done, with an optional note of what was done."""
    action = Action.objects.select_for_update().get(pk=action.pk)
    if not ACTION.allowed(action, "done"):
        raise Conflict(ALREADY_DONE)
    ACTION.apply(action, "done")
    action.done_at = timezone.now()
    action.done_by = by
    action.done_note = note.strip()
    action.full_clean(exclude=_NOT_CLEANED)
    action.save(update_fields=["status", "done_at", "done_by", "done_note"])
    event_record(
        network_id=action.network_id,
        type=EventType.TASK_DONE,
        data={
            "task": f"Task/{action.pk}",
            "status": "completed",
            "patient": f"Patient/{action.patient_id}" if action.patient_id else None,
        },
    )
    return action


@attributed
@transaction.atomic
def action_claim(*, action: Action, by: User) -> Action:
    """Take a task from a role queue: it becomes the claimer's, by name. Two people claiming
    at once: one wins, the other hears who did (409)."""
    # No join in the locking read: after waiting for the lock PostgreSQL re-reads the task
    # row but not a joined user row, so the assignee is fetched afterwards.
    action = Action.objects.select_for_update().get(pk=action.pk)
    if not ACTION.allowed(action, "claim"):
        raise Conflict(ALREADY_DONE)
    if action.assignee is not None:
        who = action.assignee.get_full_name() or action.assignee.get_username()
        raise Conflict(
            "You already have this task."
            if action.assignee_id == by.pk
            else f"{who} has already claimed this task."
        )
    if role_in(by, action.network_id) != action.assignee_role:
        raise NotAllowed(f"Only a {Role(action.assignee_role).label.lower()} can claim this task.")
    action.claimed_from_role = action.assignee_role
    action.assignee = by
    action.assignee_role = ""
    action.claimed_at = timezone.now()
    action.save(update_fields=["assignee", "assignee_role", "claimed_from_role", "claimed_at"])
    return action


# --- consent to share (API.md 1.1 "Referrals"; ports in settings.ICN_PORTS) ---------------

ASK_CONSENT_DAYS = 2  # working days to ask


def ask_consent_title(patient: Patient) -> str:
    return f"Ask {patient.full_name} for consent to share with the voluntary sector"


def _asker(patient: Patient, by: User) -> tuple[User | None, str]:
    """Who asks for consent: whoever raised the flag, if they do casework in the network;
    else the person's key worker; else the chair's queue (a partner system asks nobody)."""
    membership = membership_in(by, patient.network_id)
    if membership is not None and membership.role in CASEWORK_ROLES:
        return by, ""
    key_worker = patient.key_worker
    if key_worker is not None and key_worker.is_active and key_worker.role in CASEWORK_ROLES:
        return key_worker.user, ""
    return None, Role.CHAIR


@attributed
@transaction.atomic
def consent_to_share_needed(*, patient: Patient, by: User, flag: Any) -> Action:
    """The `consent_to_share_needed` port: a red flag for the PIC about a person without
    consent to share raised no referral; the one who raised it gets a task to ask for
    consent. Idempotent: an identical open task (the duplicate rule) is kept, not doubled."""
    assignee, assignee_role = _asker(patient, by)
    action = Action(
        network_id=patient.network_id,
        patient=patient,
        title=ask_consent_title(patient),
        details=(
            f"The red flag \u2018{flag.label}\u2019 is for the PIC (the voluntary sector), who may "
            "be told only with the person's consent to share, or a best-interests decision "
            "naming who took it. Record it on the person's page, then raise the flag again."
        ),
        assignee=assignee,
        assignee_role=assignee_role,
        due_on=add_working_days(timezone.localdate(), ASK_CONSENT_DAYS),
        source=Action.Source.REFERRAL,
        created_by=by,
    )
    try:
        _refuse_identical(action)
    except Conflict as exc:
        assert isinstance(exc.record, Action)
        return exc.record
    action.full_clean(exclude=_NOT_CLEANED)
    action.save()
    _notify_owner(action, by=by)
    return action


def _close(actions: Any, *, by: User, note: str) -> list[Action]:
    return [action_mark_done(action=action, by=by, note=note) for action in actions]


def consent_recorded(*, patient: Patient, was: dict[str, str], by: User) -> list[Action]:
    """The `consent_recorded` port. Consent to share now decided (given, best interests,
    refused) closes the open tasks to ask for it. Consent to share withdrawn (refused) also
    closes the open tasks about the person in the PIC's hands (the `pic` queue, or a member
    who is the network's PIC): the PIC works with the person only on that consent, and a
    task left open would keep showing them the person. Other members' tasks stay: their
    work does not rest on sharing with the voluntary sector. Returns the tasks closed."""
    now, before = patient.consent_sharing, was["consent_sharing"]
    if now == before or now == Consent.NOT_ASKED:
        return []
    open_tasks = Action.objects.filter(patient=patient, status=Action.Status.OPEN)
    closed = _close(
        open_tasks.filter(title__iexact=ask_consent_title(patient)),
        by=by,
        note=f"Consent to share recorded: {patient.get_consent_sharing_display().lower()}.",
    )
    if now == Consent.REFUSED:
        pic = Q(assignee_role=Role.PIC) | Q(
            assignee__memberships__network_id=patient.network_id,
            assignee__memberships__role=Role.PIC,
        )
        name = by.get_full_name() or by.get_username()
        closed += _close(
            open_tasks.filter(pic).distinct(),
            by=by,
            note=f"Cancelled: consent to share withdrawn on "
            f"{timezone.localdate():%-d %b %Y} by {name}.",
        )
    return closed
