"""API.md 1.1 "Tasks": an identical open task is a 409 with its id; PATCH edits or reassigns
an open task (casework roles of its network; the PIC only its own); the new owner is told;
done takes an optional note."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions.models import Action
from actions.reminders import notify_assigned
from actions.services import action_create
from notifications.models import Notification
from tests.factories import ActionFactory, PatientFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/tasks/"


def tomorrow() -> datetime.date:
    return datetime.date.today() + datetime.timedelta(days=1)


def body(patient, **extra) -> dict:
    return {
        "patient": patient.pk,
        "title": "Review medicines",
        "assignee_role": "pharmacist",
        "due_on": tomorrow().isoformat(),
        **extra,
    }


def test_identical_open_task_is_409_with_its_id(api, member, patient):
    client = api(member("chair"))
    first = client.post(URL, body(patient), format="json")
    assert first.status_code == 201
    again = client.post(URL, body(patient, title="review MEDICINES "), format="json")
    assert again.status_code == 409
    assert again.json()["id"] == first.json()["id"]
    assert Action.objects.count() == 1
    # Another owner, or once the first is done: allowed.
    assert client.post(URL, body(patient, assignee_role="gp"), format="json").status_code == 201
    client.post(f"{URL}{first.json()['id']}/done/", {}, format="json")
    assert client.post(URL, body(patient), format="json").status_code == 201


def test_identical_409_does_not_name_a_task_the_pic_may_not_read(api, member, patient):
    api(member("chair")).post(URL, body(patient, assignee_role="gp"), format="json")
    pic = member("pic")
    # The PIC makes a task for the gp queue, identical to one it may not read.
    response = api(pic).post(URL, body(patient, assignee_role="gp"), format="json")
    assert response.status_code == 409
    assert "id" not in response.json()


def test_patch_edits_and_reassigns_and_notifies(
    api, member, patient, django_capture_on_commit_callbacks
):
    chair, gp = member("chair"), member("gp")
    task = ActionFactory(patient=patient, assignee_role="pharmacist", created_by=chair)
    client = api(chair)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.patch(
            f"{URL}{task.pk}/",
            {"title": "Call the GP surgery", "assignee": gp.username},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert response.json()["assignee"] == gp.username
    assert response.json()["assignee_role"] == ""
    task.refresh_from_db()
    assert (task.title, task.assignee_id, task.assignee_role) == ("Call the GP surgery", gp.pk, "")
    assert len(callbacks) == 1
    # Delivered: the new assignee hears, even if told of this task before (a new occurrence).
    assert notify_assigned(task.pk, occurrence="r1", by_id=chair.pk) == 1
    assert Notification.objects.filter(recipient=gp, subject_id=task.pk).count() == 1
    # Back to a role queue.
    response = client.patch(f"{URL}{task.pk}/", {"assignee_role": "community_nurse"}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"] is None
    assert response.json()["assignee_role"] == "community_nurse"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"assignee_role": "manager"}, "assignee_role"),
        ({"assignee_role": "wizard"}, "assignee_role"),
        ({"assignee": "nobody-at-all"}, "assignee"),
        ({"assignee": "gp.thornton-heath", "assignee_role": "gp"}, "assignee"),
        ({"due_on": "2001-01-01"}, "due_on"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_patch_bad_input_is_400_and_nothing_saved(api, member, patient, change, field):
    member("gp", username="gp.thornton-heath")
    task = ActionFactory(patient=patient, title="Unchanged")
    response = api(member("chair")).patch(f"{URL}{task.pk}/", change, format="json")
    assert response.status_code == 400
    assert field in response.json()
    task.refresh_from_db()
    assert (task.title, task.assignee_role) == ("Unchanged", "pharmacist")


def test_patch_to_a_manager_by_name_is_refused(api, member, patient):
    manager = member("manager")
    task = ActionFactory(patient=patient)
    response = api(member("chair")).patch(
        f"{URL}{task.pk}/", {"assignee": manager.username}, format="json"
    )
    assert response.status_code == 400
    assert Action.objects.get(pk=task.pk).assignee is None


def test_patch_that_repeats_another_open_task_is_409(api, member, patient):
    ActionFactory(patient=patient, title="Same", assignee_role="gp")
    task = ActionFactory(patient=patient, title="Same", assignee_role="pharmacist")
    response = api(member("chair")).patch(
        f"{URL}{task.pk}/", {"assignee_role": "gp"}, format="json"
    )
    assert response.status_code == 409
    assert Action.objects.get(pk=task.pk).assignee_role == "pharmacist"


def test_patch_a_done_task_is_409(api, member, patient):
    chair = member("chair")
    task = ActionFactory(patient=patient)
    api(chair).post(f"{URL}{task.pk}/done/", {}, format="json")
    response = api(chair).patch(f"{URL}{task.pk}/", {"title": "Later"}, format="json")
    assert response.status_code == 409


def test_pic_changes_only_its_own(api, member, patient):
    pic = member("pic")
    mine = ActionFactory(patient=patient, assignee_role="pic")
    theirs = ActionFactory(patient=patient, assignee_role="gp")
    client = api(pic)
    assert client.patch(f"{URL}{mine.pk}/", {"title": "Ring"}, format="json").status_code == 200
    assert client.patch(f"{URL}{theirs.pk}/", {"title": "X"}, format="json").status_code == 403
    assert Action.objects.get(pk=theirs.pk).title != "X"


@pytest.mark.parametrize("role", ["manager", "partner_system", "ig_lead"])
def test_roles_without_casework_may_not_patch(api, member, patient, role):
    user = member(role)
    task = ActionFactory(patient=patient, assignee_role="pharmacist")
    response = api(user).patch(f"{URL}{task.pk}/", {"title": "X"}, format="json")
    assert response.status_code == 403


def test_patch_in_another_network_is_404(api, member, foreign_patient):
    task = ActionFactory(patient=foreign_patient)
    response = api(member("chair")).patch(f"{URL}{task.pk}/", {"title": "X"}, format="json")
    assert response.status_code == 404


def test_put_is_not_offered(api, member, patient):
    task = ActionFactory(patient=patient)
    response = api(member("chair")).put(f"{URL}{task.pk}/", body(patient), format="json")
    assert response.status_code == 405


def test_done_with_a_note(api, member, patient):
    task = ActionFactory(patient=patient, assignee_role="gp")
    client = api(member("gp"))
    too_long = client.post(f"{URL}{task.pk}/done/", {"note": "x" * 2001}, format="json")
    assert too_long.status_code == 400
    assert Action.objects.get(pk=task.pk).status == "open"
    response = client.post(f"{URL}{task.pk}/done/", {"note": "Phoned, all well."}, format="json")
    assert response.status_code == 200
    assert response.json()["done_note"] == "Phoned, all well."


def test_patch_query_count_does_not_grow(api, member, patient, django_assert_max_num_queries):
    chair, gp = member("chair"), member("gp")
    client = api(chair)
    counts = []
    for n in (1, 10):
        for _ in range(n):
            ActionFactory(patient=PatientFactory(network=patient.network))
        task = ActionFactory(patient=patient)
        with CaptureQueriesContext(connection) as queries:
            response = client.patch(f"{URL}{task.pk}/", {"assignee": gp.username}, format="json")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    task = ActionFactory(patient=patient)
    with django_assert_max_num_queries(counts[0]):
        client.patch(f"{URL}{task.pk}/", {"title": "Renamed"}, format="json")


def test_meeting_and_visit_tasks_are_not_refused_as_identical(member, patient):
    chair = member("chair")
    for _ in range(2):
        action_create(
            patient=patient,
            by=chair,
            title="Follow-up visit",
            due_on=tomorrow(),
            assignee=chair,
            source=Action.Source.VISIT,
        )
    assert Action.objects.count() == 2
