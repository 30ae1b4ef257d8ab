"""Goals agreed with the person ("what matters to me") and whether they were met (issue #7):
the services, the two pages that write them, who may, and the person's page."""

import datetime
import html
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AccessEvent
from networks.roles import CASEWORK_ROLES, Role
from patients.models import Goal
from patients.services import goal_add, goal_outcome_set

pytestmark = pytest.mark.django_db

CASEWORK = {r.value for r in CASEWORK_ROLES}


# Days are taken when each test runs, not when the module is imported: a run that starts
# before midnight and reaches these tests after it would otherwise expect yesterday's date.
def today() -> datetime.date:
    return timezone.localdate()


def yesterday() -> datetime.date:
    return today() - datetime.timedelta(days=1)


def tomorrow() -> datetime.date:
    return today() + datetime.timedelta(days=1)


@dataclass(frozen=True)
class Day:
    """A parametrized day `offset` days from today, resolved when the test runs."""

    offset: int
    iso: bool = False

    def get(self):
        day = today() + datetime.timedelta(days=self.offset)
        return day.isoformat() if self.iso else day


def resolved(values: dict) -> dict:
    return {k: v.get() if isinstance(v, Day) else v for k, v in values.items()}


@pytest.fixture
def goal(patient, member):
    return goal_add(
        patient=patient,
        by=member("pic"),
        description="To get to the lunch club on Thursdays",
        agreed_on=today() - datetime.timedelta(days=14),
    )


def add_url(patient):
    return f"/patients/{patient.pk}/goals/"


def outcome_url(goal):
    return f"/patients/{goal.patient_id}/goals/{goal.pk}/outcome/"


# --- services ------------------------------------------------------------------------------


def test_goal_add_is_open_agreed_today_by_default(patient, member):
    pic = member("pic")
    goal = goal_add(patient=patient, by=pic, description="  Walk to the shops again  ")
    assert (goal.description, goal.agreed_on, goal.agreed_by) == (
        "Walk to the shops again",
        today(),
        pic,
    )
    assert (goal.outcome, goal.outcome_on, goal.outcome_by) == ("open", None, None)
    assert goal.events.count() == 1  # row history (pghistory)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 301}, "description"),
        ({"description": "Garden", "agreed_on": Day(1)}, "agreed_on"),
    ],
)
def test_goal_add_refuses_bad_input(patient, member, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        goal_add(patient=patient, by=member("pic"), **resolved(kwargs))
    assert field in caught.value.message_dict
    assert not Goal.objects.exists()


def test_goal_outcome_set_and_reopen(goal, member):
    gp = member("gp")
    goal_outcome_set(goal=goal, by=gp, outcome="met", note="Goes every week now", on=yesterday())
    goal.refresh_from_db()
    assert (goal.outcome, goal.outcome_on, goal.outcome_by, goal.outcome_note) == (
        "met",
        yesterday(),
        gp,
        "Goes every week now",
    )
    goal_outcome_set(goal=goal, by=gp, outcome="partly_met")
    goal.refresh_from_db()
    assert (goal.outcome, goal.outcome_on, goal.outcome_note) == ("partly_met", today(), "")
    goal_outcome_set(goal=goal, by=gp, outcome="open")
    goal.refresh_from_db()
    assert (goal.outcome, goal.outcome_on, goal.outcome_by, goal.outcome_note) == (
        "open",
        None,
        None,
        "",
    )
    assert list(goal.events.values_list("outcome", flat=True).order_by("pgh_id")) == [
        "open",
        "met",
        "partly_met",
        "open",
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "sort_of"}, "outcome"),
        ({"outcome": "met", "on": Day(1)}, "on"),
        ({"outcome": "met", "on": Day(-15)}, "on"),  # before agreed
        ({"outcome": "not_met", "note": "x" * 501}, "outcome_note"),
    ],
)
def test_goal_outcome_set_refuses_bad_input(goal, member, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        goal_outcome_set(goal=goal, by=member("gp"), **resolved(kwargs))
    assert field in caught.value.message_dict
    goal.refresh_from_db()
    assert (goal.outcome, goal.outcome_on, goal.outcome_by) == ("open", None, None)


# --- pages ---------------------------------------------------------------------------------


def test_pic_adds_a_goal_on_its_page_and_sees_it_in_the_section(client, member, patient):
    pic = member("pic")
    client.force_login(pic)
    form = client.get(add_url(patient))
    assert form.status_code == 200
    assert "The goal, in the person's words" in html.unescape(form.content.decode())
    response = client.post(
        add_url(patient), {"description": "To see my grandchildren at Christmas", "agreed_on": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/#goals"
    goal = Goal.objects.get()
    assert (goal.patient, goal.agreed_by, goal.agreed_on) == (patient, pic, today())
    page = client.get(response["Location"]).content.decode()
    section = page[page.index('id="goals"') :]
    assert section.index("Goal added.") < section.index("To see my grandchildren at Christmas")


def test_clinical_role_adds_a_goal_and_returns_to_the_section(client, member, patient):
    nurse = member("community_nurse")
    client.force_login(nurse)
    response = client.post(
        add_url(patient), {"description": "Garden again", "agreed_on": yesterday().isoformat()}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/#goals"
    goal = Goal.objects.get()
    assert (goal.agreed_by, goal.agreed_on) == (nurse, yesterday())
    page = client.get(response["Location"]).content.decode()
    assert "Goal added." in page and "Garden again" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"description": ""}, "description", "required"),
        ({"description": "   "}, "description", "required"),
        ({"description": "x" * 301}, "description", "at most 300"),
        ({"description": "Bake", "agreed_on": Day(1, iso=True)}, "agreed_on", "future"),
        ({"description": "Bake", "agreed_on": "next week"}, "agreed_on", "must be a real date"),
        ({"description": "Ba\x00ke"}, "description", "Null characters"),
    ],
)
def test_add_goal_bad_input_is_422_next_to_the_field_and_saves_nothing(
    client, member, patient, data, field, message
):
    client.force_login(member("pic"))
    response = client.post(add_url(patient), resolved(data))
    body = response.content.decode()
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert message.lower() in body.lower()
    assert f'id="id_{field}_error"' in body  # the message sits by its field
    assert not Goal.objects.exists()


def test_outcome_met_then_reopened(client, member, goal):
    gp = member("gp")
    client.force_login(gp)
    form = client.get(outcome_url(goal)).content.decode()
    assert goal.description in form and "Met" in form
    response = client.post(
        outcome_url(goal),
        {"outcome": "met", "note": "Goes with a neighbour", "on": yesterday().isoformat()},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Goal marked as met." in page and "Goes with a neighbour" in page
    goal.refresh_from_db()
    assert (goal.outcome, goal.outcome_on, goal.outcome_by) == ("met", yesterday(), gp)

    response = client.post(outcome_url(goal), {"outcome": "open"})
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{goal.patient_id}/#goals"
    goal.refresh_from_db()
    assert (goal.outcome, goal.outcome_on, goal.outcome_by, goal.outcome_note) == (
        "open",
        None,
        None,
        "",
    )


def test_pic_records_partly_met(client, member, goal):
    pic = member("pic")
    client.force_login(pic)
    response = client.post(outcome_url(goal), {"outcome": "partly_met"}, follow=True)
    assert response.status_code == 200
    assert "Goal marked as partly met." in response.content.decode()
    goal.refresh_from_db()
    assert (goal.outcome, goal.outcome_on, goal.outcome_by) == ("partly_met", today(), pic)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"outcome": "sort_of"}, "outcome"),
        ({"outcome": ""}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "met", "on": Day(1, iso=True)}, "on"),
        ({"outcome": "met", "on": "2001-01-01"}, "on"),  # before the goal was agreed
        ({"outcome": "met", "on": "yesterday"}, "on"),
        ({"outcome": "met", "note": "x" * 501}, "note"),
    ],
)
def test_outcome_bad_input_is_422_and_changes_nothing(client, member, goal, data, field):
    client.force_login(member("pic"))
    response = client.post(outcome_url(goal), resolved(data))
    body = response.content.decode()
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert "There is a problem" in body
    goal.refresh_from_db()
    assert (goal.outcome, goal.outcome_on, goal.outcome_by, goal.outcome_note) == (
        "open",
        None,
        None,
        "",
    )


def test_a_goal_of_another_person_is_404(client, member, network, goal):
    from tests.factories import PatientFactory

    someone_else = PatientFactory(network=network)
    client.force_login(member("gp"))
    response = client.post(
        f"/patients/{someone_else.pk}/goals/{goal.pk}/outcome/", {"outcome": "met"}
    )
    assert response.status_code == 404
    goal.refresh_from_db()
    assert goal.outcome == "open"


# --- who may -------------------------------------------------------------------------------


def _expected(role: str) -> int:
    return 302 if role in CASEWORK else 403  # manager and partner system: refused


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_role_matrix_add_goal(client, member, patient, role):
    client.force_login(member(role))
    response = client.post(add_url(patient), {"description": "Walk the dog"})
    assert response.status_code == _expected(role), role
    assert Goal.objects.exists() is (role in CASEWORK)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_role_matrix_set_outcome(client, member, goal, role):
    user = member(role)
    client.force_login(user)
    response = client.post(outcome_url(goal), {"outcome": "met"})
    assert response.status_code == _expected(role), role
    goal.refresh_from_db()
    assert goal.outcome == ("met" if role in CASEWORK else "open")
    if role not in CASEWORK:
        assert AccessEvent.objects.filter(
            user=user, what="goals", outcome=AccessEvent.Outcome.DENIED
        ).exists()


@pytest.mark.parametrize("url", ["add", "outcome"])
def test_anonymous_goes_to_login(client, goal, url):
    target = add_url(goal.patient) if url == "add" else outcome_url(goal)
    response = client.post(target, {"description": "Walk", "outcome": "met"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    goal.refresh_from_db()
    assert Goal.objects.count() == 1 and goal.outcome == "open"


@pytest.mark.parametrize("role", sorted(CASEWORK))
def test_another_networks_person_is_404(client, member, other_network, goal, role):
    user = member(role, net=other_network)
    client.force_login(user)
    assert client.post(add_url(goal.patient), {"description": "Walk"}).status_code == 404
    assert client.post(outcome_url(goal), {"outcome": "met"}).status_code == 404
    goal.refresh_from_db()
    assert Goal.objects.count() == 1 and goal.outcome == "open"
    refused = AccessEvent.objects.filter(user=user, outcome=AccessEvent.Outcome.NOT_FOUND)
    assert refused.count() == 2


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_the_forms_open_for_casework_roles_only(client, member, goal, role):
    client.force_login(member(role))
    expected = 200 if role in CASEWORK else 403
    assert client.get(add_url(goal.patient)).status_code == expected, role
    assert client.get(outcome_url(goal)).status_code == expected, role


# --- the person's page ---------------------------------------------------------------------


def test_person_page_shows_goals_with_who_when_and_outcome(client, member, network, goal):
    gp = member("gp")
    gp.first_name, gp.last_name = "Amara", "Osei"
    gp.save()
    other = goal_add(
        patient=goal.patient, by=gp, description="Sleep upstairs again", agreed_on=yesterday()
    )
    goal_outcome_set(goal=other, by=gp, outcome="not_met", note="Stairlift delayed")
    client.force_login(member("pic"))
    page = client.get(f"/patients/{goal.patient_id}/").content.decode()
    assert 'href="#goals"' in page and "What matters to me: goals" in page
    assert "To get to the lunch club on Thursdays" in page
    assert goal.agreed_on.strftime("%-d %b %Y") in page
    assert "Personal independence coordinator" in page  # who agreed it, with their role
    assert ">Working on it</strong>" in page and ">Not met</strong>" in page
    assert "Amara Osei, GP" in page and "Stairlift delayed" in page
    assert "0 of 1 decided goal was met." in page
    assert f'href="/patients/{goal.patient_id}/goals/"' in page  # the PIC may add goals
    assert f'href="/patients/{goal.patient_id}/goals/{goal.pk}/outcome/"' in page


def test_person_page_without_goals_says_so(client, member, patient):
    client.force_login(member("physiotherapist"))
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "No goals agreed with Edith yet." in page


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["chair", "pic"])
def test_person_page_queries_do_not_grow_with_goals(client, member, patient, role):
    client.force_login(member(role))
    url = f"/patients/{patient.pk}/"
    none = _count(client, url)
    authors = [member(r) for r in ("pic", "gp", "social_worker", "pharmacist")]
    for n in range(8):
        goal = goal_add(
            patient=patient, by=authors[n % 4], description=f"Goal {n}", agreed_on=yesterday()
        )
        if n % 2:
            goal_outcome_set(goal=goal, by=authors[(n + 1) % 4], outcome="met")
    many = _count(client, url)
    assert many == none  # one query for the goals section, however many goals
    assert many <= 33  # the person page's budget (tests/patients/test_views.py)


# --- the API -------------------------------------------------------------------------------


def test_api_detail_lists_goals_for_the_pic_and_the_list_does_not(api, member, goal):
    pic = member("pic")
    goal_outcome_set(goal=goal, by=pic, outcome="met", note="Every week")
    detail = api(pic).get(f"/api/v1/patients/{goal.patient_id}/")
    assert detail.status_code == 200
    assert detail.json()["goals"] == [
        {
            "id": goal.pk,
            "description": "To get to the lunch club on Thursdays",
            "agreed_on": goal.agreed_on.isoformat(),
            "agreed_by": pic.username,
            "outcome": "met",
            "outcome_on": today().isoformat(),
            "outcome_by": pic.username,
            "outcome_note": "Every week",
        }
    ]
    listed = api(pic).get("/api/v1/patients/").json()["results"][0]
    assert "goals" not in listed
