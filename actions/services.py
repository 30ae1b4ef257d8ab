"""Writes to actions (API: tasks). Each takes `by` and runs inside
`core.attribution.acting(by)`; the status moves only through `actions.models.ACTION`."""

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.attribution import attributed
from core.errors import Conflict, NotAllowed
from networks.roles import CASEWORK_ROLES, Role
from networks.selectors import membership_in, role_in
from patients.models import Patient

from .models import ACTION, Action
from .tasks import notify_action_assigned

# The same words whether the username exists elsewhere or not at all: an error must not tell
# a caller which usernames exist.
NO_SUCH_ASSIGNEE = "No member of this person's network who does casework has that username."


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
    errors: dict[str, list[str]] = {}
    if bool(assignee) == bool(assignee_role):
        errors["assignee"] = [
            "Give either a member (assignee) or a role (assignee_role), not both."
        ]
    if assignee is not None:
        membership = membership_in(assignee, patient.network_id)
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
    action.full_clean(
        exclude=["network", "patient", "assignee", "created_by", "done_by", "agenda_item"]
    )
    action.save()
    # robust: with the broker down the task is still saved and the request succeeds quickly;
    # the assignment sweep finds the undelivered notification from the database again.
    transaction.on_commit(lambda: notify_action_assigned.delay(action_id=action.pk), robust=True)
    return action


ALREADY_DONE = "This task is already done."


@attributed
@transaction.atomic
def action_mark_done(*, action: Action, by: User) -> Action:
    action = Action.objects.select_for_update().get(pk=action.pk)
    if not ACTION.allowed(action, "done"):
        raise Conflict(ALREADY_DONE)
    ACTION.apply(action, "done")
    action.done_at = timezone.now()
    action.done_by = by
    action.save(update_fields=["status", "done_at", "done_by"])
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
