"""careplans.services.care_plan_save: versions, validation with nothing saved, the tasks its
interventions become (created once, edited with them, closed when removed), row history."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from actions.models import Action
from careplans.models import CarePlan, CarePlanIntervention, CarePlanNeed
from careplans.services import CarePlanConflict, care_plan_save

pytestmark = pytest.mark.django_db


def soon(days=7):
    return timezone.localdate() + datetime.timedelta(days=days)


def body(*interventions, needs=None, review_on=None):
    return {
        "needs": needs if needs is not None else [{"domain": "home", "description": "Stairs"}],
        "interventions": list(interventions),
        "review_on": review_on or soon(28),
    }


def plan_tasks(patient):
    return list(Action.objects.filter(patient=patient).order_by("id"))


def test_first_save_creates_version_1_and_one_task_per_owned_intervention(patient, member):
    chair, pharmacist = member("chair"), member("pharmacist")
    plan = care_plan_save(
        by=chair,
        patient=patient,
        version=0,
        data=body(
            {"description": "Review medicines", "owner": pharmacist, "due_on": soon()},
            {"description": "Grab rail", "owner_role": "occupational_therapist", "due_on": soon()},
            {"description": "Family to visit weekly", "due_on": soon()},
        ),
    )
    assert plan.version == 1 and plan.updated_by == chair
    tasks = plan_tasks(patient)
    assert [(t.title, t.assignee, t.assignee_role, t.source) for t in tasks] == [
        ("Review medicines", pharmacist, "", "care_plan"),
        ("Grab rail", None, "occupational_therapist", "care_plan"),
    ]
    linked = {i.description: i.task_id for i in CarePlanIntervention.objects.all()}
    assert linked == {
        "Review medicines": tasks[0].pk,
        "Grab rail": tasks[1].pk,
        "Family to visit weekly": None,
    }


def test_resaving_the_same_plan_makes_no_duplicate_tasks_and_leaves_them_alone(patient, member):
    chair, pharmacist = member("chair"), member("pharmacist")
    row = {"description": "Review medicines", "owner": pharmacist, "due_on": soon()}
    care_plan_save(by=chair, patient=patient, version=0, data=body(row))
    task = Action.objects.get(patient=patient)
    events = task.pgh_event_model.objects.filter(pgh_obj_id=task.pk).count()
    plan = care_plan_save(by=chair, patient=patient, version=1, data=body(dict(row)))
    assert plan.version == 2
    assert Action.objects.filter(patient=patient).count() == 1
    assert task.pgh_event_model.objects.filter(pgh_obj_id=task.pk).count() == events


def test_an_edited_intervention_updates_its_task(patient, member):
    chair, pharmacist, gp = member("chair"), member("pharmacist"), member("gp")
    care_plan_save(
        by=chair,
        patient=patient,
        version=0,
        data=body({"description": "Review medicines", "owner": pharmacist, "due_on": soon()}),
    )
    intervention = CarePlanIntervention.objects.get()
    care_plan_save(
        by=chair,
        patient=patient,
        version=1,
        data=body(
            {
                "id": intervention.pk,
                "description": "Review blood pressure medicines",
                "owner": gp,
                "due_on": soon(3),
            }
        ),
    )
    (task,) = plan_tasks(patient)
    assert (task.title, task.assignee, task.due_on, task.status) == (
        "Review blood pressure medicines",
        gp,
        soon(3),
        "open",
    )


def test_a_removed_intervention_closes_its_open_task_with_a_note(patient, member):
    chair, pharmacist = member("chair"), member("pharmacist")
    care_plan_save(
        by=chair,
        patient=patient,
        version=0,
        data=body({"description": "Review medicines", "owner": pharmacist, "due_on": soon()}),
    )
    care_plan_save(by=chair, patient=patient, version=1, data=body())
    (task,) = plan_tasks(patient)
    assert task.status == "done"
    assert "Removed from the care plan (version 2)" in task.done_note
    assert not CarePlanIntervention.objects.exists()


def test_a_stale_version_is_a_conflict_carrying_the_current_plan(patient, member):
    chair = member("chair")
    care_plan_save(by=chair, patient=patient, version=0, data=body())
    care_plan_save(by=chair, patient=patient, version=1, data=body())
    with pytest.raises(CarePlanConflict) as caught:
        care_plan_save(by=member("gp"), patient=patient, version=1, data=body())
    assert caught.value.plan.version == 2
    assert "version 2" in caught.value.message
    assert CarePlan.objects.get().version == 2


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"needs": [{"domain": "money", "description": "Debt"}]}, "needs", "unknown domain"),
        ({"needs": [{"domain": "home", "description": " "}]}, "needs", "say what the need is"),
        ({"review_on": None}, "review_on", "review"),
        ({"review_on": datetime.date(2020, 1, 1)}, "review_on", "past"),
    ],
)
def test_bad_plan_input_saves_nothing(patient, member, change, field, words):
    data = {**body(), **change}
    if change.get("review_on", 1) is None:
        data["review_on"] = None
    with pytest.raises(ValidationError) as caught:
        care_plan_save(by=member("chair"), patient=patient, version=0, data=data)
    assert words in " ".join(caught.value.message_dict[field]).lower()
    assert not CarePlan.objects.exists() and not CarePlanNeed.objects.exists()


def test_bad_interventions_save_nothing_and_name_the_row(patient, member, other_network):
    chair = member("chair")
    manager = member("manager")
    outsider = member("pharmacist", net=other_network, username="pharmacist.elsewhere")
    rows = [
        {"description": "Fine", "owner_role": "gp", "due_on": soon()},
        {"description": "A manager", "owner": manager, "due_on": soon()},
        {"description": "Elsewhere", "owner": outsider, "due_on": soon()},
        {"description": "Managers", "owner_role": "manager", "due_on": soon()},
        {"description": "Late", "owner_role": "gp", "due_on": datetime.date(2020, 1, 1)},
        {"description": "Both", "owner": chair, "owner_role": "gp", "due_on": soon()},
    ]
    with pytest.raises(ValidationError) as caught:
        care_plan_save(by=chair, patient=patient, version=0, data=body(*rows))
    messages = caught.value.message_dict["interventions"]
    assert [m.split(":")[0] for m in messages] == [
        "Intervention 2",
        "Intervention 3",
        "Intervention 4",
        "Intervention 5",
        "Intervention 6",
    ]
    assert not CarePlan.objects.exists() and not Action.objects.exists()


def test_history_rows_name_who_saved(patient, member):
    from tests.test_attribution import context_of

    chair, gp = member("chair"), member("gp")
    plan = care_plan_save(
        by=chair,
        patient=patient,
        version=0,
        data=body({"description": "Call daughter", "owner_role": "gp", "due_on": soon()}),
    )
    intervention = CarePlanIntervention.objects.get()
    assert context_of(CarePlan, plan.pk)["user"] == chair.pk
    assert context_of(CarePlanIntervention, intervention.pk)["user"] == chair.pk
    need = CarePlanNeed.objects.get()
    assert context_of(CarePlanNeed, need.pk)["user"] == chair.pk
    care_plan_save(by=gp, patient=patient, version=1, data=body(needs=[]))
    assert context_of(CarePlan, plan.pk)["user"] == gp.pk
    assert context_of(CarePlanNeed, need.pk, kind="delete")["user"] == gp.pk
    assert context_of(CarePlanIntervention, intervention.pk, kind="delete")["user"] == gp.pk
