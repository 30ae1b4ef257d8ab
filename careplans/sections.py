"""The person page's "Care plan" section (through the ``person_page_sections`` port: patients
is on a floor below care plans), and the plan as pages show it (also in meeting mode)."""

from typing import Any

from actions.models import Action

from .models import Domain
from .selectors import care_plan_for, reads_whole_plan


def shown_plan(user: Any, patient: Any) -> Any:
    """The plan as `user` may read it, with its needs grouped by domain (`by_domain`), or
    None. Three queries, whatever its size."""
    plan = care_plan_for(user, patient)
    if plan is not None:
        grouped: dict[str, list] = {}
        for need in plan.shown_needs:
            grouped.setdefault(need.domain, []).append(need)
        plan.by_domain = [
            (label, grouped[code]) for code, label in Domain.choices if code in grouped
        ]
    return plan


def patient_care_plan_context(user: Any, patient: Any) -> dict[str, Any]:
    """The section, and its headline for the page's summary: the review date, how many
    needs and how many interventions are still open (no task yet, or its task open), of
    those the user may read."""
    plan = shown_plan(user, patient)
    if plan is not None:
        plan.open_interventions = sum(
            1
            for i in plan.shown_interventions
            if i.task is None or i.task.status == Action.Status.OPEN
        )
    return {
        "care_plan_section": True,
        "care_plan": plan,
        "care_plan_whole": reads_whole_plan(user, patient),
        "care_plan_editable": user.has_perm("careplans.change_care_plan", patient),
    }
