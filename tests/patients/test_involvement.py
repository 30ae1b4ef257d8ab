"""Legitimate relationship (issue #17 item 1): a clinical member reads a person's clinical
detail only when involved in their care, each path on its own; the network's setting off
opens everyone; a break-glass grant opens one person for BREAK_GLASS_HOURS, on the person's
page and by the API, for the roles that may read clinical detail at all."""

import datetime
import html

import pytest
from django.utils import timezone

from audit.models import AccessEvent, BreakGlass
from networks.models import Membership
from patients.involvement import clinical_patient_ids, involved_patient_ids
from patients.models import Patient
from patients.services import care_team_add, patient_update
from tests.factories import ActionFactory, PatientFactory

pytestmark = pytest.mark.django_db

SECRET = "Warfarin, INR unstable"


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def person(network, member):
    return PatientFactory(network=network, clinical_notes=SECRET, caseload_reason="Falls")


def involved(user, person) -> bool:
    return person.pk in involved_patient_ids(user, [person.pk])


# --- each path, one by one -------------------------------------------------------------------


def test_a_clinical_member_with_no_tie_is_not_involved(member, person):
    assert not involved(member("gp"), person)


def test_the_key_worker_is_involved(member, person):
    gp = member("gp")
    patient_update(
        patient=person,
        by=member("chair"),
        clinical_allowed=True,
        key_worker=Membership.objects.get(user=gp),
    )
    assert involved(gp, person)


def test_the_care_team_is_involved(member, person):
    gp = member("gp")
    care_team_add(patient=person, membership=Membership.objects.get(user=gp), by=gp)
    assert involved(gp, person)


def test_who_added_the_person_lately_is_involved(member, network):
    gp = member("gp")
    person = PatientFactory(network=network, created_by=gp)
    assert involved(gp, person)
    Patient.objects.filter(pk=person.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    assert not involved(gp, person)


def test_the_chair_is_involved_with_everyone(member, person):
    assert involved(member("chair"), person)


@pytest.mark.parametrize(
    ("status", "closed_days_ago", "expected"),
    [
        ("new", None, True),
        ("accepted", None, True),
        ("completed", 3, True),
        ("completed", 40, False),
    ],
)
def test_serving_a_service_with_a_referral_open_or_closed_recently(
    member, person, status, closed_days_ago, expected
):
    from referrals.models import Referral
    from referrals.services import referral_accept, referral_complete, referral_create

    chair = member("chair")
    referral = referral_create(
        patient=person, service="medicines_optimisation", reason="Stockpile", by=chair
    ).referral
    if status != "new":
        referral = referral_accept(referral=referral, by=chair)
    if status == "completed":
        referral_complete(referral=referral, by=chair, outcome="Reviewed")
        Referral.objects.filter(pk=referral.pk).update(
            closed_at=timezone.now() - datetime.timedelta(days=closed_days_ago)
        )
    assert involved(member("pharmacist"), person) is expected
    assert not involved(member("social_worker"), person)  # serves another service


def test_serving_follows_the_networks_own_service_config(member, person):
    from referrals.models import ServiceConfig

    ServiceConfig.objects.update_or_create(
        network=person.network,
        service="medicines_optimisation",
        defaults={"serving_roles": ["gp"]},
    )
    from referrals.services import referral_create

    referral_create(
        patient=person, service="medicines_optimisation", reason="Stockpile", by=member("chair")
    )
    assert involved(member("gp"), person)
    assert not involved(member("pharmacist"), person)


def test_a_task_about_them_by_name_or_role_queue(member, person):
    gp, nurse, physio = member("gp"), member("community_nurse"), member("physiotherapist")
    ActionFactory(patient=person, assignee=gp, assignee_role="")
    ActionFactory(patient=person, assignee_role="community_nurse")
    assert involved(gp, person)
    assert involved(nurse, person)
    assert not involved(physio, person)


def test_a_task_done_long_ago_no_longer_involves(member, person):
    gp = member("gp")
    ActionFactory(
        patient=person,
        assignee=gp,
        assignee_role="",
        status="done",
        done_at=timezone.now() - datetime.timedelta(days=60),
    )
    assert not involved(gp, person)


def test_present_at_or_chairing_a_meeting_with_them_on_the_agenda(member, person, network):
    from huddles.models import AgendaItem, Attendance, Meeting

    gp, ot, nurse = member("gp"), member("occupational_therapist"), member("community_nurse")
    past = Meeting.objects.create(
        network=network, starts_at=timezone.now() - datetime.timedelta(days=10), chair=ot
    )
    AgendaItem.objects.create(meeting=past, patient=person, reason="Falls")
    Attendance.objects.create(meeting=past, user=gp, present=True)
    Attendance.objects.create(meeting=past, user=nurse, present=False)
    assert involved(gp, person)
    assert involved(ot, person)  # chaired it
    assert not involved(nurse, person)  # sent apologies


def test_a_meeting_long_ago_no_longer_involves(member, person, network):
    from huddles.models import AgendaItem, Attendance, Meeting

    gp = member("gp")
    old = Meeting.objects.create(
        network=network, starts_at=timezone.now() - datetime.timedelta(days=120)
    )
    AgendaItem.objects.create(meeting=old, patient=person, reason="Falls")
    Attendance.objects.create(meeting=old, user=gp, present=True)
    assert not involved(gp, person)


def test_the_allocated_pharmacist_of_a_care_home_resident(member, person):
    from medicines.models import ResidentAllocation

    pharmacist = member("pharmacist")
    ResidentAllocation.objects.create(
        patient=person,
        member=Membership.objects.get(user=pharmacist),
        allocated_by=member("chair"),
        allocated_at=timezone.now(),
    )
    assert involved(pharmacist, person)
    assert not involved(member("pharmacy_technician"), person)


def test_who_visited_them_lately(member, person):
    from medicines.models import Visit
    from medicines.services import visit_log

    nurse, gp = member("community_nurse"), member("gp")
    visit = visit_log(patient=person, by=nurse, kind="home", visited_at=timezone.now()).visit
    assert involved(nurse, person)
    assert not involved(gp, person)
    Visit.objects.filter(pk=visit.pk).update(
        visited_at=timezone.now() - datetime.timedelta(days=100)
    )
    assert not involved(nurse, person)


def test_the_setting_off_involves_every_clinical_member_but_not_the_pic(member, person, network):
    network.involvement_required = False
    network.save()
    gp, pic = member("gp"), member("pic")
    assert involved(gp, person)
    assert clinical_patient_ids(gp, [person]) == {person.pk}
    assert clinical_patient_ids(pic, [person]) == set()


def test_the_batch_is_one_query_whatever_the_count(member, network, django_assert_max_num_queries):
    gp = member("gp")
    people = [PatientFactory(network=network) for _ in range(12)]
    care_team_add(patient=people[0], membership=Membership.objects.get(user=gp), by=gp)
    Membership.objects.get(user=gp)  # memberships read before counting
    from networks.selectors import active_memberships

    active_memberships(gp)
    with django_assert_max_num_queries(1):
        assert clinical_patient_ids(gp, people) == {people[0].pk}


# --- the person's page and the API read ------------------------------------------------------


def test_the_setting_is_in_the_networks_admin_with_its_help(client, network):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = text(client.get(f"/admin/networks/network/{network.pk}/change/"))
    assert "Clinical detail only for those involved" in page
    assert "may break the glass" in page


def test_the_person_page_shows_who_is_involved_and_the_glass_not_the_detail(client, member, person):
    nurse = member("community_nurse")
    care_team_add(patient=person, membership=Membership.objects.get(user=nurse), by=nurse)
    client.force_login(member("gp"))
    page = text(client.get(f"/patients/{person.pk}/"))
    assert f"You are not involved in {person.full_name}" in page
    assert nurse.get_full_name() in page
    assert "Break the glass" in page
    assert SECRET not in page
    assert person.family_name in page  # identity stays


def test_an_involved_member_reads_the_detail_and_sees_no_panel(client, member, person):
    gp = member("gp")
    care_team_add(patient=person, membership=Membership.objects.get(user=gp), by=gp)
    client.force_login(gp)
    page = text(client.get(f"/patients/{person.pk}/"))
    assert SECRET in page
    assert "You are not involved" not in page


def test_the_api_read_leaves_out_clinical_fields_and_says_why(api, member, person):
    gp = member("gp")
    body = api(gp).get(f"/api/v1/patients/{person.pk}/").json()
    assert "clinical_notes" not in body
    assert body["efi"] is None
    assert body["clinical_access"] == "not_involved"
    assert body["family_name"] == person.family_name
    assert (
        api(member("chair")).get(f"/api/v1/patients/{person.pk}/").json()["clinical_access"]
        == "full"
    )
    assert (
        api(member("pic")).get(f"/api/v1/patients/{person.pk}/").json()["clinical_access"] == "role"
    )


def test_the_api_list_leaves_out_clinical_fields_of_those_not_involved(api, member, network):
    gp = member("gp")
    mine = PatientFactory(network=network, clinical_notes="mine")
    theirs = PatientFactory(network=network, clinical_notes="theirs")
    care_team_add(patient=mine, membership=Membership.objects.get(user=gp), by=gp)
    rows = {r["id"]: r for r in api(gp).get("/api/v1/patients/").json()["results"]}
    assert rows[mine.pk]["clinical_notes"] == "mine"
    assert "clinical_notes" not in rows[theirs.pk]


# --- breaking the glass ----------------------------------------------------------------------


def test_breaking_the_glass_on_the_page_opens_the_record_and_tells_the_trail(
    client, member, person
):
    gp = member("gp")
    member("ig_lead")
    client.force_login(gp)
    form = client.get(f"/patients/{person.pk}/break-glass/")
    assert form.status_code == 200
    assert "information governance lead is told" in text(form)
    response = client.post(
        f"/patients/{person.pk}/break-glass/",
        {"reason_code": "vital_interests", "reason": "Found collapsed at home"},
    )
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert SECRET in page
    assert "You broke the glass" in page
    assert "record: it is open to you until" in page
    grant = BreakGlass.objects.get(user=gp, patient=person)
    assert grant.reason_code == "vital_interests"
    assert AccessEvent.objects.filter(user=gp, what="break_glass", channel="page").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"reason_code": "", "reason": "Found collapsed"},
        {"reason_code": "curiosity", "reason": "Found collapsed"},
        {"reason_code": "consent", "reason": ""},
    ],
)
def test_a_break_glass_without_a_coded_reason_and_a_reason_is_422_and_saves_nothing(
    client, member, person, data
):
    client.force_login(member("gp"))
    response = client.post(f"/patients/{person.pk}/break-glass/", data)
    assert response.status_code == 422
    assert "There is a problem" in text(response)
    assert not BreakGlass.objects.exists()


@pytest.mark.parametrize("role", ["pic", "manager", "ig_lead", "care_home_staff"])
def test_roles_that_read_no_clinical_detail_may_not_break_the_glass(
    client, api, member, person, role
):
    user = member(role)
    client.force_login(user)
    body = {"reason_code": "consent", "reason": "Asked"}
    assert client.post(f"/patients/{person.pk}/break-glass/", body).status_code == 403
    response = api(user).post(f"/api/v1/patients/{person.pk}/break-glass/", body, format="json")
    assert response.status_code == 403
    assert not BreakGlass.objects.exists()


def test_breaking_the_glass_by_the_api_returns_the_whole_record(api, member, person):
    gp = member("gp")
    client = api(gp)
    response = client.post(
        f"/api/v1/patients/{person.pk}/break-glass/",
        {"reason_code": "safeguarding", "reason": "Concern raised by neighbour"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["clinical_notes"] == SECRET
    assert response.json()["clinical_access"] == "break_glass"
    assert client.get(f"/api/v1/patients/{person.pk}/").json()["clinical_notes"] == SECRET


@pytest.mark.parametrize(
    "body", [{"reason_code": "nosy", "reason": "x"}, {"reason_code": "legal"}, {}]
)
def test_a_bad_break_glass_by_the_api_is_400_and_saves_nothing(api, member, person, body):
    response = api(member("gp")).post(
        f"/api/v1/patients/{person.pk}/break-glass/", body, format="json"
    )
    assert response.status_code == 400
    assert not BreakGlass.objects.exists()


def test_an_expired_grant_no_longer_opens_the_record(api, member, person):
    gp = member("gp")
    client = api(gp)
    client.post(
        f"/api/v1/patients/{person.pk}/break-glass/",
        {"reason_code": "consent", "reason": "She asked me to look"},
        format="json",
    )
    BreakGlass.objects.filter(user=gp).update(
        at=timezone.now() - datetime.timedelta(hours=30),
        expires_at=timezone.now() - datetime.timedelta(hours=1),
    )
    body = client.get(f"/api/v1/patients/{person.pk}/").json()
    assert "clinical_notes" not in body
    assert body["clinical_access"] == "not_involved"


# --- the kept statement (patients.involvement._ask) -----------------------------------------


def _fresh(user):
    """The user as a new request finds them (no memberships or answers remembered)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user.pk)


def test_the_kept_statement_judges_by_the_clock_and_rows_of_the_moment(member, person):
    """Compiled once per user and memberships, the statement carries no time: a task, a
    closed referral or a grant that ages past its window stops counting at once."""
    from patients import involvement

    gp = member("gp")
    task = ActionFactory(
        patient=person, assignee=gp, assignee_role="", status="done", done_at=timezone.now()
    )
    assert involvement.clinical_access(_fresh(gp), person) == involvement.FULL
    kept = involvement._STATEMENTS[involvement._statement_key(_fresh(gp))]

    type(task).objects.filter(pk=task.pk).update(
        # A microsecond past the window now, inside it when the statement was first made.
        done_at=timezone.now() - datetime.timedelta(days=involvement.RECENT_DAYS, microseconds=1)
    )
    assert involvement.clinical_access(_fresh(gp), person) == involvement.NOT_INVOLVED

    grant = BreakGlass.objects.create(
        user=gp,
        patient=person,
        network=person.network,
        reason_code="consent",
        reason="She asked me to look",
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    assert involvement.clinical_access(_fresh(gp), person) == involvement.BREAK_GLASS
    BreakGlass.objects.filter(pk=grant.pk).update(
        at=timezone.now() - datetime.timedelta(hours=2),
        expires_at=timezone.now() - datetime.timedelta(microseconds=1),
    )
    assert involvement.clinical_access(_fresh(gp), person) == involvement.NOT_INVOLVED
    assert involvement._STATEMENTS[involvement._statement_key(_fresh(gp))] is kept


def test_a_new_role_gets_a_statement_of_its_own(member, person):
    """The statement depends on the member's roles: a role-queue task involves the
    pharmacist, and no longer the same user once their role is another."""
    from patients import involvement

    user = member("pharmacist")
    ActionFactory(patient=person, assignee_role="pharmacist")
    before = involvement._statement_key(_fresh(user))
    assert person.pk in clinical_patient_ids(_fresh(user), [person])
    Membership.objects.filter(user=user).update(role="physiotherapist")
    assert involvement._statement_key(_fresh(user)) != before
    assert person.pk not in clinical_patient_ids(_fresh(user), [person])


def test_the_kept_statement_agrees_with_the_orm_on_every_path(member, network, other_network):
    """clinical_patient_ids (the kept statement) against involved_patient_ids (the ORM
    condition, built afresh): the same people, for members of one network and of two."""
    gp, nurse = member("gp"), member("community_nurse")
    member("gp", net=other_network, username=gp.username)
    people = PatientFactory.create_batch(6, network=network)
    elsewhere = PatientFactory.create_batch(2, network=other_network)
    patient_update(
        patient=people[0],
        by=member("chair"),
        clinical_allowed=True,
        key_worker=Membership.objects.get(user=gp, network=network),
    )
    care_team_add(
        patient=people[1], membership=Membership.objects.get(user=nurse), by=member("chair")
    )
    ActionFactory(patient=people[2], assignee=gp, assignee_role="")
    ActionFactory(patient=people[3], assignee_role="community_nurse")
    ActionFactory(patient=elsewhere[0], network=other_network, assignee=gp, assignee_role="")
    everyone = [*people, *elsewhere]
    for user in (gp, nurse):
        ids = involved_patient_ids(_fresh(user), [p.pk for p in everyone])
        assert clinical_patient_ids(_fresh(user), everyone) == ids
        assert ids  # each is involved with someone, not with everyone
        assert len(ids) < len(everyone)


# --- query counts ----------------------------------------------------------------------------


def _grow(network, gp, nurse, n):
    from medicines.services import medication_add, visit_log

    for i in range(n):
        person = PatientFactory(network=network)
        visit_log(patient=person, by=nurse, kind="home", visited_at=timezone.now())
        medication_add(
            patient=person, by=nurse, name="Ramipril", dose_amount=1, frequency="once_daily"
        )
        if i % 2:
            care_team_add(patient=person, membership=Membership.objects.get(user=gp), by=gp)


@pytest.mark.parametrize(
    "url", ["/patients/", "/api/v1/patients/", "/api/v1/visits/", "/api/v1/medications/"]
)
def test_lists_for_a_member_involved_with_some_do_not_grow(client, api, member, network, url):
    from tests.test_query_counts import count_queries

    gp, nurse = member("gp"), member("community_nurse")
    if url.startswith("/api/"):
        token_client = api(gp)
        get = lambda: token_client.get(url)  # noqa: E731
    else:
        client.force_login(gp)
        get = lambda: client.get(url)  # noqa: E731
    _grow(network, gp, nurse, 2)
    few = count_queries(get)
    _grow(network, gp, nurse, 12)
    many = count_queries(get)
    assert many == few, f"{url}: {few} queries with few rows, {many} with many"


def test_the_person_page_for_a_member_not_involved_keeps_its_budget(
    client, member, person, django_assert_max_num_queries
):
    nurse = member("community_nurse")
    care_team_add(patient=person, membership=Membership.objects.get(user=nurse), by=nurse)
    client.force_login(member("gp"))
    client.get(f"/patients/{person.pk}/")
    with django_assert_max_num_queries(34):  # tests/patients/test_views.py's 33, plus 1
        assert client.get(f"/patients/{person.pk}/").status_code == 200
