import datetime

import pytest

from actions.models import Action
from tests.factories import ActionFactory, PatientFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/tasks/"


def tomorrow() -> str:
    return (datetime.date.today() + datetime.timedelta(days=1)).isoformat()


def test_create_for_a_role_queue_and_for_a_member(
    api, member, patient, django_capture_on_commit_callbacks
):
    chair = member("chair")
    gp = member("gp")
    client = api(chair)
    response = client.post(
        URL,
        {
            "patient": patient.pk,
            "title": "Review medicines",
            "assignee_role": "pharmacist",
            "due_on": tomorrow(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["network"] == "thornton-heath"
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            URL,
            {
                "patient": patient.pk,
                "title": "Home visit",
                "assignee": gp.username,
                "due_on": tomorrow(),
            },
            format="json",
        )
    assert response.status_code == 201
    assert len(callbacks) == 1  # the assignee's notification is enqueued on commit
    assert Action.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"assignee_role": "pharmacist", "assignee": "gp.thornton-heath"}, "assignee"),
        ({"assignee_role": ""}, "assignee"),
        ({"assignee_role": "wizard"}, "assignee_role"),
        ({"due_on": "2001-01-01"}, "due_on"),
        ({"due_on": "tomorrow"}, "due_on"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "bad\x00"}, "title"),
        ({"patient": 999999}, "patient"),
        ({"patient": "abc"}, "patient"),
    ],
)
def test_bad_input_is_400_and_nothing_saved(api, member, patient, change, field):
    member("gp")
    body = {
        "patient": patient.pk,
        "title": "Review",
        "assignee_role": "pharmacist",
        "due_on": tomorrow(),
    }
    body.update(change)
    response = api(member("chair")).post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Action.objects.exists()


def test_assignee_from_another_network_is_refused(api, member, patient, other_network):
    outsider = member("gp", net=other_network)
    body = {
        "patient": patient.pk,
        "title": "Review",
        "assignee": outsider.username,
        "due_on": tomorrow(),
    }
    response = api(member("chair")).post(URL, body, format="json")
    assert response.status_code == 400
    assert "assignee" in response.json()


def test_patient_in_another_network_is_400_unknown(api, member, foreign_patient):
    body = {
        "patient": foreign_patient.pk,
        "title": "x",
        "assignee_role": "gp",
        "due_on": tomorrow(),
    }
    response = api(member("chair")).post(URL, body, format="json")
    assert response.status_code == 400
    assert "patient" in response.json()


def test_manager_may_not_create(api, member, patient):
    body = {"patient": patient.pk, "title": "x", "assignee_role": "gp", "due_on": tomorrow()}
    response = api(member("manager")).post(URL, body, format="json")
    assert response.status_code == 403
    assert not Action.objects.exists()


def test_mine_status_and_patient_filters(api, member, patient, network):
    pharmacist = member("pharmacist")
    other = PatientFactory(network=network)
    by_role = ActionFactory(patient=patient, assignee_role="pharmacist")
    by_name = ActionFactory(patient=other, assignee=pharmacist, assignee_role="")
    ActionFactory(patient=patient, assignee_role="social_worker")
    client = api(pharmacist)
    ids = lambda params: sorted(t["id"] for t in client.get(URL, params).json()["results"])  # noqa: E731
    assert ids({"mine": "true"}) == sorted([by_role.pk, by_name.pk])
    assert ids({"patient": other.pk}) == [by_name.pk]
    client.post(f"{URL}{by_name.pk}/done/")
    assert ids({"status": "done"}) == [by_name.pk]
    assert ids({"status": "open", "mine": "true"}) == [by_role.pk]


def test_done_twice_is_409(api, member, patient):
    task = ActionFactory(patient=patient, assignee_role="pharmacist")
    client = api(member("pharmacist"))
    first = client.post(f"{URL}{task.pk}/done/")
    assert first.status_code == 200 and first.json()["status"] == "done"
    assert first.json()["done_by"] == "pharmacist.thornton-heath"
    assert client.post(f"{URL}{task.pk}/done/").status_code == 409


def test_tasks_of_another_network_are_404(api, member, foreign_patient):
    task = ActionFactory(patient=foreign_patient)
    client = api(member("pharmacist"))
    assert client.get(f"{URL}{task.pk}/").status_code == 404
    assert client.post(f"{URL}{task.pk}/done/").status_code == 404
    task.refresh_from_db()
    assert task.status == "open"


def test_list_query_count_constant(api, member, patient, django_assert_max_num_queries):
    client = api(member("pharmacist"))
    ActionFactory.create_batch(2, patient=patient)
    with django_assert_max_num_queries(6):
        client.get(URL)
    ActionFactory.create_batch(30, patient=patient)
    with django_assert_max_num_queries(6):
        assert client.get(URL).json()["count"] == 32


def test_open_task_matches_the_published_schema(api, member, patient):
    """Found by the API fuzz test: an open task has `"done_by": null` and a blank
    `claimed_from_role`; the schema allowed neither."""
    from tests.openapi import assert_matches_schema

    client = api(member("chair"))
    created = client.post(
        URL,
        {"patient": patient.pk, "title": "Ring", "assignee_role": "gp", "due_on": tomorrow()},
        format="json",
    ).json()
    response = client.get(f"{URL}{created['id']}/")
    assert response.json()["done_by"] is None and response.json()["claimed_from_role"] == ""
    assert_matches_schema(response, "get", "/api/v1/tasks/{id}/")


def test_a_pic_lists_reads_and_completes_only_their_own_and_the_pic_queue(
    api, member, patient, network
):
    """Found in the go-live attack pass: a `pic` listed, read and completed every task in the
    network, clinical titles and details included (API.md 1.1, Tasks)."""
    pic = member("pic")
    pharmacist = member("pharmacist")
    clinical = ActionFactory(
        patient=patient, assignee=pharmacist, assignee_role="", title="Stop warfarin"
    )
    gp_queue = ActionFactory(patient=patient, assignee_role="gp", details="INR 6.1")
    pic_queue = ActionFactory(patient=patient, assignee_role="pic", title="Befriending")
    named = ActionFactory(patient=patient, assignee=pic, assignee_role="", title="Lunch club")
    client = api(pic)
    listed = client.get(URL).json()
    assert sorted(t["id"] for t in listed["results"]) == sorted([pic_queue.pk, named.pk])
    assert "warfarin" not in str(listed) and "INR" not in str(listed)
    for task in (clinical, gp_queue):
        assert client.get(f"{URL}{task.pk}/").status_code == 403
        assert client.post(f"{URL}{task.pk}/done/").status_code == 403
        task.refresh_from_db()
        assert task.status == "open"
    for task in (pic_queue, named):
        assert client.get(f"{URL}{task.pk}/").json()["title"] == task.title
        assert client.post(f"{URL}{task.pk}/done/").json()["status"] == "done"
    # A clinical role still sees and completes the network's tasks (the care team).
    gp = api(member("gp"))
    assert gp.get(URL).json()["count"] == 4
    assert gp.post(f"{URL}{clinical.pk}/done/").status_code == 200


@pytest.mark.parametrize("role", ["manager", "partner_system", "ig_lead"])
def test_no_task_for_a_role_that_does_no_casework(api, member, patient, role):
    """Found in the go-live attack pass: a task could be put in the manager's or the partner
    system's queue (or named to one), who then saw the person's name in it."""
    someone = member(role)
    chair = api(member("chair"))
    for assignment, field in (
        ({"assignee_role": role}, "assignee_role"),
        ({"assignee": someone.username}, "assignee"),
    ):
        body = {"patient": patient.pk, "title": "Review", "due_on": tomorrow(), **assignment}
        response = chair.post(URL, body, format="json")
        assert response.status_code == 400, response.json()
        assert field in response.json()
    assert not Action.objects.exists()


def test_assignee_errors_do_not_tell_which_usernames_exist(api, member, patient, other_network):
    elsewhere = member("gp", net=other_network)
    chair = api(member("chair"))
    answers = []
    for username in (elsewhere.username, "nobody.at.all"):
        body = {"patient": patient.pk, "title": "Call", "assignee": username, "due_on": tomorrow()}
        response = chair.post(URL, body, format="json")
        assert response.status_code == 400
        answers.append(response.json()["assignee"])
    assert answers[0] == answers[1]
