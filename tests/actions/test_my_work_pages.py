"""My work and Cover pages: who may open them, what each section lists, claiming from a role
queue (one winner, 409 for the loser, 403 for another role), marking done, cover set / end
(with validation and overlaps, nothing saved on bad input), the deputy's view of the covered
member's work, the count in the navigation, the access trail, and query counts that do not
grow with rows."""

import datetime
import html
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action
from actions.selectors import my_work_count
from audit.models import AccessEvent
from networks.current import SESSION_KEY
from networks.models import Cover
from networks.roles import CASEWORK_ROLES, Role
from networks.services import cover_set
from tests.factories import ActionFactory, MembershipFactory, PatientFactory
from tests.referrals.factories import ReferralFactory, age

pytestmark = pytest.mark.django_db

URL = "/my-work/"
HX = {"HX-Request": "true"}
ALL = [r.value for r in Role]
CASEWORK = {r.value for r in CASEWORK_ROLES}


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def text(response) -> str:
    return html.unescape(response.content.decode())


def plain(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def section(response, anchor: str) -> str:
    """The HTML of one <section id=anchor> of the page."""
    body = text(response)
    match = re.search(rf'<section [^>]*id="{anchor}".*?</section>', body, re.S)
    assert match, f"no section #{anchor}"
    return match.group(0)


def nav_count(response) -> int | None:
    match = re.search(
        r'<li id="nav-my-work"[^>]*>.*?(?:nav-badge" aria-hidden="true">(\d+)</span>)?</a></li>',
        text(response),
        re.S,
    )
    assert match, "no My work link in the navigation"
    return int(match.group(1)) if match.group(1) else None


def task_for(user, patient, **kwargs) -> Action:
    kwargs.setdefault("assignee_role", "")
    return ActionFactory(patient=patient, assignee=user, **kwargs)


def queue_task(role, patient, **kwargs) -> Action:
    return ActionFactory(patient=patient, assignee_role=role, **kwargs)


@pytest.fixture
def login(client, member):
    def make(role="pharmacist", net=None, username=None):
        user = member(role, net=net, username=username)
        client.force_login(user)
        return user

    return make


# --- who may open it ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL)
def test_my_work_by_role(client, login, role):
    login(role)
    response = client.get(URL)
    assert response.status_code == (200 if role in CASEWORK else 403)
    if role not in CASEWORK:
        assert "My work is for members who work with people" in text(response)


@pytest.mark.parametrize("role", ALL)
def test_nav_link_for_casework_roles_only(client, login, role):
    login(role)
    page = "/audit/" if role == "manager" else "/"
    response = client.get(page, follow=True)
    assert ('id="nav-my-work"' in text(response)) == (role in CASEWORK)


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["manager", "partner_system"])
def test_roles_without_casework_may_not_post(client, login, member, patient, role):
    user = login(role)
    task = task_for(user, patient, due_on=days(-1))  # even one given to them by name
    queue = queue_task(role, patient)
    for url in (f"/my-work/tasks/{task.pk}/done/", f"/my-work/tasks/{queue.pk}/claim/"):
        assert client.post(url).status_code == 403
    deputy = member("gp")
    response = client.post(
        "/my-work/away/", {"starts_on": days(1), "ends_on": days(2), "deputy": deputy.pk}
    )
    assert response.status_code == 403
    assert not Cover.objects.exists()
    assert Action.objects.filter(status="open").count() == 2


def test_get_only_page_and_post_only_writes(client, login):
    login()
    assert client.post(URL).status_code == 405
    assert client.get("/my-work/away/").status_code == 405
    assert client.get("/my-work/tasks/1/done/").status_code == 405


# --- what it lists ---------------------------------------------------------------------------


def test_sections_in_priority_order_each_task_once(client, login, member, network, patient):
    me = login("pharmacist")
    colleague = member("pharmacist", username="second.pharmacist")
    gp = member("gp")
    other = PatientFactory(network=network, given_name="Ada", family_name="Lovelace")
    overdue = task_for(me, patient, title="Overdue by name", due_on=days(-3))
    overdue_queue = queue_task("pharmacist", other, title="Overdue in queue", due_on=days(-1))
    due = task_for(me, patient, title="Due today by name", due_on=today())
    queue = queue_task("pharmacist", patient, title="Queue later", due_on=days(9))
    visit = task_for(me, other, title="Visit again", due_on=days(5), source="visit")
    far_visit = task_for(me, other, title="Far visit", due_on=days(30), source="visit")
    later = task_for(me, patient, title="Later by name", due_on=days(4), source="meeting")
    # Not mine: a colleague's by name, another role's queue, done, another network's.
    task_for(colleague, patient, title="Colleague's", due_on=today())
    queue_task("gp", patient, title="GP queue", due_on=today())
    done = task_for(me, patient, title="Already done", due_on=today())
    Action.objects.filter(pk=done.pk).update(status="done", done_at=timezone.now(), done_by=gp)

    response = client.get(URL)
    assert response.status_code == 200
    body = text(response)
    assert "Colleague's" not in body
    assert "GP queue" not in body
    assert "Already done" not in body

    overdue_html = section(response, "overdue")
    assert overdue_html.index("Overdue by name") < overdue_html.index("Overdue in queue")
    assert "Overdue by 3 days" in overdue_html
    assert f'action="/my-work/tasks/{overdue.pk}/done/"' in overdue_html
    # A queue task is claimed before it is done.
    assert f'action="/my-work/tasks/{overdue_queue.pk}/claim/"' in overdue_html
    assert f"/my-work/tasks/{overdue_queue.pk}/done/" not in overdue_html
    assert "Pharmacist queue: not yet claimed" in overdue_html

    assert "Due today by name" in section(response, "today")
    assert f"/my-work/tasks/{due.pk}/done/" in section(response, "today")
    queue_html = section(response, "queue")
    assert "Queue later" in queue_html and "Overdue in queue" not in queue_html
    assert f"/my-work/tasks/{queue.pk}/claim/" in queue_html
    follow_html = section(response, "follow-ups")
    assert "Visit again" in follow_html and "Far visit" not in follow_html
    assert f"/patients/{other.pk}/" in follow_html
    coming_html = section(response, "coming-up")
    assert "Later by name" in coming_html and "Far visit" in coming_html
    assert "Agreed at the huddle" in coming_html  # the network's word for its meeting
    assert coming_html.index("Later by name") < coming_html.index("Far visit")
    for task in (overdue, overdue_queue, due, queue, visit, far_visit, later):
        assert body.count(f'id="task-{task.pk}"') == 1
    # The navigation counts overdue, due today and the role queue: 2 + 1 + 1.
    assert nav_count(response) == 4
    assert 'aria-label="My work, 4 to do"' in body


def test_hub_vocabulary_and_chair_queue(client, member, other_network):
    chair = member("chair", net=other_network)
    client.force_login(chair)
    person = PatientFactory(network=other_network)
    queue_task("chair", person, title="Book the room", due_on=days(3), source="meeting")
    response = client.get(URL)
    queue_html = section(response, "queue")
    assert "Health and social care coordinator queue" in queue_html
    assert "Agreed at the virtual ward" in queue_html


def test_empty_states_say_what_to_do(client, login):
    login("social_worker")
    response = client.get(URL)
    body = text(response)
    assert "Nothing overdue, due today or waiting to be claimed." in body
    assert "No unclaimed tasks for your role" in section(response, "queue")
    assert "When you log a visit, give a follow-up date" in section(response, "follow-ups")
    assert "Tasks agreed at the huddle" in section(response, "coming-up")
    assert "No new referrals to Social services" in section(response, "referrals")
    assert nav_count(response) is None


def test_referrals_awaiting_triage_urgent_first_then_oldest(client, login, member, network):
    login("pharmacist")
    for i in range(6):
        age(ReferralFactory(patient__network=network, patient__family_name=f"Old{i}"), days=10 - i)
    urgent = ReferralFactory(
        patient__network=network, patient__family_name="Urgentperson", urgency="urgent"
    )
    ReferralFactory(patient__network=network, service="social_services")  # not theirs
    ReferralFactory(patient__network=network, accepted=True)  # triaged already
    response = client.get(URL)
    referrals = section(response, "referrals")
    assert "7 new referrals to Medicines optimisation" in referrals
    names = re.findall(r">(Urgentperson|Old\d)<|(\w+ (?:Urgentperson|Old\d))</a>", referrals)
    shown = [n[1].split()[-1] if n[1] else n[0] for n in names]
    assert shown == ["Urgentperson", "Old0", "Old1", "Old2", "Old3"]
    assert f"/referrals/inbox/medicines_optimisation/#referral-{urgent.pk}" in referrals
    assert 'href="/referrals/inbox/"' in referrals
    assert "Urgent" in referrals


def test_no_referrals_section_for_a_role_that_serves_none(client, login, network):
    login("integrated_manager")
    response = client.get(URL)
    assert 'id="referrals"' not in text(response)


def test_only_the_current_network(client, login, member, patient, foreign_patient, other_network):
    me = login("pharmacist")
    MembershipFactory(user=me, network=other_network, role="pharmacist")
    task_for(me, patient, title="Here", due_on=today())
    task_for(me, foreign_patient, title="Over there", due_on=today())
    session = client.session
    session[SESSION_KEY] = "thornton-heath"  # Purbeck would come first by name
    session.save()
    response = client.get(URL)
    assert "Here" in text(response) and "Over there" not in text(response)
    assert nav_count(response) == 1


def test_people_shown_are_in_the_access_trail(client, login, network, patient):
    me = login("pharmacist")
    task_for(me, patient, due_on=today())
    task_for(me, patient, due_on=days(2))
    referral = ReferralFactory(patient__network=network)
    client.get(URL)
    seen = set(
        AccessEvent.objects.filter(user=me, what="my_work", channel="page").values_list(
            "patient_id", flat=True
        )
    )
    assert seen == {patient.pk, referral.patient_id}
    assert AccessEvent.objects.filter(user=me, what="my_work").count() == 2


# --- claim ---------------------------------------------------------------------------------


def test_claim_winner_then_loser_409_names_the_winner(client, login, member, patient):
    first = login("pharmacist")
    task = queue_task("pharmacist", patient, title="Review", due_on=days(-1))
    response = client.post(f"/my-work/tasks/{task.pk}/claim/", headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    body = text(response)
    assert "Claimed: this task is yours now." in body
    assert "Yours, claimed from the pharmacist queue" in body
    assert f"/my-work/tasks/{task.pk}/done/" in body  # now it can be marked done
    assert 'id="nav-my-work" hx-swap-oob="true"' in body
    task.refresh_from_db()
    assert task.assignee == first and task.assignee_role == ""
    assert task.claimed_from_role == "pharmacist"

    second = member("pharmacist", username="second.pharmacist")
    client.force_login(second)
    response = client.post(f"/my-work/tasks/{task.pk}/claim/", headers=HX)
    assert response.status_code == 409
    body = text(response)
    assert f"{first.get_full_name()} has already claimed this task." in body
    assert f"It is in {first.get_full_name()}\u2019s work now." in body
    task.refresh_from_db()
    assert task.assignee == first


def test_claim_by_another_role_is_403(client, login, patient):
    login("gp")
    task = queue_task("pharmacist", patient)
    assert client.post(f"/my-work/tasks/{task.pk}/claim/", headers=HX).status_code == 403
    task.refresh_from_db()
    assert task.assignee is None and task.assignee_role == "pharmacist"


def test_claimed_task_by_another_role_is_still_403(client, login, member, patient):
    task = queue_task("pharmacist", patient)
    from actions.services import action_claim

    action_claim(action=task, by=member("pharmacist"))
    login("gp")
    assert client.post(f"/my-work/tasks/{task.pk}/claim/").status_code == 403


def test_claim_a_named_task_is_403(client, login, patient):
    me = login("pharmacist")
    task = task_for(me, patient)
    assert client.post(f"/my-work/tasks/{task.pk}/claim/").status_code == 403


def test_claim_without_javascript_redirects_with_a_message(client, login, patient):
    login("pharmacist")
    task = queue_task("pharmacist", patient, title="Review")
    response = client.post(f"/my-work/tasks/{task.pk}/claim/")
    assert response.status_code == 302 and response["Location"] == URL
    assert message_texts(response) == [f"Claimed: Review for {patient.full_name} is yours."]
    response = client.post(f"/my-work/tasks/{task.pk}/claim/")
    assert response.status_code == 302
    assert message_texts(response)[-1:] == [
        f"Review for {patient.full_name}: You already have this task."
    ]


def test_claim_or_done_in_another_network_is_404(client, login, foreign_patient):
    login("pharmacist")
    task = queue_task("pharmacist", foreign_patient)
    assert client.post(f"/my-work/tasks/{task.pk}/claim/").status_code == 404
    assert client.post(f"/my-work/tasks/{task.pk}/done/").status_code == 404
    assert client.post("/my-work/tasks/999999/done/").status_code == 404


# --- done ----------------------------------------------------------------------------------


def test_done_then_409_when_already_done(client, login, member, patient):
    me = login("pharmacist")
    task = task_for(me, patient, title="Call the daughter", due_on=days(-1))
    assert nav_count(client.get(URL)) == 1
    response = client.post(f"/my-work/tasks/{task.pk}/done/", headers=HX)
    assert response.status_code == 200
    body = text(response)
    assert f"Done: Call the daughter for {patient.full_name}." in plain(response)
    # The count in the navigation is updated out of band: nothing left.
    assert 'id="nav-my-work" hx-swap-oob="true"' in body and "nav-badge" not in body
    task.refresh_from_db()
    assert task.status == "done" and task.done_by == me

    response = client.post(f"/my-work/tasks/{task.pk}/done/", headers=HX)
    assert response.status_code == 409
    assert "This task is already done." in text(response)
    assert f"Marked done by {me.get_full_name()}" in text(response)


def test_done_without_javascript(client, login, patient):
    me = login("pharmacist")
    task = task_for(me, patient, title="Call")
    response = client.post(f"/my-work/tasks/{task.pk}/done/")
    assert response.status_code == 302
    assert message_texts(response) == [f"Done: Call for {patient.full_name}."]
    response = client.post(f"/my-work/tasks/{task.pk}/done/")
    assert message_texts(response)[-1:] == [
        f"Call for {patient.full_name}: This task is already done."
    ]


def test_done_by_the_care_team_as_the_rules_say(client, login, member, patient):
    """`actions.complete_action`: the assignee, the role, the deputy, or any role that sees
    clinical detail in the network (the care team); managers never."""
    pharmacist = member("pharmacist")
    task = task_for(pharmacist, patient)
    login("gp")
    assert client.post(f"/my-work/tasks/{task.pk}/done/", headers=HX).status_code == 200
    task2 = task_for(pharmacist, patient)
    login("manager")
    assert client.post(f"/my-work/tasks/{task2.pk}/done/", headers=HX).status_code == 403
    task2.refresh_from_db()
    assert task2.status == "open"


def test_a_pic_completes_only_their_own_or_the_pic_queues_tasks(client, login, member, patient):
    """Found in the go-live attack pass: the voluntary-sector PIC could complete any task in
    the network from My work, clinical ones included."""
    pharmacist = member("pharmacist")
    clinical = task_for(pharmacist, patient, title="Stop warfarin")
    me = login("pic")
    response = client.post(f"/my-work/tasks/{clinical.pk}/done/", headers=HX)
    assert response.status_code == 403
    assert "warfarin" not in response.content.decode()
    clinical.refresh_from_db()
    assert clinical.status == "open"
    queued = ActionFactory(patient=patient, assignee=None, assignee_role="pic")
    named = task_for(me, patient, title="Befriending call")
    for task in (queued, named):
        assert client.post(f"/my-work/tasks/{task.pk}/done/", headers=HX).status_code == 200
        task.refresh_from_db()
        assert task.status == "done"


# --- cover ---------------------------------------------------------------------------------


def cover_data(deputy, start=1, end=5, **extra) -> dict:
    data = {"starts_on": days(start), "ends_on": days(end), "deputy": deputy.pk, "note": ""}
    data.update(extra)
    return data


def test_the_away_card_offers_active_casework_members_other_than_me(client, login, member, network):
    me = login("pharmacist")
    gp = member("gp")
    member("manager")
    gone = member("social_worker")
    gone.memberships.update(is_active=False, deactivated_at=timezone.now())
    away = section(client.get(URL), "away")
    deputies = re.search(r'<select name="deputy".*?</select>', away, re.S).group(0)
    assert f'value="{gp.pk}"' in deputies
    assert f'value="{me.pk}"' not in deputies
    assert "manager" not in deputies.lower()
    assert f'value="{gone.pk}"' not in deputies
    assert 'name="member"' not in away  # only the chair and integrated managers choose


def test_set_own_cover_then_it_shows_and_can_be_ended(client, login, member, network):
    me = login("pharmacist")
    gp = member("gp")
    response = client.post("/my-work/away/", cover_data(gp, -2, 4, note="Annual leave"))
    assert response.status_code == 302 and response["Location"] == "/my-work/#away"
    cover = Cover.objects.get()
    assert (cover.member, cover.deputy, cover.created_by) == (me, gp, me)
    assert (cover.starts_on, cover.ends_on, cover.note) == (days(-2), days(4), "Annual leave")
    assert message_texts(response)[0].startswith(f"Cover recorded: {gp.get_full_name()} covers")

    page = client.get(URL)
    assert "You are marked away until" in text(page)
    away = section(page, "away")
    assert "Away now" in away and "Annual leave" in away
    assert f'action="/my-work/away/{cover.pk}/end/#away"' in away

    response = client.post(f"/my-work/away/{cover.pk}/end/")
    assert response.status_code == 302
    assert Cover.objects.get().ends_on == days(-1)  # under way: ends yesterday
    assert "You are marked away" not in text(client.get(URL))


def test_end_a_planned_cover_removes_it(client, login, member):
    me = login("pharmacist")
    cover = cover_set(
        network=me.memberships.get().network,
        member=me,
        deputy=member("gp"),
        starts_on=days(3),
        ends_on=days(4),
        by=me,
    )
    response = client.post(f"/my-work/away/{cover.pk}/end/")
    assert response.status_code == 302
    assert not Cover.objects.exists()
    assert message_texts(response)[0].startswith("Cover cancelled")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"starts_on": ""}, "starts_on", "Give the first day away."),
        ({"ends_on": ""}, "ends_on", "Give the last day away."),
        ({"starts_on": "not a date"}, "starts_on", "First day away must be a real date"),
        ({"starts_on": days(5), "ends_on": days(2)}, "ends_on", "cannot be before the first"),
        ({"starts_on": days(-9), "ends_on": days(-2)}, "ends_on", "cannot be in the past"),
        ({"ends_on": days(400)}, "ends_on", "up to a year"),
        ({"deputy": ""}, "deputy", "Choose who covers."),
        ({"deputy": "me"}, "deputy", "Select a valid choice"),
        ({"deputy": "foreign"}, "deputy", "Select a valid choice"),
        ({"deputy": "manager"}, "deputy", "Select a valid choice"),
        ({"note": "x" * 201}, "note", "Keep the note to 200 characters."),
    ],
)
def test_bad_cover_input_is_422_next_to_the_field_nothing_saved(
    client, login, member, other_network, change, field, message
):
    me = login("pharmacist")
    gp = member("gp")
    people = {
        "me": me,
        "foreign": member("gp", net=other_network),
        "manager": member("manager"),
    }
    data = cover_data(gp)
    data.update({k: (people[v].pk if v in people else v) for k, v in change.items()})
    response = client.post("/my-work/away/", data)
    assert response.status_code == 422
    away = section(response, "away")
    error = re.search(  # a div, or for the dates (NHS date inputs) a span in their fieldset
        rf'id="cover-{field}_error">((?:(?!</div>).)*)', away, re.S
    )
    assert error and message in error.group(1), away
    assert re.search(rf'<[^>]+name="{field}(-day|-month|-year)?"[^>]*autofocus', away)
    assert not Cover.objects.exists()


def test_overlapping_cover_is_409_and_nothing_saved(client, login, member):
    me = login("pharmacist")
    gp = member("gp")
    nurse = member("community_nurse")
    assert client.post("/my-work/away/", cover_data(gp, 1, 5)).status_code == 302
    response = client.post("/my-work/away/", cover_data(nurse, 4, 8))
    assert response.status_code == 409
    away = section(response, "away")
    assert "Cover was not recorded" in away
    assert f"already covered by {gp.get_full_name()}" in away
    assert Cover.objects.count() == 1 and Cover.objects.get().deputy == gp
    assert me.pk == Cover.objects.get().member_id


def test_a_member_cannot_set_cover_for_someone_else(client, login, member):
    me = login("pharmacist")
    gp = member("gp")
    nurse = member("community_nurse")
    response = client.post("/my-work/away/", cover_data(gp, member=nurse.pk))
    assert response.status_code == 302
    assert Cover.objects.get().member == me  # the member field is not theirs to choose


@pytest.mark.parametrize("role", ["chair", "integrated_manager"])
def test_chair_and_integrated_manager_set_and_end_cover_for_any_member(client, login, member, role):
    boss = login(role)
    nurse = member("community_nurse")
    gp = member("gp")
    away = section(client.get(URL), "away")
    assert 'name="member"' in away
    response = client.post("/my-work/away/", cover_data(gp, -1, 3, member=nurse.pk))
    assert response.status_code == 302
    cover = Cover.objects.get()
    assert (cover.member, cover.deputy, cover.created_by) == (nurse, gp, boss)
    assert f"covers {nurse.get_full_name()}\u2019s work" in message_texts(response)[0]
    away = section(client.get(URL), "away")
    assert nurse.get_full_name() in away and "Away now" in away
    # The same person cannot cover themselves.
    response = client.post("/my-work/away/", cover_data(nurse, 5, 6, member=nurse.pk))
    assert response.status_code == 422
    assert "Choose someone else to cover for you." in section(response, "away")
    # An overlap is told about the member away, not "you".
    response = client.post("/my-work/away/", cover_data(gp, 2, 6, member=nurse.pk))
    assert response.status_code == 409
    assert f"{nurse.get_full_name()} is already covered by {gp.get_full_name()}" in section(
        response, "away"
    )
    response = client.post(f"/my-work/away/{cover.pk}/end/")
    assert response.status_code == 302
    assert message_texts(response)[-1] == (
        f"Cover ended: from today {nurse.get_full_name()}\u2019s tasks are no longer with "
        f"{gp.get_full_name()}."
    )
    assert Cover.objects.get().ends_on == days(-1)


def test_every_field_error_at_once(client, login, member):
    login("pharmacist")
    response = client.post("/my-work/away/", {"starts_on": days(5), "ends_on": days(2)})
    assert response.status_code == 422
    away = section(response, "away")
    assert "The last day away cannot be before the first." in away
    assert "Choose who covers." in away
    assert 'action="/my-work/away/#cover-form"' in away
    assert not Cover.objects.exists()


def test_others_may_not_end_a_members_cover(client, login, member, network, other_network):
    nurse = member("community_nurse")
    gp = member("gp")
    cover = cover_set(
        network=network, member=nurse, deputy=gp, starts_on=days(1), ends_on=days(2), by=nurse
    )
    client.force_login(gp)  # even the deputy
    assert client.post(f"/my-work/away/{cover.pk}/end/").status_code == 403
    login("pharmacist", net=other_network)
    assert client.post(f"/my-work/away/{cover.pk}/end/").status_code == 404
    assert Cover.objects.get().ends_on == days(2)


# --- the deputy ----------------------------------------------------------------------------


def test_deputy_sees_the_covered_members_items_and_marks_them_done(
    client, member, network, patient
):
    away = member("pharmacist")
    deputy = member("pharmacist", username="deputy.pharmacist")
    overdue = task_for(away, patient, title="Covered overdue", due_on=days(-2))
    later = task_for(away, patient, title="Covered later", due_on=days(6))
    cover_set(
        network=network,
        member=away,
        deputy=deputy,
        starts_on=today(),
        ends_on=days(6),
        note="Annual leave",
        by=away,
    )
    client.force_login(deputy)
    response = client.get(URL)
    body = text(response)
    assert f"You are covering for {away.get_full_name()} until" in plain(response)
    assert "Their note: Annual leave" in body
    overdue_html = section(response, "overdue")
    assert "Covered overdue" in overdue_html
    assert f"Covering for {away.get_full_name()}" in overdue_html
    assert "Covered later" in section(response, "coming-up")
    assert nav_count(response) == 1

    response = client.post(f"/my-work/tasks/{overdue.pk}/done/", headers=HX)
    assert response.status_code == 200
    overdue.refresh_from_db()
    assert overdue.status == "done" and overdue.done_by == deputy

    # Once the cover has ended, the items are the member's alone again.
    Cover.objects.update(starts_on=days(-5), ends_on=days(-1))
    response = client.get(URL)
    assert "Covered later" not in text(response)
    assert "You are covering for" not in plain(response)
    assert later.status == "open"


# --- the count in the navigation -----------------------------------------------------------


def test_nav_count_on_other_pages_matches_the_page(client, login, member, patient):
    me = login("pharmacist")
    task_for(me, patient, due_on=days(-1))
    task_for(me, patient, due_on=today())
    task_for(me, patient, due_on=days(3))  # later: not counted
    queue_task("pharmacist", patient, due_on=days(20))
    queue_task("gp", patient, due_on=today())  # another role's queue: not counted
    response = client.get("/patients/")
    assert nav_count(response) == 3
    assert nav_count(client.get(URL)) == 3
    assert my_work_count(me, patient.network, today()) == 3
    # Covering a colleague today: their overdue and due-today tasks count too.
    away = member("gp")
    task_for(away, patient, due_on=days(-4))
    task_for(away, patient, due_on=days(1))  # later: not counted
    queue_task("gp", patient, due_on=days(-4))  # their role's queue is not covered
    cover_set(
        network=patient.network,
        member=away,
        deputy=me,
        starts_on=today(),
        ends_on=days(2),
        by=away,
    )
    assert nav_count(client.get("/patients/")) == 4
    assert nav_count(client.get(URL)) == 4


# --- query counts --------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_my_work_queries_do_not_grow_with_rows(
    client, login, member, network, django_assert_max_num_queries
):
    me = login("chair")
    away = member("gp")
    nurse = member("community_nurse")
    cover_set(network=network, member=away, deputy=me, starts_on=today(), ends_on=days(3), by=me)

    def grow(n: int) -> None:
        for i in range(n):
            person = PatientFactory(network=network)
            task_for(me, person, due_on=days(-1 - i))
            task_for(me, person, due_on=today())
            queue_task("chair", person, due_on=days(5 + i))
            task_for(me, person, due_on=days(3 + i), source="visit")
            task_for(me, person, due_on=days(20 + i))
            task_for(away, person, due_on=days(i))
            ReferralFactory(patient=person, urgency="urgent" if i % 2 else "routine")
            helper = member("social_worker", username=f"sw{n}-{i}")
            cover_set(
                network=network,
                member=helper,
                deputy=nurse,
                starts_on=days(1 + i),
                ends_on=days(2 + i),
                by=me,
            )

    grow(1)
    few = count_queries(client, URL)
    grow(12)
    with django_assert_max_num_queries(few):
        response = client.get(URL)
    assert response.status_code == 200
    assert count_queries(client, URL) == few
    assert few <= 13, few


def test_a_long_list_shows_its_first_tasks_its_total_and_a_link_to_the_rest(
    client, login, network, django_assert_max_num_queries
):
    from actions.views import MY_WORK_SHOWN

    me = login("pharmacist")
    person = PatientFactory(network=network)
    overdue = [task_for(me, person, due_on=days(-1 - i)) for i in range(MY_WORK_SHOWN + 2)]
    queued = [queue_task("pharmacist", person, due_on=days(5)) for _ in range(3)]
    few = count_queries(client, URL)
    with django_assert_max_num_queries(few):
        response = client.get(URL)
    page = section(response, "overdue")
    shown = [int(i) for i in re.findall(r'id="task-(\d+)"', page)]
    # The oldest first, cut after MY_WORK_SHOWN; the total and the way to the rest stay.
    oldest = sorted(overdue, key=lambda t: (t.due_on, t.pk))[:MY_WORK_SHOWN]
    assert shown == [t.pk for t in oldest]
    assert f"Overdue ({MY_WORK_SHOWN + 2})" in text(response)
    assert f"The first {MY_WORK_SHOWN} of {MY_WORK_SHOWN + 2}" in page
    assert "?show=all#overdue" in page
    assert nav_count(response) == MY_WORK_SHOWN + 2 + len(queued)
    # Only the people shown are on the access trail; here the one person, once.
    assert AccessEvent.objects.filter(user=me, what="my_work").count() == 2
    everything = section(client.get(URL + "?show=all"), "overdue")
    assert len(re.findall(r'id="task-(\d+)"', everything)) == MY_WORK_SHOWN + 2
    assert "?show=all#overdue" not in everything
