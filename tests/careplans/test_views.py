"""The care plan on the pages: the person page's section (what each role sees), the edit
page (who may, bad input saves nothing, a stale save shows the other version), meeting mode's
card, and constant query counts."""

import datetime
import html

import pytest
from django.utils import timezone

from actions.models import Action
from careplans.models import CarePlan
from careplans.services import care_plan_save
from huddles import services as huddles
from networks.roles import CLINICAL_ROLES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]

SOON = timezone.localdate() + datetime.timedelta(days=7)


def text(response) -> str:
    return html.unescape(response.content.decode())


def edit_url(patient):
    return f"/care-plans/patients/{patient.pk}/edit/"


def saved_plan(patient, by, *, owner=None, extra=0):
    return care_plan_save(
        by=by,
        patient=patient,
        version=0,
        data={
            "review_on": SOON,
            "needs": [
                {"domain": "health", "description": "Falls at night"},
                {"domain": "what_matters", "description": "Stay at home"},
                *({"domain": "home", "description": f"Home need {n}"} for n in range(extra)),
            ],
            "interventions": [
                {"description": "Review night-time medicines", "owner": owner, "due_on": SOON}
                if owner
                else {
                    "description": "Review night-time medicines",
                    "owner_role": "pharmacist",
                    "due_on": SOON,
                },
                {"description": "Befriending", "owner_role": "pic", "due_on": SOON},
                *(
                    {"description": f"Step {n}", "owner_role": "gp", "due_on": SOON}
                    for n in range(extra)
                ),
            ],
        },
    )


def form_post(version=0, **rows):
    data = {
        "plan-version": str(version),
        "plan-review_on": SOON.isoformat(),
        "needs-TOTAL_FORMS": "2",
        "needs-INITIAL_FORMS": "0",
        "needs-0-domain": "home",
        "needs-0-description": "Stairs are hard",
        "needs-1-domain": "",
        "needs-1-description": "",
        "interventions-TOTAL_FORMS": "2",
        "interventions-INITIAL_FORMS": "0",
        "interventions-0-description": "Fit a stair rail",
        "interventions-0-owner": "role:occupational_therapist",
        "interventions-0-due_on": SOON.isoformat(),
        "interventions-1-description": "",
        "interventions-1-owner": "",
        "interventions-1-due_on": "",
    }
    data.update(rows)
    return data


def test_the_person_page_shows_the_plan_by_domain_with_owners_and_task_status(
    client, member, patient
):
    chair = member("chair")
    pharmacist = member("pharmacist")
    saved_plan(patient, chair, owner=pharmacist)
    client.force_login(member("gp"))
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert 'id="care-plan"' in page
    assert "Falls at night" in page and "Stay at home" in page
    assert "What matters to me" in page
    assert "Review night-time medicines" in page and pharmacist.get_full_name() in page
    assert "Version 1" in page and "Open" in page
    assert "Change the care plan" in page


def test_a_pic_sees_the_social_parts_and_cannot_edit(client, member, patient):
    saved_plan(patient, member("chair"))
    client.force_login(member("pic"))
    page = text(client.get(f"/patients/{patient.pk}/"))
    assert "Stay at home" in page and "Befriending" in page
    assert "Falls at night" not in page and "Review night-time medicines" not in page
    assert "Change the care plan" not in page
    assert client.get(edit_url(patient)).status_code == 403


@pytest.mark.parametrize("role", ["pic", "manager", "ig_lead", "partner_system", "gp", "chair"])
def test_who_may_save_on_the_page(client, member, patient, role):
    client.force_login(member(role))
    response = client.post(edit_url(patient), form_post())
    allowed = role in CLINICAL_ROLES
    assert response.status_code == (302 if allowed else 403)
    assert CarePlan.objects.exists() == allowed


def test_saving_on_the_page_makes_the_task_and_goes_back_to_the_person(client, member, patient):
    client.force_login(member("gp"))
    response = client.post(edit_url(patient), form_post())
    assert response["Location"] == f"/patients/{patient.pk}/#care-plan"
    (task,) = Action.objects.filter(patient=patient)
    assert (task.title, task.assignee_role) == ("Fit a stair rail", "occupational_therapist")


def test_add_more_rows_saves_nothing_and_shows_blank_rows(client, member, patient):
    client.force_login(member("gp"))
    response = client.post(edit_url(patient), {**form_post(), "add_rows": "1"})
    assert response.status_code == 200
    assert 'name="needs-3-description"' in text(response)
    assert not CarePlan.objects.exists()


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ({"plan-review_on": ""}, "Give the date the plan will be reviewed."),
        (
            {"interventions-0-due_on": "2020-01-01"},
            "Intervention 1: the due date cannot be in the past.",
        ),
        ({"needs-0-domain": ""}, "Need 1: unknown domain"),
        ({"plan-review_on": "not a date"}, "Review date must be a real date"),
    ],
)
def test_bad_input_is_422_names_the_problem_and_saves_nothing(client, member, patient, rows, words):
    client.force_login(member("gp"))
    response = client.post(edit_url(patient), form_post(**rows))
    assert response.status_code == 422
    assert words in text(response)
    assert not CarePlan.objects.exists() and not Action.objects.exists()


def test_a_stale_save_shows_the_other_version_and_keeps_the_edit(client, member, patient):
    saved_plan(patient, member("chair"))  # version 1, by someone else
    client.force_login(member("gp"))
    response = client.post(edit_url(patient), form_post(version=0))
    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved version 1: here it is" in page
    assert "Review night-time medicines" in page  # theirs
    assert 'value="Fit a stair rail"' in page  # mine, still in the form
    assert 'name="plan-version" value="1"' in page
    assert CarePlan.objects.get().version == 1
    # Saving again replaces their version.
    again = client.post(edit_url(patient), form_post(version=1))
    assert again.status_code == 302 and CarePlan.objects.get().version == 2


def test_another_networks_person_is_404(client, member, foreign_patient):
    client.force_login(member("chair"))
    assert client.get(edit_url(foreign_patient)).status_code == 404
    assert client.post(edit_url(foreign_patient), form_post()).status_code == 404


# --- meeting mode ----------------------------------------------------------------------------


@pytest.fixture
def item(network, patient, member):
    chair = member("chair")
    meeting = huddles.next_meeting(network)
    return huddles.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Falls")


def run_url(item):
    return f"/meetings/{item.meeting_id}/run/{item.pk}/"


@pytest.mark.parametrize("role", ["chair", "gp", "pharmacist"])
def test_meeting_mode_loads_the_care_plan_card_in_place(client, member, item, role):
    client.force_login(member(role))
    page = text(client.get(run_url(item)))
    card_url = f"{edit_url(item.patient)}?next=%2Fmeetings%2F{item.meeting_id}%2Frun%2F{item.pk}%2F"
    assert f'hx-get="{card_url}"' in page
    card = client.get(card_url, headers={"HX-Request": "true"})
    assert card.status_code == 200 and "HX-Request" in card["Vary"]
    body = text(card)
    assert body.lstrip().startswith("<section") and "<html" not in body
    assert "Agree a care plan" in body
    assert f'name="next" value="{run_url(item)}"' in body


def test_agreed_in_the_meeting_goes_back_to_the_person_in_the_meeting(client, member, item):
    client.force_login(member("chair"))
    response = client.post(edit_url(item.patient), {**form_post(), "next": run_url(item)})
    assert response.status_code == 302 and response["Location"] == run_url(item)
    assert CarePlan.objects.get(patient=item.patient).updated_by.username.startswith("chair")


def test_next_never_leaves_the_site(client, member, patient):
    client.force_login(member("gp"))
    response = client.post(edit_url(patient), {**form_post(), "next": "https://evil.example/"})
    assert response["Location"] == f"/patients/{patient.pk}/#care-plan"


# --- query counts ----------------------------------------------------------------------------


def _count(client, url, django_assert_max_num_queries, ceiling):
    with django_assert_max_num_queries(ceiling) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["person", "edit", "card"])
def test_query_counts_do_not_grow_with_the_plan(
    client, member, network, page, django_assert_max_num_queries
):
    from tests.factories import PatientFactory

    chair = member("chair")
    client.force_login(chair)
    counts = []
    for extra in (0, 10):
        person = PatientFactory(network=network)
        saved_plan(person, chair, extra=extra)
        url = {
            "person": f"/patients/{person.pk}/",
            "edit": edit_url(person),
            "card": edit_url(person) + "?next=/",
        }[page]
        client.get(url)
        # The person page: 33 (tests/patients/test_views.py), the plan's pages fewer.
        counts.append(_count(client, url, django_assert_max_num_queries, 33))
    assert counts[0] == counts[1], counts


def test_removing_an_intervention_on_the_page_closes_its_task(client, member, patient):
    from careplans.models import CarePlanIntervention

    chair = member("chair")
    saved_plan(patient, chair)
    kept, removed = CarePlanIntervention.objects.order_by("position")
    client.force_login(chair)
    rows = {
        "plan-version": "1",
        "interventions-TOTAL_FORMS": "2",
        "interventions-INITIAL_FORMS": "2",
        "interventions-0-id": str(kept.pk),
        "interventions-0-description": kept.description,
        "interventions-0-owner": "role:pharmacist",
        "interventions-0-due_on": SOON.isoformat(),
        "interventions-1-id": str(removed.pk),
        "interventions-1-description": removed.description,
        "interventions-1-owner": "role:pic",
        "interventions-1-due_on": SOON.isoformat(),
        "interventions-1-DELETE": "on",
    }
    response = client.post(edit_url(patient), form_post(**rows))
    assert response.status_code == 302, text(response)[:2000]
    kept_task = Action.objects.get(pk=kept.task_id)
    removed_task = Action.objects.get(pk=removed.task_id)
    assert kept_task.status == "open" and removed_task.status == "done"
    assert "Removed from the care plan" in removed_task.done_note
    assert list(CarePlanIntervention.objects.values_list("pk", flat=True)) == [kept.pk]
