"""CarePlan (UK Core CarePlan): what the MDT agreed for a person (careplans.CarePlan): needs
by domain, interventions with an owner and a due date, a review date.

The needs go out as ``note`` (one Annotation each, "Domain: need"), not ``addresses``: R4's
``addresses`` takes references to Condition resources, and a need such as "Lives alone,
struggling with stairs" is no diagnosis; ``activity.detail.reasonCode`` would tie a need to
one intervention, which ICN does not. Every receiving system shows a plan's notes as text,
so the needs are read as the MDT wrote them, with their domain.
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan
from fhir.resources.R4B.resource import Resource

from careplans.models import CarePlan, CarePlanIntervention, CarePlanNeed, Domain
from careplans.selectors import care_plans_visible_to
from core.typing import User
from networks.roles import Role

from .. import codes
from ..outcome import FhirError
from ..registry import Context, ImportContext, ResourceType, meta, reference, register
from ._common import member_here, practitioner

CATEGORY = "Multidisciplinary care plan"
DOMAIN_BY_LABEL = {str(label): value for value, label in Domain.choices}


def rows(user: User) -> QuerySet[CarePlan]:
    return (
        care_plans_visible_to(user)
        .select_related("updated_by")
        .prefetch_related(
            Prefetch("needs", queryset=CarePlanNeed.objects.order_by("position", "id")),
            Prefetch(
                "interventions",
                queryset=CarePlanIntervention.objects.select_related("owner", "task").order_by(
                    "position", "id"
                ),
            ),
        )
    )


def to_fhir(plans: Sequence[CarePlan], ctx: Context) -> list[Resource]:
    return [_care_plan(plan) for plan in plans]


def _performer(intervention: CarePlanIntervention) -> dict[str, Any] | None:
    if intervention.owner_id:
        return practitioner(intervention.owner)
    if intervention.owner_role:
        return {
            "identifier": {"system": codes.ICN_ROLE, "value": intervention.owner_role},
            "display": Role(intervention.owner_role).label,
        }
    return None


def _activity(intervention: CarePlanIntervention) -> dict[str, Any]:
    done = intervention.task is not None and intervention.task.status == "done"
    detail: dict[str, Any] = {
        "status": "completed" if done else "scheduled",
        "description": intervention.description,
        "scheduledPeriod": {"end": intervention.due_on.isoformat()},
    }
    performer = _performer(intervention)
    if performer:
        detail["performer"] = [performer]
    return {"detail": detail}


def _care_plan(plan: CarePlan) -> FhirCarePlan:
    resource_meta: dict[str, Any] = {**meta("CarePlan"), "versionId": str(plan.version)}
    if plan.updated_at:
        resource_meta["lastUpdated"] = plan.updated_at.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "meta": resource_meta,
        "identifier": [{"system": codes.icn_identifier("care-plan"), "value": str(plan.pk)}],
        "status": "active",
        "intent": "plan",
        "category": [{"text": CATEGORY}],
        "title": "Care plan",
        "subject": reference("Patient", plan.patient_id),
    }
    if plan.review_on:
        resource["period"] = {"end": plan.review_on.isoformat()}
    if plan.updated_by_id:
        resource["author"] = practitioner(plan.updated_by)
    needs = list(plan.needs.all())
    if needs:
        resource["note"] = [
            {"text": f"{need.get_domain_display()}: {need.description}"} for need in needs
        ]
    interventions = list(plan.interventions.all())
    if interventions:
        resource["activity"] = [_activity(i) for i in interventions]
    return FhirCarePlan.model_validate(resource)


def _need(text: str, position: int) -> CarePlanNeed:
    label, sep, description = text.partition(": ")
    domain = DOMAIN_BY_LABEL.get(label) if sep else None
    if domain is None:  # a note from another system: a health need in its own words
        domain, description = Domain.HEALTH, text
    return CarePlanNeed(domain=domain, description=description[:500], position=position)


def _intervention(
    activity: dict[str, Any], position: int, ctx: ImportContext
) -> CarePlanIntervention:
    detail = activity.get("detail") or {}
    description = (detail.get("description") or "").strip()
    due = (detail.get("scheduledPeriod") or {}).get("end") or detail.get("scheduledString")
    if not description or not due:
        raise FhirError(
            422,
            (
                "Each activity of a care plan has a description and a due date "
                "(detail.scheduledPeriod.end).",
                "CarePlan.activity",
            ),
        )
    role, owner = "", None
    for performer in detail.get("performer") or []:
        identifier = performer.get("identifier") or {}
        if identifier.get("system") == codes.ICN_ROLE and identifier.get("value") in Role.values:
            role = identifier["value"]
        owner = owner or member_here(performer, ctx)
    return CarePlanIntervention(
        description=description[:200],
        owner=owner,
        owner_role="" if owner else role,
        due_on=_day(due, "CarePlan.activity.detail.scheduledPeriod.end"),
        position=position,
    )


def from_fhir(resource: dict[str, Any], ctx: ImportContext) -> CarePlan:
    """The person's plan as agreed where it came from: needs, interventions (a role owner is
    kept, and a named owner who is a member here too; another named owner is not, so the
    intervention has none) and the review date. No task is raised."""
    review = (resource.get("period") or {}).get("end")
    version = (resource.get("meta") or {}).get("versionId") or "1"
    plan = CarePlan(
        patient=ctx.patient,
        network=ctx.network,
        review_on=_day(review, "CarePlan.period.end") if review else None,
        version=int(version) if version.isdigit() else 1,
        updated_by=member_here(resource.get("author"), ctx) or ctx.by,
        updated_at=_when((resource.get("meta") or {}).get("lastUpdated")),
    )
    plan.full_clean(exclude=["review_on"])  # a past review date is history, kept as sent
    plan.save()
    needs = [_need(n.get("text", ""), i) for i, n in enumerate(resource.get("note") or [])]
    interventions = [_intervention(a, i, ctx) for i, a in enumerate(resource.get("activity") or [])]
    for need in needs:
        need.plan = plan
        need.full_clean()
    for intervention in interventions:
        intervention.plan = plan
        intervention.full_clean(exclude=["due_on"])  # a past due date is history
    CarePlanNeed.objects.bulk_create(needs)
    CarePlanIntervention.objects.bulk_create(interventions)
    return plan


def _day(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise FhirError(422, (f"ICN needs a whole date, not {value!r}.", where)) from exc


def _when(value: str | None) -> datetime:
    if not value:
        return timezone.now()
    when = datetime.fromisoformat(value)
    return when if timezone.is_aware(when) else timezone.make_aware(when)


CARE_PLAN = register(
    ResourceType(
        name="CarePlan",
        profile=codes.profile("CarePlan"),
        rows=rows,
        to_fhir=to_fhir,
        from_fhir=from_fhir,
        order=80,
        description="What the MDT agreed: needs by domain (as notes), interventions with "
        "their owner and due date (activities), the review date (period.end).",
    )
)
