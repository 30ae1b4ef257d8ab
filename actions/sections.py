"""The person page's "Open tasks" section (called through the ``person_page_sections`` port:
patients is on a floor below actions)."""

from typing import Any

from .models import Action
from .selectors import actions_for_me

OPEN_TASKS_SHOWN = 20


def patient_actions_context(user: Any, patient: Any) -> dict[str, Any]:
    """Open tasks about the person. Task titles can be clinical, so roles that may not see
    clinical details (the PIC) see only the tasks that are theirs or their role's."""
    actions = Action.objects.filter(patient=patient, status=Action.Status.OPEN).select_related(
        "assignee"
    )
    if not user.has_perm("patients.view_clinical", patient):
        actions = actions.filter(actions_for_me(user))
    return {"open_actions": actions[:OPEN_TASKS_SHOWN]}
