"""Writes to care plans. `care_plan_save` replaces a plan's needs and interventions in one
transaction, bumps its version (a stale version is a 409 showing the other one), and keeps
each intervention's task (actions.Action, through actions' services) in step with it."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from actions.models import Action
from actions.services import action_create, action_mark_done, action_update
from core.attribution import attributed
from core.errors import Conflict
from core.validators import single_line
from networks.roles import CASEWORK_ROLES, Role
from networks.selectors import membership_in
from patients.models import Patient

from .models import CarePlan, CarePlanIntervention, CarePlanNeed, Domain

NO_SUCH_OWNER = "No member of this person's network who does casework has that username."
REVIEW_REQUIRED = "Give the date the plan will be reviewed."
REVIEW_PAST = "The review date cannot be in the past."
DUE_PAST = "the due date cannot be in the past."
NOT_IN_PLAN = "this intervention is not in the plan (reload it)."


class CarePlanConflict(Conflict):
    """A stale save: carries the plan as it is now, so the editor can see the other version."""

    def __init__(self, plan: CarePlan | None) -> None:
        version = plan.version if plan else 0
        super().__init__(
            f"Someone else saved version {version} of this care plan since you opened it.",
            field="version",
        )
        self.plan = plan


@dataclass
class _Row:
    description: str
    owner: User | None
    owner_role: str
    due_on: Any
    position: int
    matched: CarePlanIntervention | None = None
    changed: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    return str(value or "").strip()


def _owner_problem(patient: Patient, owner: User | None, role: str) -> str | None:
    if owner is not None and role:
        return "give either a member (owner) or a role (owner_role), not both."
    if owner is not None:
        membership = membership_in(owner, patient.network_id)
        if membership is None or membership.role not in CASEWORK_ROLES:
            return NO_SUCH_OWNER[0].lower() + NO_SUCH_OWNER[1:]
    if role and role not in CASEWORK_ROLES:
        if role in Role.values:
            return f"tasks go to a role that does casework, not {role!r}."
        return f"unknown role {role!r}."
    return None


def _clean_needs(rows: list[dict[str, Any]], errors: list[str]) -> list[CarePlanNeed]:
    needs = []
    for n, row in enumerate(rows, start=1):
        domain, description = _text(row.get("domain")), _text(row.get("description"))
        if domain not in Domain.values:
            errors.append(f"Need {n}: unknown domain {domain!r} (one of {', '.join(Domain)}).")
        if not description:
            errors.append(f"Need {n}: say what the need is.")
        elif len(description) > 500:
            errors.append(f"Need {n}: keep it under 500 characters.")
        needs.append(CarePlanNeed(domain=domain, description=description, position=n))
    return needs


def _clean_interventions(
    patient: Patient,
    rows: list[dict[str, Any]],
    existing: dict[int, CarePlanIntervention],
    errors: list[str],
) -> list[_Row]:
    today = timezone.localdate()
    cleaned: list[_Row] = []
    unmatched = dict(existing)
    for n, row in enumerate(rows, start=1):
        description = _text(row.get("description"))
        owner, role, due_on = row.get("owner"), _text(row.get("owner_role")), row.get("due_on")
        item = _Row(description, owner, role, due_on, n)
        if not description:
            errors.append(f"Intervention {n}: say what will be done.")
        elif len(description) > 200:
            errors.append(f"Intervention {n}: keep it under 200 characters.")
        else:
            try:
                single_line(description)
            except ValidationError:
                errors.append(f"Intervention {n}: keep it to one line.")
        problem = _owner_problem(patient, owner, role)
        if problem:
            errors.append(f"Intervention {n}: {problem}")
        # Matched by its id when sent, else by the same wording and owner: re-saving a plan
        # read without ids changes nothing.
        pk = row.get("id")
        if pk is not None:
            item.matched = unmatched.pop(int(pk), None)
            if item.matched is None:
                errors.append(f"Intervention {n}: {NOT_IN_PLAN}")
        else:
            for candidate in unmatched.values():
                if (candidate.description, candidate.owner_id, candidate.owner_role) == (
                    description,
                    owner.pk if owner else None,
                    role,
                ):
                    item.matched = unmatched.pop(candidate.pk)
                    break
        old = item.matched
        if old is not None:
            item.changed = [
                name
                for name, new, was in (
                    ("description", description, old.description),
                    ("owner", owner.pk if owner else None, old.owner_id),
                    ("owner_role", role, old.owner_role),
                    ("due_on", due_on, old.due_on),
                    ("position", n, old.position),
                )
                if new != was
            ]
        if not isinstance(due_on, date):
            errors.append(f"Intervention {n}: give the due date.")
        elif due_on < today and (old is None or "due_on" in item.changed):
            errors.append(f"Intervention {n}: {DUE_PAST}")
        cleaned.append(item)
    return cleaned


def _sync_task(
    intervention: CarePlanIntervention, row: _Row, *, patient: Patient, by: User, plan: CarePlan
) -> None:
    """An owned intervention is worked as one task: created once, edited with it, closed with
    a note when it loses its owner. A task already done is left as it is."""
    task = intervention.task
    owned = row.owner is not None or bool(row.owner_role)
    if task is None or task.status != Action.Status.OPEN:
        if task is None and owned:
            intervention.task = action_create(
                patient=patient,
                by=by,
                title=row.description,
                due_on=row.due_on,
                assignee=row.owner,
                assignee_role=row.owner_role,
                details=f"From {patient.given_name}'s care plan (version {plan.version}).",
                source=Action.Source.CARE_PLAN,
            )
        return
    if not owned:
        _close(task, by=by, note=f"No longer owned in the care plan (version {plan.version}).")
        intervention.task = None
        return
    if set(row.changed) - {"position"}:
        kwargs: dict[str, Any] = {"title": row.description, "due_on": row.due_on}
        if {"owner", "owner_role"} & set(row.changed):
            kwargs.update(assignee=row.owner, assignee_role=row.owner_role)
        action_update(action=task, by=by, **kwargs)


def _close(task: Action, *, by: User, note: str) -> None:
    action_mark_done(action=task, by=by, note=note)


@attributed
@transaction.atomic
def care_plan_save(*, by: User, patient: Patient, data: dict[str, Any], version: int) -> CarePlan:
    """Replace the person's care plan with `data` ({"needs": [{"domain", "description"}],
    "interventions": [{"id"?, "description", "owner" (a User) | "owner_role", "due_on"}],
    "review_on"}), if `version` is the one stored (0: none yet), else CarePlanConflict.
    Bad input: ValidationError naming each bad row, and nothing saved."""
    # The person's row is locked first, so two first saves of a plan queue up too.
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk").first()
    plan = CarePlan.objects.select_for_update().filter(patient=patient).first()
    if version != (plan.version if plan else 0):
        raise CarePlanConflict(plan)
    existing = (
        {i.pk: i for i in plan.interventions.select_related("task")} if plan is not None else {}
    )
    errors: dict[str, list[str]] = {}
    needs = _clean_needs(list(data.get("needs") or []), errors.setdefault("needs", []))
    rows = _clean_interventions(
        patient,
        list(data.get("interventions") or []),
        existing,
        errors.setdefault("interventions", []),
    )
    review_on = data.get("review_on")
    if (needs or rows) and review_on is None:
        errors["review_on"] = [REVIEW_REQUIRED]
    elif (
        review_on is not None
        and review_on < timezone.localdate()
        and (plan is None or review_on != plan.review_on)
    ):
        errors["review_on"] = [REVIEW_PAST]
    errors = {name: messages for name, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)

    if plan is None:
        plan = CarePlan(patient=patient, network_id=patient.network_id)
    plan.review_on = review_on
    plan.version += 1
    plan.updated_by = by
    plan.updated_at = timezone.now()
    plan.full_clean(exclude=["patient", "network", "updated_by"])
    plan.save()

    plan.needs.all().delete()
    for need in needs:
        need.plan = plan
    CarePlanNeed.objects.bulk_create(needs)

    kept = {row.matched.pk for row in rows if row.matched is not None}
    for gone in existing.values():
        if gone.pk in kept:
            continue
        if gone.task is not None and gone.task.status == Action.Status.OPEN:
            _close(gone.task, by=by, note=f"Removed from the care plan (version {plan.version}).")
        gone.delete()
    for row in rows:
        intervention = row.matched or CarePlanIntervention(plan=plan)
        if row.matched is not None and not row.changed:
            continue  # unchanged: neither it nor its task is touched
        intervention.description = row.description
        intervention.owner = row.owner
        intervention.owner_role = row.owner_role
        intervention.due_on = row.due_on
        intervention.position = row.position
        _sync_task(intervention, row, patient=patient, by=by, plan=plan)
        intervention.full_clean(exclude=["plan", "owner", "task"])
        intervention.save()
    return plan
