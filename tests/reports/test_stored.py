"""The dashboard's red flags and goals are read from counts kept as flags and goals change
(reports/stored.py): exact at every moment (each change read back at once), the same as
counting the flags and goals themselves after any mix of changes, moved with a person who
moves network, and rebuilt from history."""

import random
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from actions.models import Action
from core import rls
from huddles.models import AgendaItem, Episode, Meeting
from medicines import services as medicine_services
from medicines.models import Visit
from networks.models import Membership
from patients import services as patient_services
from patients.models import Goal, Patient
from referrals import services as referral_services
from referrals.models import PatientFlag, RedFlag
from reports import followed, stored
from reports.figures import (
    Scope,
    actions_agreed_counted,
    admissions_after_discharge,
    admissions_after_discharge_counted,
    admissions_avoided,
    admissions_avoided_counted,
    goals,
    goals_counted,
    red_flags_by_month,
    red_flags_by_month_counted,
    visits_per_pharmacist,
    visits_per_pharmacist_counted,
)
from reports.models import AdmissionEvent
from tests.core.test_rls import APP_ROLE, ensure_app_role
from tests.factories import ActionFactory, PatientFactory
from tests.referrals.factories import PatientFlagFactory

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def now_scope(*networks) -> Scope:
    return Scope(tuple(n.pk for n in networks), this_month(), this_month())


def flag_counts(scope: Scope) -> dict[str, int]:
    return {row["code"]: row["total"] for row in red_flags_by_month(scope)}


def goal_counts(scope: Scope) -> tuple:
    g = goals(scope)
    return g["agreed"], g["open"], g["met"], g["partly_met"], g["not_met"], g["met_rate"]


def test_each_flag_change_is_in_the_figure_at_once(network, member):
    gp = member("gp")
    ann, bob = PatientFactory(network=network), PatientFactory(network=network)
    heating, lonely = RedFlag.objects.get(code="no_heating"), RedFlag.objects.get(code="loneliness")
    scope = now_scope(network)
    assert red_flags_by_month(scope) == []

    first = referral_services.flag_raise(
        patient=ann, flag=heating, by=gp, raised_from="patient"
    ).flags[0]
    assert flag_counts(scope) == {"no_heating": 1}
    referral_services.flag_raise(patient=bob, flag=heating, by=gp, raised_from="patient")
    referral_services.flag_raise(patient=bob, flag=lonely, by=gp, raised_from="patient")
    assert flag_counts(scope) == {"no_heating": 2, "loneliness": 1}
    # Resolving a flag leaves it raised in its month.
    referral_services.flag_resolve(patient_flag=first, by=gp, resolution="Fixed")
    assert flag_counts(scope) == {"no_heating": 2, "loneliness": 1}

    # Another flag, or raised a year ago (the admin, a data fix): the count moves at once.
    PatientFlag.objects.filter(pk=first.pk).update(flag=lonely)
    assert flag_counts(scope) == {"no_heating": 1, "loneliness": 2}
    PatientFlag.objects.filter(pk=first.pk).update(raised_at=timezone.now() - timedelta(days=400))
    assert flag_counts(scope) == {"no_heating": 1, "loneliness": 1}
    PatientFlag.objects.filter(patient=bob).delete()
    assert red_flags_by_month(scope) == []
    for s in (scope, Scope((network.pk,), date(2020, 1, 1), this_month())):
        assert red_flags_by_month(s) == red_flags_by_month_counted(s)


def test_a_flag_counts_in_its_london_month(network):
    """Raised at 23:30 UTC on 31 March 2026: 00:30 on 1 April in London (BST)."""
    flag = PatientFlagFactory(patient=PatientFactory(network=network))
    PatientFlag.objects.filter(pk=flag.pk).update(
        raised_at=datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    )
    scope = Scope((network.pk,), date(2026, 3, 1), date(2026, 4, 1))
    assert red_flags_by_month(scope)[0]["months"] == [
        {"month": "2026-03", "n": 0},
        {"month": "2026-04", "n": 1},
    ]
    assert red_flags_by_month(scope) == red_flags_by_month_counted(scope)


def test_each_goal_change_is_in_the_figure_at_once(network, member):
    nurse = member("community_nurse")
    ann = PatientFactory(network=network)
    scope = now_scope(network)
    assert goal_counts(scope) == (0, 0, 0, 0, 0, None)

    walk = patient_services.goal_add(patient=ann, by=nurse, description="Walk to the shop")
    garden = patient_services.goal_add(patient=ann, by=nurse, description="Garden")
    assert goal_counts(scope) == (2, 2, 0, 0, 0, None)
    patient_services.goal_outcome_set(goal=walk, by=nurse, outcome="met")
    assert goal_counts(scope) == (2, 1, 1, 0, 0, 1.0)
    patient_services.goal_outcome_set(goal=garden, by=nurse, outcome="not_met")
    assert goal_counts(scope) == (2, 0, 1, 0, 1, 0.5)
    patient_services.goal_outcome_set(goal=walk, by=nurse, outcome="open")  # reopened
    assert goal_counts(scope) == (2, 1, 0, 0, 1, 0.0)

    # Agreed last year (a data fix): out of this month's figures at once; deleted: gone.
    Goal.objects.filter(pk=garden.pk).update(agreed_on=this_month() - timedelta(days=365))
    assert goal_counts(scope) == (1, 1, 0, 0, 0, None)
    Goal.objects.filter(pk=walk.pk).delete()
    assert goal_counts(scope) == (0, 0, 0, 0, 0, None)
    for s in (scope, Scope((network.pk,), date(2020, 1, 1), this_month())):
        assert goals(s) == goals_counted(s)


def test_a_person_moved_to_another_network_takes_their_counts(network, other_network, member):
    """No page or endpoint moves a person (patients.api refuses it), but the admin or a data
    fix could: their flags and goals count in their network at every moment."""
    ann, bob, gp = PatientFactory(network=network), PatientFactory(network=network), member("gp")
    for person, code in ((ann, "no_heating"), (ann, "loneliness"), (bob, "no_heating")):
        PatientFlagFactory(patient=person, flag=RedFlag.objects.get(code=code))
        patient_services.goal_add(patient=person, by=gp, description="Dance")
    Patient.objects.filter(pk=ann.pk).update(network=other_network)
    mine, theirs = now_scope(network), now_scope(other_network)
    assert flag_counts(mine) == {"no_heating": 1}
    assert flag_counts(theirs) == {"no_heating": 1, "loneliness": 1}
    assert (goals(mine)["agreed"], goals(theirs)["agreed"]) == (1, 2)
    for scope in (mine, theirs, now_scope(network, other_network)):
        assert red_flags_by_month(scope) == red_flags_by_month_counted(scope)
        assert goals(scope) == goals_counted(scope)


def visit_counts(scope: Scope) -> dict[int, tuple[str, int]]:
    return {
        p["user_id"]: (p["role"], p["visits"]) for p in visits_per_pharmacist(scope)["pharmacists"]
    }


def same_visits(scope: Scope) -> None:
    """The stored and counted figures agree (people with as many visits and the same last
    name in either order)."""

    def canonical(figures: dict) -> dict:
        return {**figures, "pharmacists": sorted(figures["pharmacists"], key=str)}

    assert canonical(visits_per_pharmacist(scope)) == canonical(
        visits_per_pharmacist_counted(scope)
    )


def test_each_visit_change_is_in_the_figure_at_once(network, member, patient):
    pharmacist, technician = member("pharmacist"), member("pharmacy_technician")
    scope = now_scope(network)
    assert visit_counts(scope) == {}
    logged = medicine_services.visit_log(
        patient=patient, by=pharmacist, kind="home", visited_at=timezone.now()
    ).visit
    assert visit_counts(scope) == {pharmacist.pk: ("pharmacist", 1)}
    Visit.objects.create(
        network=network,
        patient=patient,
        kind="home",
        visitor=technician,
        visited_at=timezone.now(),
    )
    assert visit_counts(scope) == {
        pharmacist.pk: ("pharmacist", 1),
        technician.pk: ("pharmacy_technician", 1),
    }
    # The visitor's role now is read with the counts: no longer a pharmacist, not counted.
    Membership.objects.filter(user=technician, network=network).update(role="gp")
    assert visit_counts(scope) == {pharmacist.pk: ("pharmacist", 1)}
    # Another visitor, or a year ago (a data fix); deleted: the count moves at once.
    Visit.objects.filter(pk=logged.pk).update(visitor=technician)
    assert visit_counts(scope) == {}
    Visit.objects.filter(visitor=technician).update(
        visitor=pharmacist, visited_at=timezone.now() - timedelta(days=400)
    )
    assert visit_counts(scope) == {}
    wide = Scope((network.pk,), date(2020, 1, 1), this_month())
    assert visit_counts(wide) == {pharmacist.pk: ("pharmacist", 2)}
    Visit.objects.filter(pk=logged.pk).delete()
    assert visit_counts(wide) == {pharmacist.pk: ("pharmacist", 1)}
    for s in (scope, wide):
        same_visits(s)


def test_an_admission_after_discharge_is_in_the_figure_at_once(network, member, patient):
    """Discharged at 00:30 on 2 March 2026 (London); admitted in an emergency 30 days after
    that London day, then 31, then 90, then 91 days after; then the admission deleted."""
    by = member("gp")
    Episode.objects.create(
        patient=patient,
        network=network,
        opened_at=datetime(2026, 2, 1, 9, tzinfo=LONDON),
        closed_at=datetime(2026, 3, 2, 0, 30, tzinfo=LONDON),
        admission_avoided="yes",
    )
    scope, today = Scope((network.pk,), date(2026, 3, 1), date(2026, 3, 1)), date(2026, 12, 1)

    def yes():
        row = admissions_after_discharge(scope, today)[0]
        assert admissions_after_discharge(scope, today) == admissions_after_discharge_counted(
            scope, today
        )
        return row["discharged"], row["admitted_30"], row["admitted_90"]

    assert yes() == (1, 0, 0)
    admission = AdmissionEvent.objects.create(
        network=network,
        patient=patient,
        admitted_on=date(2026, 4, 1),
        kind="emergency",
        recorded_by=by,
    )
    assert yes() == (1, 1, 1)
    # 2 April (31 days), 31 May (90 days), 1 June (91 days).
    for admitted_on, expected in (
        (date(2026, 4, 2), (1, 0, 1)),
        (date(2026, 5, 31), (1, 0, 1)),
        (date(2026, 6, 1), (1, 0, 0)),
    ):
        AdmissionEvent.objects.filter(pk=admission.pk).update(admitted_on=admitted_on)
        assert yes() == expected, admitted_on
    AdmissionEvent.objects.filter(pk=admission.pk).update(admitted_on=date(2026, 4, 1))
    AdmissionEvent.objects.filter(pk=admission.pk).update(kind="elective")
    assert yes() == (1, 0, 0)
    AdmissionEvent.objects.filter(pk=admission.pk).update(kind="emergency")
    assert yes() == (1, 1, 1)
    AdmissionEvent.objects.filter(pk=admission.pk).delete()
    assert yes() == (1, 0, 0)


# --- the counts against counting the flags and goals, after a random mix of changes ------------


def random_day(rng: random.Random) -> date:
    return date(2025, 12, 1) + timedelta(days=rng.randrange(330))


def random_moment(rng: random.Random) -> datetime:
    """A London moment, often near midnight (and so near a month's end in UTC)."""
    day = random_day(rng)
    hour = rng.choice([0, 0, 1, 12, 23, 23])
    return datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=LONDON)


def random_visit(rng, patients, visitors) -> None:
    """A visit made, moved in time or to another visitor or network, or deleted."""
    event = rng.randrange(5)
    found = list(Visit.objects.values_list("pk", flat=True))
    if event <= 1 or not found:
        person = rng.choice(patients)
        Visit.objects.create(
            network_id=Patient.objects.get(pk=person.pk).network_id,
            patient=person,
            kind="home",
            visitor=rng.choice(visitors),
            visited_at=random_moment(rng),
        )
    elif event == 2:
        Visit.objects.filter(pk__in=rng.sample(found, min(3, len(found)))).update(
            visited_at=random_moment(rng)
        )
    elif event == 3:
        Visit.objects.filter(pk=rng.choice(found)).update(visitor=rng.choice(visitors))
    else:
        Visit.objects.filter(pk=rng.choice(found)).delete()


def agenda_items(networks, patients) -> list:
    """A discussed item on a meeting of each network."""
    items = []
    for net in networks:
        starts = datetime(2026, 6, 1, 13, tzinfo=LONDON)
        meeting = Meeting.objects.create(network=net, scheduled_for=starts, starts_at=starts)
        person = next(p for p in patients if p.network_id == net.pk)
        items.append(
            AgendaItem.objects.create(
                meeting=meeting, patient=person, source="manual", reason="r", status="discussed"
            )
        )
    return items


def random_action(rng, items, by) -> None:
    """An action made (agreed at a meeting or not), done (on time or late), reopened, due on
    another day, or deleted."""
    event = rng.randrange(6)
    found = list(Action.objects.values_list("pk", flat=True))
    if event <= 1 or not found:
        item = rng.choice(items)
        ActionFactory(
            patient=item.patient,
            agenda_item=item if rng.random() < 0.8 else None,
            due_on=random_day(rng),
            created_by=by,
        )
    elif event == 2:  # done near the end of the London day it was due, or after
        action = Action.objects.get(pk=rng.choice(found))
        done = datetime.combine(action.due_on, datetime.min.time(), LONDON) + timedelta(
            hours=rng.choice([9, 23.5, 24.5, 72])
        )
        Action.objects.filter(pk=action.pk).update(status="done", done_at=done, done_by=by)
    elif event == 3:
        Action.objects.filter(pk=rng.choice(found)).update(
            status="open", done_at=None, done_by=None
        )
    elif event == 4:
        Action.objects.filter(pk__in=rng.sample(found, min(3, len(found)))).update(
            due_on=random_day(rng)
        )
    else:
        Action.objects.filter(pk=rng.choice(found)).delete()


def random_episode(rng, patients) -> None:
    """An episode opened, closed (with or without an answer), reopened, answered otherwise,
    or deleted."""
    event = rng.randrange(6)
    found = list(Episode.objects.values_list("pk", flat=True))
    if event <= 1 or not found:
        person = rng.choice(patients)
        opened = random_moment(rng)
        closed = opened + timedelta(days=rng.randrange(40)) if rng.random() < 0.8 else None
        try:
            with transaction.atomic():
                Episode.objects.create(
                    patient=person,
                    network_id=Patient.objects.get(pk=person.pk).network_id,
                    opened_at=opened,
                    closed_at=closed,
                    admission_avoided=rng.choice(["", "yes", "no", "unsure"]) if closed else "",
                )
        except IntegrityError:  # the person has an open episode
            pass
    elif event == 2:
        Episode.objects.filter(pk__in=rng.sample(found, min(3, len(found)))).update(
            closed_at=random_moment(rng)
        )
    elif event == 3:
        Episode.objects.filter(pk=rng.choice(found)).update(
            admission_avoided=rng.choice(["", "yes", "no", "unsure"])
        )
    elif event == 4:
        try:
            with transaction.atomic():
                Episode.objects.filter(pk=rng.choice(found)).update(closed_at=None)
        except IntegrityError:
            pass
    else:
        Episode.objects.filter(pk=rng.choice(found)).delete()


def random_admission(rng, patients, by) -> None:
    """Hospital admissions recorded (one, or several in one statement as an import does),
    moved to another day, kind or person, or deleted."""
    event = rng.randrange(6)
    found = list(AdmissionEvent.objects.values_list("pk", flat=True))

    def made():
        person = Patient.objects.get(pk=rng.choice(patients).pk)
        return AdmissionEvent(
            network_id=person.network_id,
            patient=person,
            admitted_on=random_day(rng),
            kind=rng.choice(["emergency", "emergency", "elective"]),
            recorded_by=by,
        )

    try:
        with transaction.atomic():
            if event <= 1 or not found:
                made().save()
            elif event == 2:
                AdmissionEvent.objects.bulk_create([made() for _ in range(3)])
            elif event == 3:
                AdmissionEvent.objects.filter(pk=rng.choice(found)).update(
                    admitted_on=random_day(rng)
                )
            elif event == 4:
                AdmissionEvent.objects.filter(pk=rng.choice(found)).update(
                    kind=rng.choice(["emergency", "elective"]), patient=rng.choice(patients)
                )
            else:
                AdmissionEvent.objects.filter(pk=rng.choice(found)).delete()
    except IntegrityError:  # the person's admission of that kind that day is recorded
        pass


def random_event(rng, patients, networks, flags, by) -> None:
    event = rng.randrange(13)
    found = list(PatientFlag.objects.values_list("pk", flat=True))
    goal_ids = list(Goal.objects.values_list("pk", flat=True))
    try:
        with transaction.atomic():
            if event <= 3 or not found:
                made = PatientFlagFactory(
                    patient=rng.choice(patients), flag=rng.choice(flags), raised_by=by
                )
                raised = random_moment(rng)
                resolved = raised + timedelta(days=1) if rng.random() < 0.7 else None
                PatientFlag.objects.filter(pk=made.pk).update(
                    raised_at=raised, resolved_at=resolved
                )
            elif event == 4:
                PatientFlag.objects.filter(pk=rng.choice(found)).update(flag=rng.choice(flags))
            elif event == 5:  # several at once, one statement
                PatientFlag.objects.filter(pk__in=rng.sample(found, min(3, len(found)))).update(
                    raised_at=random_moment(rng)
                )
            elif event == 6:
                PatientFlag.objects.filter(pk=rng.choice(found)).delete()
            elif event <= 9 or not goal_ids:
                outcome = rng.choice(Goal.Outcome.values)
                Goal.objects.create(
                    patient=rng.choice(patients),
                    description="A goal",
                    agreed_on=random_day(rng),
                    agreed_by=by,
                    outcome=outcome,
                    outcome_on=None if outcome == "open" else date(2026, 11, 30),
                )
            elif event == 10:
                outcome = rng.choice(Goal.Outcome.values)
                changes = {
                    "outcome": outcome,
                    "outcome_on": None if outcome == "open" else date(2026, 11, 30),
                }
                if rng.random() < 0.3:  # agreed on another day (a data fix)
                    changes["agreed_on"] = random_day(rng)
                Goal.objects.filter(pk=rng.choice(goal_ids)).update(**changes)
            elif event == 11:
                Goal.objects.filter(pk=rng.choice(goal_ids)).delete()
            else:  # a person moved to another network (a data fix)
                Patient.objects.filter(pk=rng.choice(patients).pk).update(
                    network=rng.choice(networks)
                )
    except IntegrityError:  # a second active flag of the same kind on a person
        pass


def table_now() -> set[tuple]:
    """Every table's counts, but for a key nothing has now (a count of 0)."""
    rows: set[tuple] = set()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {followed.KEY}, n FROM {followed.TABLE} WHERE n <> 0")
        rows |= {(followed.TABLE, *r) for r in cursor.fetchall()}
        for counted in stored.COUNTED:
            cursor.execute(f"SELECT {counted.columns}, n FROM {counted.table} WHERE n <> 0")
            rows |= {(counted.table, *r) for r in cursor.fetchall()}
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counts_are_the_flags_and_goals_counted_after_any_mix_of_changes(
    seed, network, other_network, member
):
    rng = random.Random(seed)
    by = member("gp")
    networks = [network, other_network]
    patients = [PatientFactory(network=n) for n in networks for _ in range(8)]
    flags = list(RedFlag.objects.order_by("code")[:5])
    visitors = [
        member(role, net=net)
        for role in ("pharmacist", "pharmacy_technician", "community_nurse")
        for net in networks
    ]
    items = agenda_items(networks, patients)
    for _ in range(200):
        random_event(rng, patients, networks, flags, by)
        random_visit(rng, patients, visitors)
        random_action(rng, items, by)
        random_episode(rng, patients)
        random_admission(rng, patients, by)
    assert PatientFlag.objects.count() > 20 and Goal.objects.count() > 10
    assert len(set(Goal.objects.values_list("outcome", flat=True))) >= 3
    both = (network.pk, other_network.pk)
    scopes = [
        Scope(both, date(2025, 12, 1), date(2026, 11, 1)),
        Scope((network.pk,), date(2026, 3, 1), date(2026, 3, 1)),
        Scope((other_network.pk,), date(2025, 11, 1), date(2026, 6, 1)),
    ]
    for scope in scopes:
        assert red_flags_by_month(scope) == red_flags_by_month_counted(scope), scope
        assert goals(scope) == goals_counted(scope), scope
        same_visits(scope)
        assert admissions_avoided(scope) == admissions_avoided_counted(scope), scope
        for today in (date(2025, 10, 1), date(2026, 3, 15), date(2026, 12, 31)):
            assert admissions_after_discharge(scope, today) == admissions_after_discharge_counted(
                scope, today
            ), (scope, today)
            assert stored.actions_agreed(scope, today) == actions_agreed_counted(scope, today)
    everything = red_flags_by_month(scopes[0])
    assert sum(r["total"] for r in everything) == PatientFlag.objects.count()
    assert visits_per_pharmacist(scopes[0])["visits"] >= 5
    after = admissions_after_discharge(scopes[0], date(2027, 6, 1))[-1]
    assert after["admitted_30"] > 2 and after["admitted_90"] > after["admitted_30"], after
    answered = admissions_avoided(scopes[0])
    assert sum(m[a] for m in answered for a in ("yes", "no", "unsure")) > 10
    agreed = stored.actions_agreed(scopes[0], date(2026, 6, 1))
    assert agreed["due"] > 10 and min(agreed.values()) > 0, agreed  # every state reached
    # Rebuilt from the flags and goals: the same rows.
    kept = table_now()
    stored.rebuild()
    followed.rebuild()
    assert table_now() == kept


def test_rebuild_command_recomputes_lost_counts(network, other_network, member):
    for net in (network, other_network):
        PatientFlagFactory(patient=PatientFactory(network=net))
        patient_services.goal_add(
            patient=PatientFactory(network=net), by=member("gp", net=net), description="Sing"
        )
    kept = table_now()
    with connection.cursor() as cursor:  # counts lost (written round the trigger)
        for counted in stored.COUNTED:
            cursor.execute(f"UPDATE {counted.table} SET n = n + 5")
    call_command("rebuild_report_figures", "--network", network.slug, stdout=StringIO())
    # This network's counts are right again; the other's are left as they were (+5).
    mine = {k for k in kept if k[1] == network.pk}
    theirs = {(*k[:-1], k[-1] + 5) for k in kept if k[1] == other_network.pk}
    assert table_now() == mine | theirs
    call_command("rebuild_report_figures", stdout=StringIO())
    assert table_now() == kept


# --- under row-level security ------------------------------------------------------------------


def test_the_counts_are_kept_and_read_under_row_level_security(network, other_network, member):
    """As the application's role, scoped to one network: a flag and a goal are counted (the
    counters' rows pass the policy), and another network's counts are not visible."""
    ensure_app_role()
    gp = member("gp")
    PatientFlagFactory(patient=PatientFactory(network=other_network))
    ann = PatientFactory(network=network)
    heating = RedFlag.objects.get(code="no_heating")
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{APP_ROLE}"')
    assert rls.detect(connection, fresh=True), "RLS must apply to the application's role"
    try:
        rls.set_scope([network.pk])
        referral_services.flag_raise(patient=ann, flag=heating, by=gp, raised_from="patient")
        goal = patient_services.goal_add(patient=ann, by=gp, description="Walk")
        patient_services.goal_outcome_set(goal=goal, by=gp, outcome="met")
        assert flag_counts(now_scope(network)) == {"no_heating": 1}
        assert goal_counts(now_scope(network)) == (1, 0, 1, 0, 0, 1.0)
        assert red_flags_by_month(now_scope(other_network)) == []  # not in scope
    finally:
        rls.clear_scope()
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        rls.detect(connection, fresh=True)
    assert flag_counts(now_scope(other_network)) == {"medicines_stockpile": 1}
