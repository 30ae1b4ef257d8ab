"""Example rows for the FHIR types from visits, medicines and care plans (Encounter,
Observation, MedicationStatement, CarePlan): used by world.py's MAKERS and their tests."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from careplans.models import CarePlan, CarePlanIntervention, CarePlanNeed
from medicines.models import Medication, Visit

LONDON = ZoneInfo("Europe/London")


def fhir_time(when):
    """A datetime as fhir.resources writes it (UTC, "Z")."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def make_visit(patient, visitor, **fields):
    """A home visit with every observation measured (NEWS2 computed as the service does)."""
    values = {
        "kind": "home",
        "visited_at": datetime(2026, 3, 2, 10, 30, tzinfo=LONDON),
        "summary": "Reviewed medicines; stopped the ibuprofen.",
        "systolic_bp": 128,
        "diastolic_bp": 82,
        "pulse": 96,
        "respiratory_rate": 22,
        "temperature_c": Decimal("37.9"),
        "spo2": 94,
        "consciousness": "alert",
        **fields,
    }
    visit = Visit(network_id=patient.network_id, patient=patient, visitor=visitor, **values)
    result = visit.news2()
    visit.news2_score = result.score if result.measured else None
    visit.news2_complete = result.complete
    visit.save()
    return visit


def make_medication(patient, by, **fields):
    values = {
        "name": "Amlodipine 5mg tablets",
        "dmd_code": "319283006",
        "strength": "5 mg",
        "dose_amount": Decimal("1"),
        "dose_unit": "tablet",
        "frequency": "once_daily",
        "route": "oral",
        "started_on": date(2025, 6, 1),
        "prescriber": "Dr A Shah",
        **fields,
    }
    return Medication.objects.create(patient=patient, created_by=by, **values)


def make_care_plan(patient, by, *, owner=None):
    plan = CarePlan.objects.create(
        patient=patient,
        network_id=patient.network_id,
        review_on=date(2026, 9, 1),
        version=3,
        updated_by=by,
        updated_at=datetime(2026, 3, 1, 9, 0, tzinfo=LONDON),
    )
    CarePlanNeed.objects.create(plan=plan, domain="home", description="Struggles with stairs")
    CarePlanNeed.objects.create(
        plan=plan, domain="what_matters", description="Wants to stay at home", position=1
    )
    CarePlanIntervention.objects.create(
        plan=plan,
        description="Stair rail fitted",
        owner_role="occupational_therapist",
        due_on=date(2026, 4, 15),
    )
    if owner is not None:
        CarePlanIntervention.objects.create(
            plan=plan,
            description="Medicines review",
            owner=owner,
            due_on=date(2026, 5, 1),
            position=1,
        )
    return plan


# --- the round trip: to_fhir, from_fhir into a second network, to_fhir again ------------------


def as_json(resources):
    from interop.rendering import as_json as one

    return [one(r) for r in resources]


def export(kind, user, **filters):
    """Every resource of `kind` the user reads for these rows (to_fhir, as a search does)."""
    from interop.registry import REGISTRY, Context

    rt = REGISTRY[kind]
    rows = list(rt.rows(user).filter(**filters).order_by("pk"))
    return as_json(rt.to_fhir(rows, Context(user=user, base="https://icn.test/fhir/R4")))


def bring_in(resources, *, network, by, patient=None):
    """Each resource through its type's from_fhir, in order, into `network` for a new person
    (or `patient`); returns the ImportContext (its refs name the rows made)."""
    from interop.registry import REGISTRY, ImportContext
    from tests.factories import PatientFactory

    ctx = ImportContext(network=network, by=by, patient=patient or PatientFactory(network=network))
    for resource in resources:
        kind = resource["resourceType"]
        row = REGISTRY[kind].from_fhir(resource, ctx)
        ctx.refs[f"{kind}/{resource['id']}"] = row
    return ctx


def comparable(value, top=True):
    """A resource without what a round trip changes: its id, references and ICN identifiers."""
    if isinstance(value, list):
        return [comparable(v, False) for v in value]
    if not isinstance(value, dict):
        return value
    found = {}
    for key, item in value.items():
        if (top and key == "id") or key == "reference":
            continue
        if key == "identifier" and isinstance(item, list):
            item = [i for i in item if not i.get("system", "").startswith("urn:icn:")] or None
            if item is None:
                continue
        found[key] = comparable(item, False)
    return found


def query_count(get):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        status, body = get()
    assert status == 200, body
    return len(captured.captured_queries), body
