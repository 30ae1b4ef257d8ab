"""Task (UK Core Task) from a task about a person (``actions.Action``): what is to be done,
for whom (a member, or a role's queue), by when, and whether it is done. The REST tasks
API's rules: clinical roles read every task of their networks, the PIC only theirs and
their role's queue; so not clinical.

The role that is to do it travels as ``performerType`` (``urn:icn:role``): the queue's
role, or the role of the member named. A task brought in goes to that role's queue (the
members of another network are not members here)."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.task import Task

from actions.models import Action
from actions.selectors import actions_visible_to
from core.typing import User
from networks.models import Membership
from networks.roles import Role

from .. import codes
from ..outcome import FhirError
from ..registry import Context, ImportContext, ResourceType, SearchError, meta, reference, register
from ._common import codes_of, day, person_name, when

STATUS = {"requested": "open", "in-progress": "open", "completed": "done"}


def rows(user: User) -> QuerySet[Action]:
    return actions_visible_to(user).select_related("assignee")


def to_fhir(tasks: Sequence[Action], ctx: Context) -> list[Resource]:
    """One query for the page: the roles of the members named."""
    named = {(t.network_id, t.assignee_id) for t in tasks if t.assignee_id}
    roles = {
        (m.network_id, m.user_id): m.role
        for m in Membership.objects.filter(
            network_id__in={n for n, _ in named}, user_id__in={u for _, u in named}
        ).only("network_id", "user_id", "role")
    }
    return [_task(t, roles.get((t.network_id, t.assignee_id), "")) for t in tasks]


def status_of(task: Action) -> str:
    if task.status == Action.Status.DONE:
        return "completed"
    return "in-progress" if task.claimed_at else "requested"


def _task(task: Action, member_role: str) -> Task:
    if task.assignee is not None:
        owner = {"type": "Practitioner", "display": person_name(task.assignee)}
        role = task.claimed_from_role or member_role
    else:
        owner = {"type": "PractitionerRole", "display": Role(task.assignee_role).label}
        role = task.assignee_role
    modified = max(m for m in (task.created_at, task.claimed_at, task.done_at) if m)
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(task.pk),
        "meta": meta("Task"),
        "identifier": [{"system": codes.icn_identifier("task"), "value": str(task.pk)}],
        "status": status_of(task),
        "intent": "order",
        "description": task.title,
        "for": reference("Patient", task.patient_id),
        "owner": owner,
        "restriction": {"period": {"end": task.due_on.isoformat()}},
        "authoredOn": task.created_at,
        "lastModified": modified,
    }
    if role:
        resource["performerType"] = [
            {"coding": [{"system": codes.ICN_ROLE, "code": role, "display": Role(role).label}]}
        ]
    notes = []
    if task.details:
        notes.append({"text": task.details})
    if task.done_at and task.done_note:
        notes.append({"time": task.done_at, "text": task.done_note})
    if notes:
        resource["note"] = notes
    return Task.model_validate(resource)


def by_status(rows: QuerySet[Action], value: str) -> QuerySet[Action]:
    found = rows.none()
    for status in {s.strip() for s in value.split(",")}:
        if status == "completed":
            found |= rows.filter(status=Action.Status.DONE)
        elif status == "in-progress":
            found |= rows.filter(status=Action.Status.OPEN, claimed_at__isnull=False)
        elif status == "requested":
            found |= rows.filter(status=Action.Status.OPEN, claimed_at__isnull=True)
        else:
            raise SearchError("status is requested, in-progress or completed.")
    return found


def from_fhir(resource: dict[str, Any], ctx: ImportContext) -> Action:
    """The task in ctx.network for ctx.patient, in the queue of the role it names (no
    notification, no reminder)."""
    roles = [
        code
        for concept in resource.get("performerType", [])
        for code in codes_of(concept, codes.ICN_ROLE)
        if code in Role.values
    ]
    if not roles:
        raise FhirError(
            422, (f"Task.performerType names no role ({codes.ICN_ROLE}).", "performerType")
        )
    due = day(((resource.get("restriction") or {}).get("period") or {}).get("end"), "restriction")
    if due is None:
        raise FhirError(
            422, ("Task.restriction.period.end (the due date) is missing.", "restriction")
        )
    status = STATUS.get(resource.get("status", ""), Action.Status.OPEN)
    modified = when(resource.get("lastModified"), "lastModified")
    authored = when(resource.get("authoredOn"), "authoredOn")
    notes = resource.get("note", [])
    details = next((n["text"] for n in notes if "time" not in n and n.get("text")), "")
    done_note = next((n["text"] for n in notes if "time" in n and n.get("text")), "")
    task = Action(
        network=ctx.network,
        patient=ctx.patient,
        title=(resource.get("description") or "Task")[:200],
        details=details[:4000],
        assignee_role=roles[0],
        due_on=due,
        status=status,
        source=Action.Source.MANUAL,
        created_by=ctx.by,
    )
    if status == Action.Status.DONE:
        task.done_at = modified or authored
        task.done_by = ctx.by
        task.done_note = done_note[:2000]
        if task.done_at is None:
            raise FhirError(422, ("A completed Task needs lastModified.", "lastModified"))
    task.save()
    if authored is not None:
        Action.objects.filter(pk=task.pk).update(created_at=authored)
        task.created_at = authored
    return task


TASK = register(
    ResourceType(
        name="Task",
        profile=codes.profile("Task"),
        rows=rows,
        to_fhir=to_fhir,
        clinical=False,
        search={"status": by_status},
        from_fhir=from_fhir,
        order=90,
        description="Tasks about a person, as the REST tasks API shows them to the caller: "
        "what, for whom (a member or a role's queue), due when, done or not.",
    )
)
