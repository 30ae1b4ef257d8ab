"""Role queues are claimed by one person; an away member's tasks reach their deputy."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from actions.models import Action
from networks.models import Cover
from networks.services import cover_end, cover_set
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db


def day(offset: int = 0) -> datetime.date:
    """The London day `offset` days from today, taken when the test runs (not at import: a
    run crossing midnight would otherwise set cover that ended yesterday)."""
    return timezone.localdate() + datetime.timedelta(days=offset)


def queued(patient, role="pharmacist", **kwargs):
    return ActionFactory(patient=patient, assignee_role=role, **kwargs)


def test_a_role_holder_claims_a_queued_task(api, member, patient):
    pharmacist = member("pharmacist")
    task = queued(patient)
    response = api(pharmacist).post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["assignee"] == pharmacist.username
    assert body["assignee_role"] == ""
    assert body["claimed_from_role"] == "pharmacist" and body["claimed_at"]


def test_the_second_claim_is_409_and_says_who(api, member, patient):
    first = member("pharmacist")
    second = member("pharmacist", username="pharmacist2.thornton-heath")
    task = queued(patient)
    assert api(first).post(f"/api/v1/tasks/{task.pk}/claim/").status_code == 200
    response = api(second).post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 409
    assert first.get_full_name() in str(response.json())
    task.refresh_from_db()
    assert task.assignee == first


def test_another_role_may_not_claim(api, member, patient):
    task = queued(patient)
    response = api(member("gp")).post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.assignee is None and task.assignee_role == "pharmacist"


@pytest.mark.django_db(transaction=True)
def test_two_claims_at_once_one_wins(member, patient):
    from actions.services import action_claim
    from core.errors import Conflict

    people = [member("pharmacist"), member("pharmacist", username="p2.thornton-heath")]
    task = queued(patient)
    outcomes = []
    barrier = threading.Barrier(2)

    def claim(user):
        barrier.wait()
        try:
            action_claim(action=task, by=user)
            outcomes.append("won")
        except Conflict:
            outcomes.append("409")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409", "won"]
    assert Action.objects.get(pk=task.pk).assignee in people


def test_a_deputy_sees_and_completes_the_away_members_tasks(api, member, patient, network):
    gp = member("gp")
    nurse = member("community_nurse")
    task = ActionFactory(patient=patient, assignee=gp, assignee_role="")
    client = api(nurse)
    assert task.pk not in [
        t["id"] for t in client.get("/api/v1/tasks/?mine=true").json()["results"]
    ]

    cover_set(
        network=network,
        member=gp,
        deputy=nurse,
        starts_on=day(),
        ends_on=day(5),
        by=gp,
    )
    assert task.pk in [t["id"] for t in client.get("/api/v1/tasks/?mine=true").json()["results"]]
    assert client.post(f"/api/v1/tasks/{task.pk}/done/").status_code == 200


def test_when_cover_ends_the_tasks_leave_the_deputys_list(api, member, patient, network):
    gp = member("gp")
    nurse = member("community_nurse")
    task = ActionFactory(patient=patient, assignee=gp, assignee_role="")
    cover = cover_set(
        network=network, member=gp, deputy=nurse, starts_on=day(), ends_on=day(), by=gp
    )

    def mine():
        response = api(nurse).get("/api/v1/tasks/?mine=true")
        return [t["id"] for t in response.json()["results"]]

    assert mine() == [task.pk]
    cover_end(cover=cover, by=gp)  # started today: removed
    assert not Cover.objects.exists()
    assert mine() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        # days from today, taken when the test runs
        ({"ends_on": -1}, "ends_on"),
        ({"starts_on": 3, "ends_on": 0}, "ends_on"),
        ({"deputy": "self"}, "deputy"),
        ({"deputy": "outsider"}, "deputy"),
        ({"ends_on": 400}, "ends_on"),
    ],
)
def test_bad_cover_is_refused_and_nothing_saved(member, network, other_network, change, field):
    from django.core.exceptions import ValidationError

    gp = member("gp")
    people = {"self": gp, "outsider": member("gp", net=other_network)}
    kwargs = {
        "network": network,
        "member": gp,
        "deputy": member("community_nurse"),
        "starts_on": day(),
        "ends_on": day(2),
        "by": gp,
    }
    kwargs.update({k: people[v] if k == "deputy" else day(v) for k, v in change.items()})
    with pytest.raises(ValidationError) as error:
        cover_set(**kwargs)
    assert field in error.value.message_dict
    assert not Cover.objects.exists()


def test_overlapping_cover_is_a_conflict(member, network):
    from core.errors import Conflict

    gp = member("gp")
    nurse = member("community_nurse")
    cover_set(
        network=network,
        member=gp,
        deputy=nurse,
        starts_on=day(),
        ends_on=day(4),
        by=gp,
    )
    with pytest.raises(Conflict):
        cover_set(
            network=network,
            member=gp,
            deputy=member("pharmacist"),
            starts_on=day(2),
            ends_on=day(9),
            by=gp,
        )
    assert Cover.objects.count() == 1


def test_ending_cover_under_way_ends_it_yesterday(member, network):
    gp = member("gp")
    cover = Cover.objects.create(
        network=network,
        member=gp,
        deputy=member("community_nurse"),
        starts_on=day(-3),
        ends_on=day(3),
        created_by=gp,
    )
    cover_end(cover=cover, by=gp)
    cover.refresh_from_db()
    assert cover.ends_on == day(-1)
