"""Tasks on the pages (issue #14.5): add a task from the person's page or My work, change or
reassign it, mark it done with a note; an identical open task is refused with a link to it;
who may use each page; bad input saves nothing; the access trail; query counts."""

import datetime
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action
from audit.models import AccessEvent
from tests.factories import ActionFactory, PatientFactory

pytestmark = pytest.mark.django_db

NEW = "/my-work/tasks/new/"


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def login(client, member):
    def make(role="pharmacist"):
        user = member(role)
        client.force_login(user)
        return user

    return make


def form(**extra) -> dict:
    return {"title": "Check blood pressure", "due_on": days(2).isoformat(), **extra}


def test_add_a_task_from_the_persons_page(client, login, member, patient):
    login("pharmacist")
    gp = member("gp")
    page = client.get(f"/patients/{patient.pk}/")
    assert f"{NEW}?patient={patient.pk}" in text(page)
    response = client.get(f"{NEW}?patient={patient.pk}")
    assert response.status_code == 200
    assert "Edith Okafor" in text(response)
    assert f"user:{gp.pk}" in text(response) and "role:pharmacist" in text(response)
    assert "role:manager" not in text(response)
    response = client.post(
        f"{NEW}?patient={patient.pk}", form(owner=f"user:{gp.pk}", details="After the change")
    )
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/#tasks"
    task = Action.objects.get()
    assert (task.patient, task.assignee, task.details) == (patient, gp, "After the change")


def test_add_a_task_from_my_work_by_nhs_number(client, login, patient):
    login("pharmacist")
    assert NEW in text(client.get("/my-work/"))
    response = client.post(NEW, form(nhs_number=patient.nhs_number, owner="role:social_worker"))
    assert response.status_code == 302
    assert Action.objects.get().assignee_role == "social_worker"


def test_unknown_or_foreign_nhs_number_saves_nothing(client, login, foreign_patient):
    login("pharmacist")
    for number in ("9434765919", foreign_patient.nhs_number):
        response = client.post(NEW, form(nhs_number=number, owner="role:gp"))
        assert response.status_code == 422
        assert "No one with that NHS number in this network" in text(response)
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "owner": "role:gp"}, "Say what needs doing."),
        ({"owner": ""}, "Choose who the task is for."),
        ({"owner": "role:manager"}, "Select a valid choice"),
        ({"owner": "role:gp", "due_on": "2001-01-01"}, "The due date cannot be in the past."),
        ({"owner": "role:gp", "due_on": "soon"}, "Due date must be a real date"),
        ({"owner": "role:gp", "title": "two\nlines"}, "single line"),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_saved(client, login, patient, data, message):
    login("pharmacist")
    response = client.post(f"{NEW}?patient={patient.pk}", form(**data))
    assert response.status_code == 422
    assert message.lower() in text(response).lower()
    assert "There is a problem" in text(response)
    assert not Action.objects.exists()


def test_identical_open_task_is_refused_with_a_link(client, login, patient):
    login("pharmacist")
    existing = ActionFactory(patient=patient, title="Check blood pressure", assignee_role="gp")
    response = client.post(f"{NEW}?patient={patient.pk}", form(owner="role:gp"))
    assert response.status_code == 409
    assert f'href="/my-work/tasks/{existing.pk}/"' in text(response)
    assert Action.objects.count() == 1


def test_identical_task_the_pic_may_not_read_is_not_linked(client, login, patient):
    login("pic")
    existing = ActionFactory(patient=patient, title="Check blood pressure", assignee_role="gp")
    response = client.post(f"{NEW}?patient={patient.pk}", form(owner="role:gp"))
    assert response.status_code == 409
    assert f"/my-work/tasks/{existing.pk}/" not in text(response)


def test_change_and_reassign(client, login, member, patient, django_capture_on_commit_callbacks):
    login("pharmacist")
    nurse = member("community_nurse")
    task = ActionFactory(patient=patient, title="Old", assignee_role="pharmacist")
    page = client.get(f"/my-work/tasks/{task.pk}/edit/")
    assert page.status_code == 200
    assert 'value="Old"' in text(page)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            f"/my-work/tasks/{task.pk}/edit/",
            form(title="New", owner=f"user:{nurse.pk}", details="More"),
        )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.assignee, task.assignee_role, task.details) == (
        "New",
        nurse,
        "",
        "More",
    )
    assert len(callbacks) == 1  # the new assignee is told


def test_change_into_an_identical_task_is_refused(client, login, patient):
    login("pharmacist")
    other = ActionFactory(patient=patient, title="Same", assignee_role="gp")
    task = ActionFactory(patient=patient, title="Same", assignee_role="pharmacist")
    response = client.post(f"/my-work/tasks/{task.pk}/edit/", form(title="Same", owner="role:gp"))
    assert response.status_code == 409
    assert f'href="/my-work/tasks/{other.pk}/"' in text(response)
    assert Action.objects.get(pk=task.pk).assignee_role == "pharmacist"


def test_a_done_task_cannot_be_changed(client, login, patient):
    user = login("pharmacist")
    task = ActionFactory(patient=patient, assignee=user, assignee_role="")
    client.post(f"/my-work/tasks/{task.pk}/done/", {"note": "Sorted"})
    response = client.post(f"/my-work/tasks/{task.pk}/edit/", form(owner="role:gp"))
    assert response.status_code == 409
    assert "done, so it cannot be changed" in text(response)


def test_task_page_and_done_with_a_note(client, login, patient):
    user = login("pharmacist")
    task = ActionFactory(patient=patient, assignee=user, assignee_role="", title="Ring Edith")
    page = client.get(f"/my-work/tasks/{task.pk}/")
    assert page.status_code == 200
    assert "Ring Edith" in text(page) and "What was done" in text(page)
    assert AccessEvent.objects.filter(user=user, what="task", patient_id=patient.pk).exists()
    too_long = client.post(f"/my-work/tasks/{task.pk}/done/", {"note": "x" * 2001})
    assert too_long.status_code == 302
    assert Action.objects.get(pk=task.pk).status == "open"
    client.post(f"/my-work/tasks/{task.pk}/done/", {"note": "Spoke to her daughter."})
    task.refresh_from_db()
    assert (task.status, task.done_note) == ("done", "Spoke to her daughter.")
    assert "Spoke to her daughter." in text(client.get(f"/my-work/tasks/{task.pk}/"))


def test_pic_changes_only_its_own(client, login, patient):
    login("pic")
    mine = ActionFactory(patient=patient, assignee_role="pic")
    theirs = ActionFactory(patient=patient, assignee_role="gp")
    assert client.get(f"/my-work/tasks/{mine.pk}/edit/").status_code == 200
    assert client.get(f"/my-work/tasks/{theirs.pk}/").status_code == 403
    response = client.post(f"/my-work/tasks/{theirs.pk}/edit/", form(owner="role:pic"))
    assert response.status_code == 403
    assert Action.objects.get(pk=theirs.pk).assignee_role == "gp"


@pytest.mark.parametrize("role", ["manager", "partner_system", "ig_lead"])
def test_roles_without_casework_are_refused(client, login, patient, role):
    login(role)
    task = ActionFactory(patient=patient)
    assert client.get(f"{NEW}?patient={patient.pk}").status_code == 403
    assert client.post(f"/my-work/tasks/{task.pk}/edit/", form(owner="role:gp")).status_code == 403
    assert client.get(f"/my-work/tasks/{task.pk}/").status_code == 403


def test_another_networks_task_or_person_is_404(client, login, foreign_patient):
    login("gp")
    task = ActionFactory(patient=foreign_patient)
    assert client.get(f"/my-work/tasks/{task.pk}/").status_code == 404
    assert client.get(f"/my-work/tasks/{task.pk}/edit/").status_code == 404
    assert client.get(f"{NEW}?patient={foreign_patient.pk}").status_code == 404
    assert client.get(f"{NEW}?patient=abc").status_code == 404


def test_query_counts_do_not_grow_with_rows(
    client, login, member, patient, django_assert_max_num_queries
):
    login("pharmacist")
    task = ActionFactory(patient=patient)
    urls = [
        f"/my-work/tasks/{task.pk}/",
        f"/my-work/tasks/{task.pk}/edit/",
        f"{NEW}?patient={patient.pk}",
    ]
    counts = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts[url] = len(queries)
    for n in range(8):
        member("gp", username=f"gp{n}")
        ActionFactory(patient=PatientFactory(network=patient.network))
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200
