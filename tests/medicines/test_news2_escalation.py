"""NEWS2 escalation (#14.7): a visit scoring 5 or more, or 3 in one parameter, raises one
urgent task for the escalation role and warns on the person's page until a clinician
acknowledges it; 7 or more is an emergency response."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action
from medicines.models import Visit
from medicines.services import visit_log, visit_news2_escalate

from .helpers import message_texts, text, visit_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]

SEVEN = {"respiratory_rate": 25, "spo2": 91, "pulse": 95}  # 3 + 3 + 1
FIVE = {"respiratory_rate": 22, "spo2": 93, "pulse": 95}  # 2 + 2 + 1
FOUR = {"respiratory_rate": 22, "spo2": 95, "pulse": 104}  # 2 + 1 + 1, no single 3
ONE_RED = {"consciousness": "confusion", "pulse": 72}  # 3 in one parameter
EMERGENCY = "NEWS2 of 7 or more: emergency response"
URGENT = "urgent review by a clinician competent in acute illness, within the hour"


def log(patient, by, observations, **kwargs):
    return visit_log(
        patient=patient,
        by=by,
        kind="home",
        visited_at=kwargs.pop("visited_at", timezone.now()),
        observations=observations,
        **kwargs,
    )


def tasks(patient):
    return Action.objects.filter(patient=patient, title__startswith="Urgent: NEWS2")


def test_news2_of_seven_raises_exactly_one_urgent_task_for_the_gp(patient, member):
    member("gp")
    nurse = member("community_nurse")
    logged = log(patient, nurse, SEVEN)
    visit = logged.visit
    assert (visit.news2_score, visit.news2_escalation) == (7, "emergency")
    [task] = tasks(patient)
    assert logged.escalation_task == task == visit.news2_task
    assert (task.assignee_role, task.assignee, task.due_on) == ("gp", None, timezone.localdate())
    assert task.title == "Urgent: NEWS2 7 at a visit, emergency response"
    assert EMERGENCY in task.details
    # The service again (a retry, a re-save): the same task, no second one.
    assert visit_news2_escalate(visit=visit, by=nurse) == task
    assert visit_news2_escalate(visit=Visit.objects.get(pk=visit.pk), by=nurse) == task
    assert tasks(patient).count() == 1


def test_news2_of_four_without_a_single_three_raises_nothing(patient, member):
    nurse = member("community_nurse")
    visit = log(patient, nurse, FOUR).visit
    assert (visit.news2_score, visit.news2_escalation) == (4, "none")
    assert visit_news2_escalate(visit=visit, by=nurse) is None
    assert not tasks(patient).exists()
    assert not visit.news2_warning


@pytest.mark.parametrize(
    ("observations", "score", "title"),
    [
        (FIVE, 5, "Urgent: NEWS2 5 at a visit, urgent response"),
        (ONE_RED, 3, "Urgent: NEWS2 3 (3 in one parameter) at a visit, urgent response"),
    ],
)
def test_five_or_a_single_three_is_an_urgent_response(patient, member, observations, score, title):
    nurse = member("community_nurse")
    visit = log(patient, nurse, observations).visit
    assert (visit.news2_score, visit.news2_escalation) == (score, "urgent")
    assert URGENT in visit.news2_guidance
    [task] = tasks(patient)
    assert task.title == title


def test_the_escalation_role_comes_from_settings(patient, member, settings):
    settings.ICN_NEWS2_ESCALATION_ROLE = "community_nurse"
    nurse = member("community_nurse")
    log(patient, nurse, SEVEN)
    assert tasks(patient).get().assignee_role == "community_nurse"


def test_the_visit_confirmation_says_emergency_response(client, login, patient):
    login("pharmacist")
    response = client.post(
        f"/medicines/patients/{patient.pk}/visit/",
        visit_data(respiratory_rate="25", spo2="91", pulse="95"),
    )
    assert response.status_code == 302
    [message] = message_texts(response)
    assert "NEWS2 7: emergency response." in message
    assert EMERGENCY in message
    assert "An urgent task, due today, went to the GP queue." in message
    assert tasks(patient).count() == 1


def test_the_live_preview_gives_the_guidance(client, login):
    login("pharmacist")
    response = client.get(
        "/medicines/visit/news2/", {"consciousness": "voice"}, headers={"HX-Request": "true"}
    )
    assert URGENT in text(response)


def _ack_url(patient, visit):
    return f"/medicines/patients/{patient.pk}/visits/{visit.pk}/news2-acknowledge/"


def test_the_warning_stays_on_the_person_page_until_a_clinician_acknowledges(
    client, login, patient, member
):
    nurse = member("community_nurse")
    visit = log(patient, nurse, SEVEN).visit
    gp = login("gp")
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert "NEWS2 7: emergency response" in page
    assert EMERGENCY in page
    assert _ack_url(patient, visit) in page

    response = client.post(_ack_url(patient, visit))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/patients/{patient.pk}/#medicines")
    visit.refresh_from_db()
    assert (visit.news2_acknowledged_by, visit.news2_acknowledged_at is not None) == (gp, True)
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert "NEWS2 7: emergency response" not in page
    assert "Emergency response, acknowledged" in page
    # The task stays for the GP to do: acknowledging is not the assessment.
    assert tasks(patient).get().status == "open"

    # A second acknowledgement changes nothing and says why.
    when = visit.news2_acknowledged_at
    response = client.post(_ack_url(patient, visit))
    assert "already acknowledged" in message_texts(response)[0]
    visit.refresh_from_db()
    assert visit.news2_acknowledged_at == when


def test_a_visit_with_nothing_to_acknowledge_is_refused(client, login, patient, member):
    visit = log(patient, member("community_nurse"), FOUR).visit
    login("gp")
    response = client.post(_ack_url(patient, visit))
    assert "nothing to acknowledge" in message_texts(response)[0]
    visit.refresh_from_db()
    assert visit.news2_acknowledged_at is None


def test_a_pic_cannot_acknowledge_and_the_chair_can(client, login, patient, member):
    visit = log(patient, member("community_nurse"), SEVEN).visit
    login("pic")
    assert client.post(_ack_url(patient, visit)).status_code == 403
    assert "NEWS2 7" not in text(client.get(f"/patients/{patient.pk}/"))
    visit.refresh_from_db()
    assert visit.news2_acknowledged_at is None
    login("manager")
    assert client.post(_ack_url(patient, visit)).status_code == 403
    login("chair")
    assert client.post(_ack_url(patient, visit)).status_code == 302
    visit.refresh_from_db()
    assert visit.news2_acknowledged_at is not None


def test_acknowledge_outside_the_network_or_of_another_persons_visit_is_404(
    client, login, patient, foreign_patient, member, other_network
):
    from tests.factories import PatientFactory

    visit = log(patient, member("community_nurse"), SEVEN).visit
    foreign_visit = log(
        foreign_patient, member("gp", net=other_network, username="gp.other"), SEVEN
    ).visit
    login("gp")
    assert client.post(_ack_url(foreign_patient, foreign_visit)).status_code == 404
    assert client.post(_ack_url(patient, foreign_visit)).status_code == 404
    someone_else = PatientFactory(network=patient.network)
    assert client.post(_ack_url(someone_else, visit)).status_code == 404
    assert client.get(_ack_url(patient, visit)).status_code == 405
    assert not Visit.objects.filter(news2_acknowledged_at__isnull=False).exists()


def test_an_old_unacknowledged_warning_shows_beyond_the_latest_visits(
    client, login, patient, member
):
    nurse = member("community_nurse")
    old = log(patient, nurse, SEVEN, visited_at=timezone.now() - datetime.timedelta(days=30))
    for i in range(26):
        log(patient, nurse, FOUR, visited_at=timezone.now() - datetime.timedelta(hours=i))
    login("gp")
    response = client.get(f"/patients/{patient.pk}/")
    assert [v.pk for v in response.context["news2_warnings"]] == [old.visit.pk]
    assert old.visit not in response.context["visits"]
    assert len(response.context["visits"]) == 25


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_person_page_queries_do_not_grow_with_warnings(
    client, login, patient, member, django_assert_max_num_queries
):
    nurse = member("community_nurse")
    login("gp")
    url = f"/patients/{patient.pk}/"
    log(patient, nurse, FOUR)
    few = _count(client, url)
    for i in range(6):
        when = timezone.now() - datetime.timedelta(days=i + 1)
        log(patient, nurse, SEVEN if i % 2 else FIVE, visited_at=when)
    with django_assert_max_num_queries(few):
        assert len(client.get(url).context["news2_warnings"]) == 6


def test_the_api_visit_shows_the_escalation(api, patient, member):
    nurse = member("community_nurse")
    visit = log(patient, nurse, SEVEN).visit
    gp = member("gp")
    body = api(gp).get(f"/api/v1/visits/{visit.pk}/").json()
    assert body["news2_escalation"] == "emergency"
    assert body["news2_task"] == visit.news2_task_id
    assert (body["news2_acknowledged_at"], body["news2_acknowledged_by"]) == (None, None)
