"""The dashboard's figures against hand-computed fixtures: months in Europe/London, working
days with England and Wales bank holidays, and the honest follow-up after discharge."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from actions.models import Action
from huddles.models import AgendaItem, Episode, Meeting
from medicines.models import Visit
from patients.models import Goal
from referrals.models import PatientFlag, RedFlag, Referral
from reports.figures import (
    Scope,
    admissions_after_discharge,
    admissions_avoided,
    caseload,
    goals,
    meetings,
    people,
    red_flags_by_month,
    referrals_in,
    triage_times,
    visits_per_pharmacist,
)
from reports.models import AdmissionEvent
from tests.factories import ActionFactory, PatientFactory
from tests.referrals.factories import ReferralFactory

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def scope_of(network, first: str, last: str, service: str = "") -> Scope:
    y1, m1 = map(int, first.split("-"))
    y2, m2 = map(int, last.split("-"))
    return Scope((network.pk,), date(y1, m1, 1), date(y2, m2, 1), service)


def episode(network, closed_at, answer="yes", opened_at=None, patient=None):
    return Episode.objects.create(
        patient=patient or PatientFactory(network=network),
        network=network,
        opened_at=opened_at or utc(2026, 1, 5, 12),
        closed_at=closed_at,
        admission_avoided=answer,
    )


# --- months in Europe/London ------------------------------------------------------------------


def test_an_episode_closed_after_midnight_bst_counts_in_the_london_month(network):
    episode(network, utc(2026, 3, 31, 23, 30), "yes")  # 00:30 BST on 1 April
    episode(network, utc(2026, 3, 31, 22, 59), "no")  # 23:59 BST on 31 March
    episode(network, utc(2026, 3, 1, 0, 15), "unsure")  # GMT: 1 March
    episode(network, utc(2026, 2, 28, 23, 59), "yes")  # February: outside the period
    episode(network, None, "")  # still on the caseload
    months = admissions_avoided(scope_of(network, "2026-03", "2026-05"))
    assert months == [
        {"month": "2026-03", "yes": 0, "no": 1, "unsure": 1},
        {"month": "2026-04", "yes": 1, "no": 0, "unsure": 0},
        {"month": "2026-05", "yes": 0, "no": 0, "unsure": 0},
    ]


def test_other_networks_never_count(network, other_network):
    episode(other_network, utc(2026, 4, 10, 12), "yes")
    months = admissions_avoided(scope_of(network, "2026-04", "2026-04"))
    assert months == [{"month": "2026-04", "yes": 0, "no": 0, "unsure": 0}]


# --- what happened after discharge ----------------------------------------------------------------


def test_emergency_admissions_within_30_and_90_days_of_discharge(network, member):
    by = member("chair")

    def admitted(ep, on, kind="emergency"):
        AdmissionEvent.objects.create(
            network=network, patient=ep.patient, admitted_on=on, kind=kind, recorded_by=by
        )

    within_30 = episode(network, london(2026, 6, 10, 15), "yes")
    admitted(within_30, date(2026, 7, 10))  # day 30
    within_90 = episode(network, london(2026, 6, 10, 15), "no")
    admitted(within_90, date(2026, 8, 20))  # day 71
    elective = episode(network, london(2026, 6, 10, 15), "yes")
    admitted(elective, date(2026, 6, 20), kind="elective")  # planned: not counted
    before = episode(network, london(2026, 6, 10, 15), "unsure")
    admitted(before, date(2026, 6, 10))  # the day of discharge: not after it
    late = episode(network, london(2026, 6, 10, 15), "yes")
    admitted(late, date(2026, 9, 9))  # day 91
    recent = episode(network, london(2026, 11, 1, 10), "yes")  # 30 days not yet passed
    admitted(recent, date(2026, 11, 5))

    rows = {
        r["answer"]: r
        for r in admissions_after_discharge(
            scope_of(network, "2026-06", "2026-11"), today=date(2026, 11, 23)
        )
    }
    assert rows["all"] == {
        "answer": "all",
        "discharged": 6,
        "followed_30": 5,
        "admitted_30": 1,
        "followed_90": 5,
        "admitted_90": 2,
    }
    assert rows["yes"]["discharged"] == 4 and rows["yes"]["admitted_30"] == 1
    assert rows["no"]["admitted_30"] == 0 and rows["no"]["admitted_90"] == 1
    assert rows["unsure"]["admitted_90"] == 0
    # The people behind the numbers as of the same day as the figures (not the wall clock's:
    # `recent` passes its 30 and 90 days in December 2026 and January 2027).
    scope = scope_of(network, "2026-06", "2026-11")
    behind = people(scope, "admitted", days=90, today=date(2026, 11, 23))
    assert set(behind) == {within_30.patient, within_90.patient}
    behind = people(scope, "admitted", days=30, today=date(2026, 11, 23))
    assert set(behind) == {within_30.patient}


# --- referrals and triage -----------------------------------------------------------------------


def referral(network, made, triaged=None, status="new", decline_reason="", **kwargs):
    ref = ReferralFactory(patient=PatientFactory(network=network), **kwargs)
    Referral.objects.filter(pk=ref.pk).update(
        created_at=made,
        triaged_at=triaged,
        triaged_by=ref.referred_by if triaged else None,
        status=status,
        decline_reason=decline_reason,
    )
    return ref


def test_working_days_to_triage_skip_weekends_and_bank_holidays(network):
    # Thursday 24 Dec 2026 -> Tuesday 29 Dec: 25th and 28th are bank holidays: 1 working day.
    referral(network, london(2026, 12, 24, 10), london(2026, 12, 29, 9), status="accepted")
    # Monday 30 Nov -> Friday 4 Dec: 4 working days.
    referral(
        network,
        london(2026, 11, 30, 16),
        london(2026, 12, 4, 11),
        status="declined",
        decline_reason="other",
    )
    # The same day: 0.
    referral(network, london(2026, 12, 1, 9), london(2026, 12, 1, 17), status="accepted")
    referral(network, london(2026, 12, 2, 9))  # not triaged: not counted
    referral(
        network, london(2026, 12, 2, 9), london(2026, 12, 3, 9), status="accepted", service="gp"
    )
    rows = {r["service"]: r for r in triage_times(scope_of(network, "2026-11", "2026-12"))}
    medicines = rows["medicines_optimisation"]
    assert medicines["triaged"] == 3
    assert medicines["median"] == 1.0  # of 0, 1, 4
    assert medicines["p90"] == pytest.approx(3.4)  # 1 + 0.8 x (4 - 1)
    assert rows["gp"]["median"] == 1.0
    assert rows["all"]["triaged"] == 4
    assert rows["all"]["median"] == 1.0


def test_referrals_in_per_service_and_source_with_the_inappropriate_rate(network, member):
    made = london(2026, 5, 6, 10)
    referral(network, made, made, status="accepted")
    referral(network, made, made, status="declined", decline_reason="inappropriate")
    referral(network, made, made, status="declined", decline_reason="already_known")
    referral(network, made)
    referral(network, made, origin="red_flag")
    referral(network, london(2026, 4, 30, 23, 30))  # April in London: outside
    referral(network, made, service="gp")
    rows = referrals_in(scope_of(network, "2026-05", "2026-05"))
    member_row = next(
        r for r in rows if r["service"] == "medicines_optimisation" and r["source"] == "member"
    )
    assert member_row["total"] == 4
    assert (member_row["accepted"], member_row["declined"], member_row["waiting"]) == (1, 2, 1)
    assert member_row["declined_inappropriate"] == 1
    assert member_row["inappropriate_rate"] == pytest.approx(0.333)
    flag_row = next(r for r in rows if r["source"] == "red_flag")
    assert flag_row["total"] == 1 and flag_row["inappropriate_rate"] is None
    only_gp = referrals_in(scope_of(network, "2026-05", "2026-05", service="gp"))
    assert [(r["service"], r["total"]) for r in only_gp] == [("gp", 1)]
    declined = people(
        scope_of(network, "2026-05", "2026-05"), "referrals", status="declined"
    ).count()
    assert declined == 2


# --- caseload, visits, flags, meetings, goals ----------------------------------------------------


def test_caseload_now_and_median_days_on_it(network):
    now = utc(2026, 11, 23, 12)
    episode(network, None, "", opened_at=utc(2026, 11, 13, 12))  # 10 days so far
    episode(network, None, "", opened_at=utc(2026, 11, 3, 12))  # 20 days
    episode(network, utc(2026, 10, 11, 12), "yes", opened_at=utc(2026, 10, 1, 12))  # 10 days
    episode(network, utc(2026, 10, 31, 12), "no", opened_at=utc(2026, 10, 1, 12))  # 30 days
    figures = caseload(scope_of(network, "2026-10", "2026-11"), now=now)
    assert figures == {
        "active": 2,
        "active_median_days": 15.0,
        "discharged": 2,
        "discharged_median_days": 20.0,
    }


def test_visits_per_pharmacist_per_working_day(network, member, patient):
    pharmacist = member("pharmacist")
    nurse = member("community_nurse")
    for when, who in [
        (london(2026, 12, 1, 10), pharmacist),
        (london(2026, 12, 21, 10), pharmacist),
        (london(2026, 12, 2, 10), nurse),  # not a pharmacist
        (london(2026, 11, 30, 23, 59), pharmacist),  # November
    ]:
        Visit.objects.create(
            network=network, patient=patient, kind="home", visitor=who, visited_at=when
        )
    # December 2026: 23 weekdays less Christmas Day and Boxing Day's substitute = 21.
    figures = visits_per_pharmacist(scope_of(network, "2026-12", "2026-12"), today=date(2027, 1, 5))
    assert figures["working_days"] == 21
    [row] = figures["pharmacists"]
    assert row["user_id"] == pharmacist.pk and row["visits"] == 2
    assert row["per_working_day"] == round(2 / 21, 2)
    # Part-way through the month only the working days so far count: 1-4 Dec.
    so_far = visits_per_pharmacist(scope_of(network, "2026-12", "2026-12"), today=date(2026, 12, 4))
    assert so_far["working_days"] == 4


def test_red_flags_by_code_per_london_month(network, member, patient):
    by = member("gp")

    def raise_flag(code, at):
        flag = PatientFlag.objects.create(
            patient=PatientFactory(network=network),
            flag=RedFlag.objects.get(code=code),
            raised_from="patient",
            raised_by=by,
        )
        PatientFlag.objects.filter(pk=flag.pk).update(raised_at=at)

    raise_flag("no_heating", utc(2026, 3, 31, 23, 30))  # April in London
    raise_flag("no_heating", utc(2026, 4, 15, 9))
    raise_flag("loneliness", utc(2026, 3, 10, 9))
    rows = red_flags_by_month(scope_of(network, "2026-03", "2026-04"))
    assert rows[0]["code"] == "no_heating" and rows[0]["total"] == 2
    assert rows[0]["months"] == [{"month": "2026-03", "n": 0}, {"month": "2026-04", "n": 2}]
    assert rows[1]["months"] == [{"month": "2026-03", "n": 1}, {"month": "2026-04", "n": 0}]


def test_meetings_held_people_discussed_and_actions_on_time(network, member):
    chair = member("chair")

    def meeting(day, discussed, status="closed"):
        starts = london(2026, 11, day, 13)
        m = Meeting.objects.create(
            network=network, scheduled_for=starts, starts_at=starts, status=status, chair=chair
        )
        items = []
        for i in range(discussed):
            items.append(
                AgendaItem.objects.create(
                    meeting=m,
                    patient=PatientFactory(network=network),
                    source="manual",
                    reason="r",
                    status="discussed",
                    position=i,
                )
            )
        AgendaItem.objects.create(
            meeting=m,
            patient=PatientFactory(network=network),
            source="manual",
            reason="r",
            status="not_reached",
            position=9,
        )
        return items

    first = meeting(5, 3)
    meeting(19, 1)
    meeting(26, 0, status="scheduled")  # not held (yet)

    def action(due, done=None):
        a = ActionFactory(
            patient=first[0].patient, agenda_item=first[0], due_on=due, created_by=chair
        )
        if done:
            Action.objects.filter(pk=a.pk).update(status="done", done_at=done, done_by=chair)

    action(date(2026, 11, 10), london(2026, 11, 9, 17))  # on time
    action(date(2026, 11, 10), london(2026, 11, 10, 23, 30))  # the same London day: on time
    action(date(2026, 11, 12), london(2026, 11, 13, 9))  # late
    action(date(2026, 11, 15))  # open and overdue
    action(date(2026, 11, 30))  # open, not yet due
    ActionFactory(patient=first[0].patient, due_on=date(2026, 11, 10))  # not from a meeting

    figures = meetings(scope_of(network, "2026-11", "2026-11"), today=date(2026, 11, 23))
    assert figures["held"] == 2
    assert figures["by_month"] == [{"month": "2026-11", "held": 2, "discussed": 4}]
    assert figures["discussed_per_meeting_mean"] == 2.0
    assert figures["discussed_per_meeting_median"] == 2.0
    assert figures["actions"] == {"due": 5, "on_time": 2, "late": 1, "overdue": 1, "open": 1}


def test_goals_agreed_and_met(network, member, patient):
    by = member("pic")
    for outcome, agreed in [
        ("met", date(2026, 5, 1)),
        ("met", date(2026, 5, 2)),
        ("not_met", date(2026, 5, 3)),
        ("partly_met", date(2026, 5, 4)),
        ("open", date(2026, 5, 5)),
        ("met", date(2026, 4, 30)),  # agreed before the period
    ]:
        Goal.objects.create(
            patient=patient,
            description="Get to the lunch club",
            agreed_on=agreed,
            agreed_by=by,
            outcome=outcome,
            outcome_on=None if outcome == "open" else date(2026, 6, 1),
            outcome_by=None if outcome == "open" else by,
        )
    figures = goals(scope_of(network, "2026-05", "2026-06"))
    assert figures == {
        "agreed": 5,
        "open": 1,
        "met": 2,
        "partly_met": 1,
        "not_met": 1,
        "met_rate": 0.5,
    }
