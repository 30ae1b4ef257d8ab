"""First contact after acceptance is read from rows kept as referrals, visits and tasks
change (reports/contact.py): each kind of change read back at once, the same as computing it
after any mix of changes, serialised per person between two connections, and rebuilt."""

import random
from contextlib import suppress
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from actions import services as actions
from actions.models import Action
from core import rls
from governance.services import patient_erase
from medicines.models import Visit
from networks.models import Network
from referrals import services
from referrals.models import Referral
from reports import contact
from reports.figures import Scope, service_waits, service_waits_counted
from reports.models import FirstContact
from tests.core.test_generate_synthetic import TINY
from tests.core.test_rls import APP_ROLE, ensure_app_role
from tests.factories import ActionFactory, PatientFactory, UserFactory
from tests.governance.people import hold_everything
from tests.governance.test_retention import _age
from tests.referrals.factories import ReferralFactory
from tests.reports.test_tally import overlapping

LONDON = ZoneInfo("Europe/London")
MO, PHYSIO, NURSING = "medicines_optimisation", "physiotherapy", "community_nursing"
MARCH = Scope((), date(2026, 3, 1), date(2026, 3, 1))
pytestmark = pytest.mark.django_db


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def waits(scope: Scope) -> dict[str, dict]:
    """The stored figures per service, checked against the computed ones."""
    stored = service_waits(scope)
    assert stored == service_waits_counted(scope), scope
    return {row["service"]: row for row in stored}


def first_contact(network, service=MO, month=MARCH) -> tuple[int, int, float | None]:
    row = waits(Scope((network.pk,), month.first, month.last)).get(service)
    return (row["accepted"], row["contacted"], row["first_contact_median"]) if row else (0, 0, None)


def accepted(patient, made: datetime, triaged: datetime, service=MO) -> Referral:
    referral = ReferralFactory(patient=patient, service=service, accepted=True)
    Referral.objects.filter(pk=referral.pk).update(created_at=made, triaged_at=triaged)
    return referral


def visit(patient, at: datetime, by) -> Visit:
    return Visit.objects.create(
        network=patient.network, patient=patient, kind="home", visitor=by, visited_at=at
    )


def task_done(patient, at: datetime) -> Action:
    task = ActionFactory(patient=patient)
    Action.objects.filter(pk=task.pk).update(status="done", done_at=at)
    return task


def test_each_change_is_in_the_figures_at_once(network):
    """Made Mon 2 Mar 2026, accepted Tue 3 Mar; working days from the 3rd: Thu 5 = 2,
    Fri 6 = 3, Mon 9 = 4."""
    by = UserFactory()
    ann = PatientFactory(network=network)
    referral = accepted(ann, london(2026, 3, 2, 10), london(2026, 3, 3, 10))
    assert first_contact(network) == (1, 0, None)  # accepted, not contacted yet

    seen = visit(ann, london(2026, 3, 6, 11), by)
    assert first_contact(network) == (1, 1, 3.0)
    task = task_done(ann, london(2026, 3, 5, 9))  # a task done earlier comes first
    assert first_contact(network) == (1, 1, 2.0)
    Action.objects.filter(pk=task.pk).update(status="open", done_at=None)  # undone
    assert first_contact(network) == (1, 1, 3.0)
    Action.objects.filter(pk=task.pk).update(status="done", done_at=london(2026, 3, 5, 9))
    assert first_contact(network) == (1, 1, 2.0)
    Action.objects.filter(pk=task.pk).delete()
    assert first_contact(network) == (1, 1, 3.0)

    Visit.objects.filter(pk=seen.pk).update(visited_at=london(2026, 3, 2, 15))  # before triage
    assert first_contact(network) == (1, 0, None)
    later = visit(ann, london(2026, 3, 9, 10), by)
    assert first_contact(network) == (1, 1, 4.0)
    Visit.objects.filter(pk=later.pk).delete()
    assert first_contact(network) == (1, 0, None)
    Visit.objects.filter(pk=seen.pk).update(visited_at=london(2026, 3, 6, 11))
    assert first_contact(network) == (1, 1, 3.0)

    # The referral: triaged a day later (a data fix), completed, to another service, made in
    # another month, withdrawn; a referral written accepted, and one deleted.
    Referral.objects.filter(pk=referral.pk).update(triaged_at=london(2026, 3, 4, 10))
    assert first_contact(network) == (1, 1, 2.0)
    Referral.objects.filter(pk=referral.pk).update(status="completed", closed_at=timezone.now())
    assert first_contact(network) == (1, 1, 2.0)  # completed counts as accepted
    Referral.objects.filter(pk=referral.pk).update(service=PHYSIO)
    assert (first_contact(network), first_contact(network, PHYSIO)) == ((0, 0, None), (1, 1, 2.0))
    Referral.objects.filter(pk=referral.pk).update(created_at=london(2026, 2, 27, 10))
    assert first_contact(network, PHYSIO) == (0, 0, None)
    february = Scope((), date(2026, 2, 1), date(2026, 2, 1))
    assert first_contact(network, PHYSIO, february) == (1, 1, 2.0)
    Referral.objects.filter(pk=referral.pk).update(status="withdrawn")
    assert first_contact(network, PHYSIO, february) == (0, 0, None)

    bob = PatientFactory(network=network)
    visit(bob, london(2026, 3, 6, 11), by)
    other = accepted(bob, london(2026, 3, 2, 10), london(2026, 3, 3, 10), NURSING)
    assert first_contact(network, NURSING) == (1, 1, 3.0)
    Referral.objects.filter(pk=other.pk).delete()
    assert first_contact(network, NURSING) == (0, 0, None)
    assert not contact_rows()  # nothing left accepted: no first contact kept


def test_the_services_accepting_and_marking_a_task_done_count_at_once(network, member):
    gp, pharmacist = member("gp"), member("pharmacist")
    ann = PatientFactory(network=network)
    referral = services.referral_create(patient=ann, service=MO, reason="Falls", by=gp).referral
    month = Scope((), timezone.localdate().replace(day=1), timezone.localdate().replace(day=1))
    assert first_contact(network, month=month) == (0, 0, None)  # not accepted yet
    services.referral_accept(referral=referral, by=pharmacist)
    assert first_contact(network, month=month) == (1, 0, None)
    task = ActionFactory(patient=ann, assignee=pharmacist, assignee_role="")
    actions.action_mark_done(action=task, by=pharmacist)
    assert first_contact(network, month=month) == (1, 1, 0.0)  # the same day


def test_a_day_missing_from_the_calendar_counts_as_contacted_without_a_wait(network):
    """A contact whose day the calendar lacks (far in the future here) is contacted but has
    no wait, as the computed figure has it."""
    ann = PatientFactory(network=network)
    accepted(ann, london(2026, 3, 2, 10), london(2026, 3, 3, 10))
    task_done(ann, london(2099, 3, 5, 9))
    assert first_contact(network) == (1, 1, None)


# --- the stored rows against computing them, after a random mix of changes -----------------


def contact_rows() -> set[tuple]:
    """Both tables' rows (but for counts of 0)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {contact.COLUMNS} FROM {contact.TABLE}")
        rows = set(cursor.fetchall())
        cursor.execute(f"SELECT {contact.TALLY_KEY}, n FROM {contact.TALLY} WHERE n <> 0")
        return rows | {("tally", *r) for r in cursor.fetchall()}


def random_moment(rng: random.Random) -> datetime:
    """A moment in 2026 before now (1 Jan to 26 Nov), London time, often near midnight."""
    day = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
    hour = rng.choice([0, 0, 1, 12, 23, 23])
    return datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=LONDON)


def random_event(rng, patients, by) -> None:
    event = rng.randrange(12)
    patient = rng.choice(patients)
    referrals = list(Referral.objects.filter(patient=patient))
    visits = list(Visit.objects.filter(patient=patient))
    tasks = list(Action.objects.filter(patient=patient))
    referral = rng.choice(referrals) if referrals else None
    with transaction.atomic():
        if event <= 1 or referral is None:  # a new referral, accepted at once or not
            made = random_moment(rng)
            created = ReferralFactory(
                patient=patient, service=rng.choice([MO, PHYSIO, NURSING]), accepted=event == 0
            )
            triaged = (
                {"triaged_at": made + timedelta(hours=rng.randrange(200))} if event == 0 else {}
            )
            Referral.objects.filter(pk=created.pk).update(created_at=made, **triaged)
        elif event == 2 and referral.status == "new":
            services.referral_accept(referral=referral, by=by)
            moment = max(random_moment(rng), referral.created_at)
            Referral.objects.filter(pk=referral.pk).update(triaged_at=moment)
        elif event == 3 and referral.status == "accepted":
            services.referral_complete(referral=referral, by=by, outcome="Done.")
        elif event == 4 and referral.status in ("new", "accepted"):
            Referral.objects.filter(pk=referral.pk).update(
                status="withdrawn", closed_at=timezone.now()
            )
        elif event == 5 and referral.triaged_at is not None:
            moment = max(random_moment(rng), referral.created_at)
            Referral.objects.filter(pk=referral.pk).update(triaged_at=moment)
        elif event == 6:
            Referral.objects.filter(pk=referral.pk).update(
                service=rng.choice([MO, PHYSIO, NURSING])
            )
        elif event == 7:
            visit(patient, random_moment(rng), by)
        elif event == 8 and visits:
            Visit.objects.filter(pk=rng.choice(visits).pk).update(visited_at=random_moment(rng))
        elif event == 9 and visits:
            Visit.objects.filter(pk=rng.choice(visits).pk).delete()
        elif event == 10:
            task_done(patient, random_moment(rng))
        elif event == 11 and tasks:
            task = rng.choice(tasks)
            if rng.random() < 0.5:
                Action.objects.filter(pk=task.pk).delete()
            else:
                Action.objects.filter(pk=task.pk).update(status="open", done_at=None)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_stored_rows_are_those_computed_after_any_mix_of_changes(
    seed, network, other_network, member
):
    rng = random.Random(seed)
    by = member("pharmacist")
    patients = [PatientFactory(network=n) for n in (network, other_network) for _ in range(8)]
    for _ in range(250):
        with suppress(IntegrityError):  # another open referral of the person to that service
            random_event(rng, patients, by)
    both = (network.pk, other_network.pk)
    scopes = [
        Scope(both, date(2026, 1, 1), date(2026, 12, 1)),
        Scope((network.pk,), date(2026, 3, 1), date(2026, 5, 1)),
        Scope((other_network.pk,), date(2025, 11, 1), date(2026, 6, 1)),
        Scope(both, date(2026, 2, 1), date(2026, 10, 1), PHYSIO),
    ]
    for scope in scopes:
        waits(scope)
    everything = service_waits(scopes[0])
    assert sum(r["contacted"] for r in everything) > 4  # the mix reached first contacts
    assert sum(r["accepted"] - r["contacted"] for r in everything) > 0
    # Rebuilt from the referrals, visits and tasks: the same rows.
    kept = contact_rows()
    contact.rebuild()
    assert contact_rows() == kept


def test_a_statement_about_many_people_locks_the_table_and_counts_them_all(network):
    """More than contact.MANY people in one statement (a bulk insert, update and delete):
    the table lock instead of a lock per person, the same figures."""
    by = UserFactory()
    people = [PatientFactory(network=network) for _ in range(contact.MANY + 2)]
    for person in people:
        accepted(person, london(2026, 3, 2, 10), london(2026, 3, 3, 10))
    Visit.objects.bulk_create(
        Visit(network=network, patient=p, kind="phone", visitor=by, visited_at=london(2026, 3, 6))
        for p in people
    )
    assert first_contact(network) == (len(people), len(people), 3.0)
    Visit.objects.filter(network=network).update(visited_at=london(2026, 3, 9, 12))
    assert first_contact(network) == (len(people), len(people), 4.0)
    Visit.objects.filter(network=network).delete()
    assert first_contact(network) == (len(people), 0, None)


def test_an_erased_person_leaves_no_first_contact_nor_count(network, member):
    """The erasure deletes the person's rows table by table (governance.walk): their
    referrals' triggers take the first contact and its count away with them."""
    pharmacist = member("pharmacist")
    person, other = PatientFactory(network=network), PatientFactory(network=network)
    for someone in (person, other):
        hold_everything(someone, pharmacist)
    _age(person)
    everything = Scope((network.pk,), date(2010, 1, 1), date(2030, 12, 1))
    assert FirstContact.objects.filter(patient=person).exists()
    before = waits(everything)["physiotherapy"]["accepted"]
    patient_erase(patient=person, reason="Past retention", by=member("ig_lead"))
    assert not FirstContact.objects.filter(patient_id=person.pk).exists()
    assert waits(everything)["physiotherapy"]["accepted"] == before - 1 == 1


# --- rebuilding -------------------------------------------------------------------------------


def test_rebuild_command_puts_lost_first_contacts_right(network, other_network):
    by = UserFactory()
    for net in (network, other_network):
        person = PatientFactory(network=net)
        accepted(person, london(2026, 3, 2, 10), london(2026, 3, 3, 10))
        visit(person, london(2026, 3, 6, 11), by)
    kept = contact_rows()
    with connection.cursor() as cursor:  # lost (written round the triggers)
        cursor.execute(f"DELETE FROM {contact.TABLE}")
        cursor.execute(f"UPDATE {contact.TALLY} SET n = n + 5")
    call_command("rebuild_report_figures", "--network", network.slug, stdout=StringIO())
    assert first_contact(network) == (1, 1, 3.0)
    assert {r for r in contact_rows() if network.pk in r[:3]} == {
        r for r in kept if network.pk in r[:3]
    }
    call_command("rebuild_report_figures", stdout=StringIO())
    assert contact_rows() == kept


def test_generated_synthetic_data_has_its_first_contacts_stored():
    """generate_synthetic writes round the triggers and rebuilds (reports.tally.rebuild)."""
    call_command("generate_synthetic", stdout=StringIO(), **TINY)
    ids = tuple(Network.objects.filter(slug__startswith="synthetic-").values_list("id", flat=True))
    rows = waits(Scope(ids, date(2025, 9, 1), date(2026, 3, 1)))
    assert sum(r["contacted"] for r in rows.values()) > 0


# --- two transactions changing one person's first contact --------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_visit_and_a_task_done_at_once_lose_neither(network):
    """A logs a visit (Fri) and holds its transaction open; B marks a task done (Thu) for the
    same person: B waits for A's lock on the person, then computes with A's visit committed.
    Without it each would compute without the other's row and both would move the same
    "not contacted" count: the counts would no longer be the referrals'."""
    by = UserFactory()
    ann = PatientFactory(network=network)
    accepted(ann, london(2026, 3, 2, 10), london(2026, 3, 3, 10))
    overlapping(
        lambda: visit(ann, london(2026, 3, 6, 11), by),
        lambda: task_done(ann, london(2026, 3, 5, 9)),
    )
    assert first_contact(network) == (1, 1, 2.0)
    kept = contact_rows()
    contact.rebuild()
    assert contact_rows() == kept


@pytest.mark.django_db(transaction=True)
def test_a_visit_deleted_while_the_referral_is_accepted_neither_deadlocks_nor_loses_it(network):
    """A deletes the person's visit (no foreign key check: the trigger locks the network's
    row itself, before the person's) and holds its transaction open; B accepts their
    referral, locking the network's row for triage first: B waits for A, then finds no
    visit."""
    by = UserFactory()
    ann = PatientFactory(network=network)
    referral = ReferralFactory(patient=ann)
    Referral.objects.filter(pk=referral.pk).update(created_at=london(2026, 3, 2, 10))
    seen = visit(ann, timezone.now() + timedelta(minutes=1), by)
    overlapping(
        lambda: Visit.objects.filter(pk=seen.pk).delete(),
        lambda: services.referral_accept(referral=referral, by=by),
    )
    assert first_contact(network) == (1, 0, None)


# --- under row-level security ------------------------------------------------------------------


def test_first_contact_is_kept_and_read_under_row_level_security(network, other_network):
    ensure_app_role()
    by = UserFactory()
    ann, walter = PatientFactory(network=network), PatientFactory(network=other_network)
    for person in (ann, walter):
        accepted(person, london(2026, 3, 2, 10), london(2026, 3, 3, 10))
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{APP_ROLE}"')
    assert rls.detect(connection, fresh=True), "RLS must apply to the application's role"
    try:
        rls.set_scope([network.pk])
        visit(ann, london(2026, 3, 6, 11), by)
        assert first_contact(network) == (1, 1, 3.0)
        assert first_contact(other_network) == (0, 0, None)  # not in scope: nothing to read
        rls.set_scope([other_network.pk])
        assert first_contact(other_network) == (1, 0, None)
    finally:
        rls.clear_scope()
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        rls.detect(connection, fresh=True)
