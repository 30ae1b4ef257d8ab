"""The dashboard's referral figures are read from counts kept as referrals change
(reports/tally.py): exact at every moment (each change read back at once), the same as
counting the referrals themselves after any mix of changes, and rebuilt from history."""

import random
import threading
import time
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from core import rls
from networks.models import Organisation
from referrals import services
from referrals.models import Referral
from reports import tally
from reports.figures import (
    Scope,
    referrals_in,
    referrals_in_counted,
    triage_times,
    triage_times_counted,
)
from tests.core.test_rls import APP_ROLE, ensure_app_role
from tests.factories import OrganisationFactory, PatientFactory, UserFactory
from tests.referrals.factories import ReferralFactory

LONDON = ZoneInfo("Europe/London")
MO, PHYSIO, NURSING = "medicines_optimisation", "physiotherapy", "community_nursing"
pytestmark = pytest.mark.django_db


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def row(rows: list[dict], service: str, source: str = "member") -> dict:
    return next(r for r in rows if r["service"] == service and r["source"] == source)


def now_figures(network) -> tuple[list[dict], list[dict]]:
    scope = Scope((network.pk,), this_month(), this_month())
    return referrals_in(scope), triage_times(scope)


def make(patient, by, service=MO) -> Referral:
    return services.referral_create(
        patient=patient, service=service, reason="Falls", by=by
    ).referral


def test_each_change_is_in_the_figures_at_once(network, member):
    gp, pharmacist = member("gp"), member("pharmacist")
    ann, bob, cyd = (PatientFactory(network=network) for _ in range(3))

    first = make(ann, gp)
    counts, triage = now_figures(network)
    assert row(counts, MO) == {
        "source": "member",
        "service": MO,
        "total": 1,
        "waiting": 1,
        "accepted": 0,
        "declined": 0,
        "withdrawn": 0,
        "declined_inappropriate": 0,
        "declined_already_known": 0,
        "declined_outside_area": 0,
        "declined_person_declined": 0,
        "declined_other": 0,
        "inappropriate_rate": None,
    }
    assert triage == [{"service": "all", "triaged": 0, "median": None, "p90": None}]

    services.referral_accept(referral=first, by=pharmacist)
    counts, triage = now_figures(network)
    assert (row(counts, MO)["waiting"], row(counts, MO)["accepted"]) == (0, 1)
    # Triaged the day it was made: 0 working days, for the service and over all.
    assert triage == [
        {"service": MO, "triaged": 1, "median": 0.0, "p90": 0.0},
        {"service": "all", "triaged": 1, "median": 0.0, "p90": 0.0},
    ]

    services.referral_complete(referral=first, by=pharmacist, outcome="Reviewed.")
    assert row(now_figures(network)[0], MO)["accepted"] == 1  # completed counts as accepted

    second = make(bob, gp)
    services.referral_decline(referral=second, by=pharmacist, reason="inappropriate")
    mo = row(now_figures(network)[0], MO)
    # 2 made; 1 accepted (completed) + 1 declined as inappropriate = 2 triaged: rate 1/2.
    assert (mo["total"], mo["declined"], mo["declined_inappropriate"]) == (2, 1, 1)
    assert mo["inappropriate_rate"] == 0.5

    third = make(cyd, gp)
    services.referral_withdraw(referral=third, by=gp)
    mo = row(now_figures(network)[0], MO)
    assert (mo["total"], mo["withdrawn"], mo["waiting"]) == (3, 1, 0)

    # Another service (the admin, a data fix): the count moves with it at once.
    Referral.objects.filter(pk=third.pk).update(service=PHYSIO)
    counts, _ = now_figures(network)
    assert (row(counts, MO)["total"], row(counts, MO)["withdrawn"]) == (2, 0)
    assert (row(counts, PHYSIO)["total"], row(counts, PHYSIO)["withdrawn"]) == (1, 1)

    # Deleted: gone from the figures (the service with nothing left is not shown).
    Referral.objects.filter(pk=third.pk).delete()
    assert [r["service"] for r in now_figures(network)[0]] == [MO]


def test_working_days_to_triage_are_exact_percentiles(network):
    """Waits of 0, 1, 1, 3 and 7 working days; one over Christmas 2026 (Fri 25 Dec, Sat,
    Sun, Mon 28 Dec the Boxing Day holiday): made Thu 24 Dec, triaged Tue 29 Dec = 1."""
    made_and_triaged = [
        (datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 17)),  # Tue, same day: 0
        (datetime(2026, 12, 24, 10), datetime(2026, 12, 29, 10)),  # over Christmas: 1
        (datetime(2026, 12, 3, 23, 30), datetime(2026, 12, 4, 0, 30)),  # Thu -> Fri: 1
        (datetime(2026, 12, 4, 12), datetime(2026, 12, 9, 12)),  # Fri -> Wed: 3
        (datetime(2026, 12, 7, 12), datetime(2026, 12, 16, 12)),  # Mon -> Wed next week: 7
    ]
    for made, triaged in made_and_triaged:
        referral = ReferralFactory(patient=PatientFactory(network=network), accepted=True)
        Referral.objects.filter(pk=referral.pk).update(
            created_at=made.replace(tzinfo=LONDON), triaged_at=triaged.replace(tzinfo=LONDON)
        )
    scope = Scope((network.pk,), date(2026, 12, 1), date(2026, 12, 1))
    # Sorted 0, 1, 1, 3, 7: median the 3rd = 1; p90 at position 0.9 x 4 = 3.6, between the
    # 4th (3) and 5th (7): 3 + 0.6 x 4 = 5.4.
    assert triage_times(scope)[-1] == {
        "service": "all",
        "triaged": 5,
        "median": 1.0,
        "p90": pytest.approx(5.4),
    }
    assert triage_times(scope) == triage_times_counted(scope)


def test_an_organisation_of_another_kind_moves_its_referrals(network):
    practice = OrganisationFactory(kind="gp_practice")
    for _ in range(2):
        ReferralFactory(patient=PatientFactory(network=network), source_organisation=practice)
    counts, _ = now_figures(network)
    assert row(counts, MO, "gp_practice")["total"] == 2
    Organisation.objects.filter(pk=practice.pk).update(kind="care_home")
    counts, _ = now_figures(network)
    assert [(r["source"], r["total"]) for r in counts] == [("care_home", 2)]


# --- the counts against counting the referrals, after a random mix of changes -------------------

KINDS = [None, "gp_practice", "nhs_trust", "council"]
REASONS = list(Referral.DeclineReason.values)


def random_moment(rng: random.Random) -> datetime:
    """A moment in 2026 before now (1 Jan to 26 Nov), London time, often near midnight."""
    day = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
    hour = rng.choice([0, 0, 1, 12, 23, 23])
    return datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=LONDON)


def random_event(rng, referrals, patients, organisations, by) -> None:
    event = rng.randrange(10)
    referral = rng.choice(referrals) if referrals else None
    if event <= 2 or referral is None:  # a new referral, perhaps from outside or a red flag
        try:
            with transaction.atomic():
                made = ReferralFactory(
                    patient=rng.choice(patients),
                    service=rng.choice([MO, PHYSIO, NURSING]),
                    origin=rng.choice(["manual", "manual", "red_flag"]),
                    source_organisation=rng.choice([*organisations, None]),
                )
        except IntegrityError:  # the person has an open referral to that service
            return
        Referral.objects.filter(pk=made.pk).update(created_at=random_moment(rng))
        referrals.append(made)
        return
    referral.refresh_from_db()
    try:
        with transaction.atomic():
            if event == 3 and referral.status == "new":
                services.referral_accept(referral=referral, by=by)
            elif event == 4 and referral.status == "new":
                reason = rng.choice(REASONS)
                services.referral_decline(referral=referral, by=by, reason=reason, note="n")
            elif event == 5 and referral.status == "accepted":
                services.referral_complete(referral=referral, by=by, outcome="Done.")
            elif event == 6 and referral.status == "new":
                services.referral_withdraw(referral=referral, by=by)
            elif event == 7 and referral.triaged_at is not None:
                moment = random_moment(rng)  # triaged on another day (a data fix)
                Referral.objects.filter(pk=referral.pk).update(
                    triaged_at=max(moment, referral.created_at)
                )
            elif event == 8:
                Referral.objects.filter(pk=referral.pk).update(
                    service=rng.choice([MO, PHYSIO, NURSING])
                )
            elif event == 9:
                Organisation.objects.filter(pk=rng.choice(organisations).pk).update(
                    kind=rng.choice(KINDS[1:])
                )
    except IntegrityError:  # another open referral of the person to that service
        pass


def table_now() -> set[tuple]:
    """Both tables' counts, but for a key no referral has now (a count of 0)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {tally.KEY}, n FROM {tally.TABLE} WHERE n <> 0")
        rows = set(cursor.fetchall())
        cursor.execute(f"SELECT {tally.TRIAGE_KEY}, n FROM {tally.TRIAGE_TABLE} WHERE n <> 0")
        return rows | {("triage", *r) for r in cursor.fetchall()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counts_are_the_referrals_counted_after_any_mix_of_changes(
    seed, network, other_network, member
):
    rng = random.Random(seed)
    by = member("pharmacist")
    patients = [PatientFactory(network=n) for n in (network, other_network) for _ in range(15)]
    organisations = [OrganisationFactory(kind=kind) for kind in KINDS[1:]]
    referrals: list[Referral] = []
    for _ in range(200):
        random_event(rng, referrals, patients, organisations, by)
    assert len({r.status for r in Referral.objects.all()}) >= 4  # most statuses reached
    both = (network.pk, other_network.pk)
    scopes = [
        Scope(both, date(2026, 1, 1), date(2026, 12, 1)),
        Scope((network.pk,), date(2026, 3, 1), date(2026, 3, 1)),
        Scope((other_network.pk,), date(2025, 11, 1), date(2026, 6, 1)),
        Scope(both, date(2026, 2, 1), date(2026, 10, 1), PHYSIO),
    ]
    for scope in scopes:
        assert referrals_in(scope) == referrals_in_counted(scope), scope
        assert triage_times(scope) == triage_times_counted(scope), scope
    assert sum(r["total"] for r in referrals_in(scopes[0])) == len(referrals) > 25
    # Rebuilt from the referrals: the same rows.
    kept = table_now()
    tally.rebuild()
    assert table_now() == kept


# --- rebuilding -------------------------------------------------------------------------------


def test_rebuild_command_recomputes_lost_counts_and_is_idempotent(network, other_network):
    for net in (network, other_network):
        for _ in range(3):
            ReferralFactory(patient=PatientFactory(network=net))
    ReferralFactory(patient=PatientFactory(network=network), declined=True)
    kept = table_now()
    with connection.cursor() as cursor:  # counts lost (written round the trigger)
        cursor.execute(f"UPDATE {tally.TABLE} SET n = n + 5")
        cursor.execute(f"UPDATE {tally.TRIAGE_TABLE} SET n = n + 5")
    out = StringIO()
    call_command("rebuild_report_figures", "--network", network.slug, stdout=out)
    assert "Rebuilt the dashboard's stored counts of thornton-heath" in out.getvalue()
    # This network's counts are right again; the other's are left as they were (+5).
    mine = {k for k in kept if network.pk in (k[0], k[1])}
    theirs = {(*k[:-1], k[-1] + 5) for k in kept if other_network.pk in (k[0], k[1])}
    assert table_now() == mine | theirs
    call_command("rebuild_report_figures", stdout=StringIO())
    assert table_now() == kept
    call_command("rebuild_report_figures", stdout=StringIO())  # again: the same
    assert table_now() == kept
    scope = Scope((network.pk,), this_month(), this_month())
    # 3 + 1 made in the network this month, 1 of them declined.
    assert [(r["total"], r["declined"]) for r in referrals_in(scope)] == [(4, 1)]


def test_rebuild_command_refuses_an_unknown_network(network):
    with pytest.raises(CommandError, match="No network 'nowhere'"):
        call_command("rebuild_report_figures", "--network", "nowhere", stdout=StringIO())


# --- two transactions counting into the same row -----------------------------------------------


def wait_until_blocked(pid: int, deadline: float = 20.0) -> None:
    """Poll (no fixed sleep) until backend `pid` waits for a lock, or fail at the deadline."""
    ends = time.monotonic() + deadline
    with connections["default"].cursor() as cursor:
        while time.monotonic() < ends:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            found = cursor.fetchone()
            if found and found[0] == "Lock":
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for the counter's row lock")


def overlapping(a_writes, b_writes) -> None:
    """A runs `a_writes` in a transaction it keeps open until B, running `b_writes` on its
    own connection, waits for one of A's locks; then A commits and B finishes."""
    a_wrote, b_blocked, b_started = threading.Event(), threading.Event(), threading.Event()
    b_pid: list[int] = []
    errors: list[BaseException] = []

    def in_a():
        try:
            with transaction.atomic():
                a_writes()
                a_wrote.set()
                assert b_blocked.wait(30)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            a_wrote.set()
        finally:
            connection.close()

    def in_b():
        try:
            assert a_wrote.wait(30)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                b_pid.append(cursor.fetchone()[0])
            b_started.set()
            b_writes()
        except BaseException as exc:
            errors.append(exc)
            b_started.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=in_a), threading.Thread(target=in_b)]
    for thread in threads:
        thread.start()
    try:
        assert a_wrote.wait(30)
        assert b_started.wait(30) and b_pid, errors
        wait_until_blocked(b_pid[0])
    finally:
        b_blocked.set()
        for thread in threads:
            thread.join(60)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_two_transactions_adding_to_one_counter_lose_no_update(network):
    """A and B each make a referral of the same key ("new", this month, the same service and
    source): B waits for A's lock on the counter's row, then adds to A's committed count."""
    ReferralFactory(patient=PatientFactory(network=network))
    ann, bob = PatientFactory(network=network), PatientFactory(network=network)
    overlapping(lambda: ReferralFactory(patient=ann), lambda: ReferralFactory(patient=bob))
    # 1 before, + 1 by A, + 1 by B.
    assert row(now_figures(network)[0], MO)["waiting"] == 3


@pytest.mark.django_db(transaction=True)
def test_a_referral_made_while_another_is_declined_neither_deadlocks_nor_loses_a_count(network):
    """A makes a referral (+1 to "new") and holds its transaction open; B declines another of
    the same key (-1 to "new", +1 to "declined"), locking the network's row as triage does.
    Were the counter locked before the network's row, A's commit (the foreign key's check on
    the network) and B would wait for each other; B waits for A instead, then counts on A's
    committed figure: new 1 + 1 - 1 = 1, declined 1, total 2."""
    by = UserFactory()
    first = ReferralFactory(patient=PatientFactory(network=network))
    other = PatientFactory(network=network)
    overlapping(
        lambda: ReferralFactory(patient=other, referred_by=by),
        lambda: services.referral_decline(referral=first, by=by, reason="outside_area"),
    )
    mo = row(now_figures(network)[0], MO)
    assert (mo["total"], mo["waiting"], mo["declined"], mo["declined_outside_area"]) == (2, 1, 1, 1)
    scope = Scope((network.pk,), this_month(), this_month())
    assert referrals_in(scope) == referrals_in_counted(scope)


# --- under row-level security ------------------------------------------------------------------


def test_the_counts_are_kept_and_read_under_row_level_security(network, other_network, member):
    """As the application's role, scoped to one network: a referral's changes are counted
    (the counters' rows pass the policy), another network's counts are not visible, and an
    organisation's new kind moves its referrals' counts in every network (the admin's change
    runs its trigger as the definer)."""
    ensure_app_role()
    gp, pharmacist = member("gp"), member("pharmacist")
    practice = OrganisationFactory(kind="gp_practice")
    ReferralFactory(patient=PatientFactory(network=other_network), source_organisation=practice)
    patient = PatientFactory(network=network)
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{APP_ROLE}"')
    assert rls.detect(connection, fresh=True), "RLS must apply to the application's role"
    try:
        rls.set_scope([network.pk])
        referral = make(patient, gp)
        services.referral_decline(referral=referral, by=pharmacist, reason="other", note="x")
        counts, triage = now_figures(network)
        assert (row(counts, MO)["declined_other"], triage[-1]["triaged"]) == (1, 1)
        assert now_figures(other_network)[0] == []  # not in scope: nothing to read
        Organisation.objects.filter(pk=practice.pk).update(kind="council")
        rls.set_scope([other_network.pk])
        assert [(r["source"], r["total"]) for r in now_figures(other_network)[0]] == [
            ("council", 1)
        ]
    finally:
        rls.clear_scope()
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        rls.detect(connection, fresh=True)


def test_every_status_and_decline_reason_has_its_column():
    """The counts' columns are the referral's statuses and decline reasons by name: a new
    status or reason needs its column (and a migration), or it would be counted nowhere."""
    from reports import tally
    from reports.models import ReferralTally

    assert set(tally.STATUSES) == set(Referral.Status.values)
    assert set(tally.REASONS) == set(Referral.DeclineReason.values)
    columns = {field.name for field in ReferralTally._meta.get_fields()}
    assert set(tally.COUNTS) <= columns
