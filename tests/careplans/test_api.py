"""GET|PUT /api/v1/patients/{id}/care-plan/ (API.md 1.1, Patients): roles, the other network,
the stale 409 with the current plan, bad input with nothing saved, tasks made once, what a
PIC reads, and a constant query count."""

import datetime

import pytest
from django.utils import timezone

from actions.models import Action
from careplans.models import CarePlan
from careplans.services import care_plan_save
from networks.roles import CLINICAL_ROLES, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]

SOON = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()


def url(patient):
    return f"/api/v1/patients/{patient.pk}/care-plan/"


def plan_body(version=0, **extra):
    return {
        "version": version,
        "review_on": SOON,
        "needs": [
            {"domain": "health", "description": "Falls at night"},
            {"domain": "social", "description": "Lonely since her husband died"},
            {"domain": "what_matters", "description": "Stay in her own home"},
        ],
        "interventions": [
            {
                "description": "Review night-time medicines",
                "owner_role": "pharmacist",
                "due_on": SOON,
            },
            {"description": "Befriending service", "owner_role": "pic", "due_on": SOON},
        ],
        **extra,
    }


def test_a_person_without_a_plan_reads_version_0(api, member, patient):
    response = api(member("gp")).get(url(patient))
    assert response.status_code == 200
    assert response.json() == {
        "needs": [],
        "interventions": [],
        "review_on": None,
        "version": 0,
        "updated_by": None,
        "updated_at": None,
    }


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_who_may_put(api, member, patient, role):
    response = api(member(role)).put(url(patient), plan_body(), format="json")
    expected = 200 if role in CLINICAL_ROLES else 403
    assert response.status_code == expected, response.content[:300]
    assert CarePlan.objects.exists() == (expected == 200)


def test_put_saves_and_returns_the_plan_with_its_tasks(api, member, patient):
    chair = member("chair")
    response = api(chair).put(url(patient), plan_body(), format="json")
    body = response.json()
    assert body["version"] == 1 and body["updated_by"] == chair.username
    assert [n["domain"] for n in body["needs"]] == ["health", "social", "what_matters"]
    tasks = {t.title: t for t in Action.objects.filter(patient=patient)}
    assert [(i["description"], i["task"], i["task_status"]) for i in body["interventions"]] == [
        ("Review night-time medicines", tasks["Review night-time medicines"].pk, "open"),
        ("Befriending service", tasks["Befriending service"].pk, "open"),
    ]
    # The same body again, at the version read: a new version, no new tasks.
    again = api(chair).put(url(patient), plan_body(version=1), format="json")
    assert again.json()["version"] == 2
    assert Action.objects.filter(patient=patient).count() == 2


def test_a_stale_put_is_409_showing_the_current_version(api, member, patient):
    chair, gp = member("chair"), member("gp")
    api(chair).put(url(patient), plan_body(), format="json")
    api(chair).put(
        url(patient),
        plan_body(version=1, review_on=None, needs=[], interventions=[]),
        format="json",
    )
    response = api(gp).put(url(patient), plan_body(version=1), format="json")
    assert response.status_code == 409
    body = response.json()
    assert "version 2" in body["detail"]
    assert body["current"]["version"] == 2 and body["current"]["needs"] == []
    assert CarePlan.objects.get().version == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"needs": [{"domain": "money", "description": "Debts"}]}, "needs"),
        ({"review_on": None}, "review_on"),
        (
            {"interventions": [{"description": "X", "owner": "nobody", "due_on": SOON}]},
            "interventions",
        ),
        (
            {"interventions": [{"description": "X", "owner_role": "manager", "due_on": SOON}]},
            "interventions",
        ),
        (
            {"interventions": [{"description": "X", "owner_role": "gp", "due_on": "2020-01-01"}]},
            "interventions",
        ),
        ({"version": "old"}, "version"),
    ],
)
def test_bad_input_is_400_and_saves_nothing(api, member, patient, change, field):
    response = api(member("chair")).put(url(patient), {**plan_body(), **change}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()
    assert not CarePlan.objects.exists() and not Action.objects.exists()


def test_another_networks_person_is_404(api, member, foreign_patient):
    assert api(member("chair")).get(url(foreign_patient)).status_code == 404
    assert (
        api(member("chair")).put(url(foreign_patient), plan_body(), format="json").status_code
        == 404
    )


def test_a_pic_reads_the_social_needs_and_their_interventions_only(api, member, patient):
    """Decided: a PIC reads the social and what-matters needs, and the interventions owned
    by them or by the `pic` role (an intervention's wording is often clinical)."""
    chair, pic = member("chair"), member("pic")
    data = plan_body()
    data["interventions"].append(
        {"description": "Lunch club", "owner": pic.username, "due_on": SOON}
    )
    assert api(chair).put(url(patient), data, format="json").status_code == 200
    body = api(pic).get(url(patient)).json()
    assert [n["domain"] for n in body["needs"]] == ["social", "what_matters"]
    assert [i["description"] for i in body["interventions"]] == [
        "Befriending service",
        "Lunch club",
    ]
    assert body["version"] == 1


def test_the_read_writes_an_access_event(api, member, patient):
    from audit.models import AccessEvent

    gp = member("gp")
    api(gp).get(url(patient))
    assert AccessEvent.objects.filter(user=gp, what="care_plan", patient=patient).exists()


def test_get_query_count_is_constant(api, member, patient, django_assert_max_num_queries):
    chair = member("chair")
    client = api(chair)
    care_plan_save(
        by=chair,
        patient=patient,
        version=0,
        data={
            "review_on": timezone.localdate(),
            "needs": [{"domain": "home", "description": "Stairs"}],
            "interventions": [
                {"description": "Rail", "owner_role": "gp", "due_on": timezone.localdate()}
            ],
        },
    )
    client.get(url(patient))
    with django_assert_max_num_queries(12) as few:
        client.get(url(patient))
    care_plan_save(
        by=chair,
        patient=patient,
        version=1,
        data={
            "review_on": timezone.localdate(),
            "needs": [{"domain": "home", "description": f"Need {n}"} for n in range(12)],
            "interventions": [
                {"description": f"Do {n}", "owner": member(r), "due_on": timezone.localdate()}
                for n, r in enumerate(["gp", "pharmacist", "community_nurse", "social_worker"])
            ],
        },
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(url(patient)).json()["interventions"]) == 4


def test_more_needs_than_a_plan_may_hold_is_400_and_nothing_saved(api, member, patient):
    from careplans.api import MAX_ROWS

    soon = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    body = {
        "needs": [{"domain": "home", "description": f"Need {n}"} for n in range(MAX_ROWS + 1)],
        "interventions": [],
        "review_on": soon,
        "version": 0,
    }
    response = api(member("gp")).put(
        f"/api/v1/patients/{patient.pk}/care-plan/", body, format="json"
    )
    assert response.status_code == 400 and "needs" in response.json()
    assert not CarePlan.objects.exists()
