"""The benchmark's floor (benchmarks/dashboard_floor.py: the dashboard by hand-written SQL)
gives exactly the answer figures.dashboard gives, on small data with every kind of figure:
months across a clock change, other networks, services and sources, triage over bank
holidays, the caseload, pharmacists' visits, red flags, meetings and actions, goals."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from actions.models import Action
from benchmarks.dashboard_floor import as_dashboard, canonical, dashboard_floor
from huddles.models import AgendaItem, Episode, Meeting
from medicines.models import Visit
from patients.models import Goal
from referrals.models import PatientFlag, RedFlag, Referral
from reports.figures import Scope, dashboard
from reports.models import AdmissionEvent
from tests.factories import ActionFactory, OrganisationFactory, PatientFactory
from tests.referrals.factories import ReferralFactory

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
TODAY = date(2026, 11, 23)
pytestmark = pytest.mark.django_db


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def both(network_ids, first: date, last: date, service: str = "") -> tuple[dict, dict]:
    scope = Scope(tuple(network_ids), first, last, service)
    figures = dashboard(scope, today=TODAY, now=NOW)
    with connection.cursor() as cursor:
        raw = dashboard_floor(
            cursor,
            network_ids=list(network_ids),
            start=first,
            end=last,
            service=service or None,
            today=TODAY,
            now=NOW,
        )
    return canonical(as_dashboard(raw)), canonical(figures)


@pytest.fixture
def data(network, other_network, member):
    chair, gp = member("chair"), member("gp")
    pharmacist, technician = member("pharmacist"), member("pharmacy_technician")
    nurse = member("community_nurse")
    elsewhere = member("pharmacist", net=other_network, username="pharmacist.purbeck")
    trust = OrganisationFactory(kind="nhs_trust")
    practice = OrganisationFactory(kind="gp_practice", code="GP1", name="Practice")

    def episode(net, closed_at, answer, opened_at):
        return Episode.objects.create(
            patient=PatientFactory(network=net),
            network=net,
            opened_at=opened_at,
            closed_at=closed_at,
            admission_avoided=answer,
        )

    for i, (closed, answer) in enumerate(
        [
            (utc(2026, 3, 31, 23, 30), "yes"),  # April in London
            (utc(2026, 3, 31, 22, 59), "no"),
            (london(2026, 6, 10, 15), "yes"),
            (london(2026, 6, 10, 15), "unsure"),
            (london(2026, 8, 1, 9), ""),
            (london(2026, 11, 1, 10), "yes"),  # 30 days not yet passed
            (utc(2026, 2, 28, 23, 59), "yes"),  # before the period
        ]
    ):
        ep = episode(network, closed, answer, utc(2026, 1, 5 + i, 12))
        for days, kind in ((20, "emergency"), (71, "emergency"), (5, "elective")):
            admitted = closed.astimezone(LONDON).date() + timedelta(days=days)
            if i % 3 == days % 3:
                AdmissionEvent.objects.create(
                    network=network,
                    patient=ep.patient,
                    admitted_on=admitted,
                    kind=kind,
                    recorded_by=chair,
                )
    episode(network, None, "", utc(2026, 11, 13, 12))
    episode(network, None, "", utc(2026, 11, 2, 7))
    episode(other_network, london(2026, 5, 1, 12), "yes", utc(2026, 4, 1))

    def referral(net, made, triaged=None, status="new", reason="", **kwargs):
        ref = ReferralFactory(patient=PatientFactory(network=net), **kwargs)
        Referral.objects.filter(pk=ref.pk).update(
            created_at=made,
            triaged_at=triaged,
            triaged_by=ref.referred_by if triaged else None,
            status=status,
            decline_reason=reason,
            closed_at=(triaged or made) if status in ("completed", "withdrawn") else None,
        )

    referral(network, london(2026, 12, 24, 10), london(2026, 12, 29, 9), "accepted")
    referral(network, london(2026, 11, 30, 16), london(2026, 12, 4, 11), "declined", "other")
    referral(network, london(2026, 5, 6, 10), london(2026, 5, 6, 11), "declined", "inappropriate")
    referral(network, london(2026, 5, 6, 10), london(2026, 5, 7, 11), "declined", "already_known")
    referral(network, london(2026, 5, 6, 10), london(2026, 5, 20, 9), "completed")
    referral(network, london(2026, 5, 6, 10), origin="red_flag")
    referral(network, london(2026, 7, 1, 9), source_organisation=trust)
    referral(
        network,
        london(2026, 7, 2, 9),
        london(2026, 7, 3, 9),
        "accepted",
        service="gp",
        source_organisation=practice,
    )
    referral(network, london(2026, 4, 30, 23, 30))  # April in London: outside
    referral(network, london(2026, 6, 1, 9), status="withdrawn", service="gp")
    referral(other_network, london(2026, 5, 6, 10), london(2026, 5, 8, 9), "accepted")

    for when, who in [
        (london(2026, 10, 1, 10), pharmacist),
        (london(2026, 10, 21, 10), pharmacist),
        (london(2026, 10, 22, 10), technician),
        (london(2026, 10, 2, 10), nurse),  # not a pharmacist
        (london(2026, 9, 30, 23, 59), technician),  # a day before
    ]:
        Visit.objects.create(
            network=network,
            patient=PatientFactory(network=network),
            kind="home",
            visitor=who,
            visited_at=when,
        )
    Visit.objects.create(
        network=other_network,
        patient=PatientFactory(network=other_network),
        kind="home",
        visitor=elsewhere,
        visited_at=london(2026, 10, 5, 10),
    )

    for code, at in [
        ("no_heating", utc(2026, 3, 31, 23, 30)),
        ("no_heating", utc(2026, 4, 15, 9)),
        ("loneliness", utc(2026, 10, 10, 9)),
    ]:
        flag = PatientFlag.objects.create(
            patient=PatientFactory(network=network),
            flag=RedFlag.objects.get(code=code),
            raised_from="patient",
            raised_by=gp,
        )
        PatientFlag.objects.filter(pk=flag.pk).update(raised_at=at)

    def meeting(month, day, discussed, status="closed"):
        starts = london(2026, month, day, 13)
        m = Meeting.objects.create(
            network=network, scheduled_for=starts, starts_at=starts, status=status, chair=chair
        )
        items = [
            AgendaItem.objects.create(
                meeting=m,
                patient=PatientFactory(network=network),
                source="manual",
                reason="r",
                status="discussed",
                position=i,
            )
            for i in range(discussed)
        ]
        AgendaItem.objects.create(
            meeting=m,
            patient=PatientFactory(network=network),
            source="manual",
            reason="r",
            status="not_reached",
            position=9,
        )
        return items

    first = meeting(11, 5, 3)
    meeting(11, 19, 1)
    meeting(10, 8, 2)
    meeting(11, 26, 0, status="scheduled")
    for due, done in [
        (date(2026, 11, 10), london(2026, 11, 9, 17)),
        (date(2026, 11, 10), london(2026, 11, 10, 23, 30)),
        (date(2026, 11, 12), london(2026, 11, 13, 9)),
        (date(2026, 11, 15), None),
        (date(2026, 11, 30), None),
    ]:
        action = ActionFactory(
            patient=first[0].patient, agenda_item=first[0], due_on=due, created_by=chair
        )
        if done:
            Action.objects.filter(pk=action.pk).update(status="done", done_at=done, done_by=chair)
    ActionFactory(patient=first[0].patient, due_on=date(2026, 11, 10))  # not from a meeting

    goal_patient = PatientFactory(network=network)
    for outcome, agreed in [
        ("met", date(2026, 5, 1)),
        ("not_met", date(2026, 5, 3)),
        ("partly_met", date(2026, 5, 4)),
        ("open", date(2026, 5, 5)),
        ("met", date(2026, 2, 27)),
    ]:
        Goal.objects.create(
            patient=goal_patient,
            description="Get to the lunch club",
            agreed_on=agreed,
            agreed_by=chair,
            outcome=outcome,
            outcome_on=None if outcome == "open" else date(2026, 6, 1),
            outcome_by=None if outcome == "open" else chair,
        )


@pytest.mark.parametrize(
    "first, last, service",
    [
        (date(2026, 3, 1), date(2026, 12, 1), ""),
        (date(2026, 5, 1), date(2026, 5, 1), ""),
        (date(2026, 3, 1), date(2026, 12, 1), "gp"),
        (date(2027, 1, 1), date(2027, 2, 1), ""),  # nothing at all
    ],
)
def test_the_floor_gives_the_dashboards_answer(data, network, first, last, service):
    floor, figures = both([network.pk], first, last, service)
    assert floor == figures


def test_the_floor_gives_the_dashboards_answer_over_several_networks(data, network, other_network):
    floor, figures = both(
        sorted([network.pk, other_network.pk]), date(2026, 1, 1), date(2026, 12, 1)
    )
    assert floor == figures
    assert figures["referrals"] and figures["visits"]["pharmacists"]
    assert figures["triage_working_days"][-1]["triaged"] == 7


def test_the_floor_accepts_any_day_of_the_end_months(data, network):
    with connection.cursor() as cursor:
        raw = dashboard_floor(
            cursor,
            network_ids=[network.pk],
            start=date(2026, 5, 17),
            end=date(2026, 6, 30),
            today=TODAY,
            now=NOW,
        )
    assert raw["months"] == ["2026-05", "2026-06"]
