"""Reads of care plans, scoped to who asks. The person is opened first (patients.access), so
these only narrow what of the plan a role reads: a personal independence coordinator (no
clinical details) reads the social and what-matters needs, and only the interventions that
are theirs or their role's (an intervention's wording is often clinical)."""

from typing import Any

from django.db.models import Q, QuerySet

from networks.roles import CLINICAL_ROLES
from networks.selectors import network_ids_where, role_in

from .models import SOCIAL_DOMAINS, CarePlan, CarePlanIntervention, CarePlanNeed


def reads_whole_plan(user: Any, patient: Any) -> bool:
    return bool(user.has_perm("patients.view_clinical", patient))


def care_plan_for(user: Any, patient: Any) -> CarePlan | None:
    """The person's plan as `user` may read it (three queries, whatever its size), with
    `shown_needs` and `shown_interventions` (owner and task read with them); None if the
    person has none yet. The needs and interventions are read by the person, not by the
    plan's id: three queries with or without a plan (a prefetch is skipped when there is
    none, so the count would grow with the rows)."""
    needs = CarePlanNeed.objects.filter(plan__patient=patient)
    interventions = CarePlanIntervention.objects.filter(plan__patient=patient).select_related(
        "owner", "task"
    )
    if not reads_whole_plan(user, patient):
        needs = needs.filter(domain__in=SOCIAL_DOMAINS)
        # Theirs or their role's (the PIC's queue); care home staff own none.
        role = role_in(user, patient.network_id)
        interventions = interventions.filter(Q(owner=user) | Q(owner_role=role))
    plan = CarePlan.objects.filter(patient=patient).select_related("updated_by").first()
    shown_needs, shown_interventions = list(needs), list(interventions)
    if plan is not None:
        plan.shown_needs = shown_needs  # type: ignore[attr-defined]
        plan.shown_interventions = shown_interventions  # type: ignore[attr-defined]
    return plan


def empty_plan(patient: Any) -> CarePlan:
    """What a person without a plan reads: version 0, nothing agreed (not saved)."""
    plan = CarePlan(patient=patient, network_id=patient.network_id, version=0)
    plan.shown_needs = []  # type: ignore[attr-defined]
    plan.shown_interventions = []  # type: ignore[attr-defined]
    return plan


def care_plans_visible_to(user: Any) -> QuerySet[CarePlan]:
    """Whole plans, for clinical roles in the user's networks (the FHIR CarePlan: the PIC
    reads a plan's social parts through the person's page, not these)."""
    return CarePlan.objects.filter(network_id__in=network_ids_where(user, CLINICAL_ROLES))
