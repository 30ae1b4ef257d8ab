"""Writes to actions (API: tasks)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from icn.core.errors import Conflict
from networks.roles import Role
from networks.selectors import membership_in

from .models import Action


@transaction.atomic
def action_create(
    *,
    patient,
    by,
    title: str,
    due_on: date,
    assignee=None,
    assignee_role: str = "",
    details: str = "",
    source: str = Action.Source.MANUAL,
    agenda_item=None,
) -> Action:
    errors: dict[str, list[str]] = {}
    if bool(assignee) == bool(assignee_role):
        errors["assignee"] = [
            "Give either a member (assignee) or a role (assignee_role), not both."
        ]
    if assignee is not None and membership_in(assignee, patient.network_id) is None:
        errors["assignee"] = ["The assignee must be an active member of this person's network."]
    if assignee_role and assignee_role not in Role.values:
        errors["assignee_role"] = [f"Unknown role {assignee_role!r}."]
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
    if assignee is not None and assignee.pk != by.pk:
        from notifications.tasks import notify_action_assigned

        # robust: with the broker down the task is still saved and the request succeeds; the
        # reminder sweeps (issue #6) find undelivered work from the database again.
        transaction.on_commit(
            lambda: notify_action_assigned.delay(action_id=action.pk), robust=True
        )
    return action


@transaction.atomic
def action_mark_done(*, action: Action, by) -> Action:
    action = Action.objects.select_for_update().get(pk=action.pk)
    if action.status == Action.Status.DONE:
        raise Conflict("This task is already done.")
    action.status = Action.Status.DONE
    action.done_at = timezone.now()
    action.done_by = by
    action.save(update_fields=["status", "done_at", "done_by"])
    return action
