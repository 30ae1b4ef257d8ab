"""A small world of three networks for networks side by side (reports/compare.py), with every
count chosen so that each figure can be worked out by hand (tests/reports/test_compare.py has
the arithmetic). The period is June to August 2026; "today" is 15 September 2026.

- Thornton Heath (A): GP practices of 4,000 and 6,000 people in June and July, and 4,000 and
  9,000 in August: mean population (10,000 + 10,000 + 13,000) / 3 = 11,000. 11 referrals.
- Purbeck (B): one practice of 5,000 in June only (no figures for July and August): mean
  population 5,000. 60 referrals, far above the others (the outlier).
- Fylde (C): no population figures at all. 5 referrals.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from huddles.models import Episode
from patients.models import Goal
from referrals.models import Referral
from reports.models import AdmissionEvent, PracticePopulation
from tests.factories import NetworkFactory, OrganisationFactory, PatientFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 9, 15)
FIRST, LAST = date(2026, 6, 1), date(2026, 8, 1)


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def practice(network, code: str, sizes: dict[date, int], by) -> None:
    org = OrganisationFactory(code=code, name=f"Practice {code}", kind="gp_practice")
    network.gp_practices.add(org)
    for month, registered in sizes.items():
        PracticePopulation.objects.create(
            practice=org, month=month, registered=registered, recorded_by=by
        )


def referrals(network, by, made: datetime, n: int, service="medicines_optimisation") -> None:
    """n withdrawn (never triaged) referrals of one person, made at `made`."""
    person = PatientFactory(network=network)
    made_ids = [
        r.pk
        for r in Referral.objects.bulk_create(
            Referral(
                patient=person,
                network=network,
                service=service,
                reason="Falls",
                referred_by=by,
                status="withdrawn",
                closed_at=made,
            )
            for _ in range(n)
        )
    ]
    Referral.objects.filter(pk__in=made_ids).update(created_at=made)


def triaged(network, by, made: datetime, at: datetime) -> None:
    ref = Referral.objects.create(
        patient=PatientFactory(network=network),
        network=network,
        service="medicines_optimisation",
        reason="Medicines",
        referred_by=by,
        status="accepted",
        triaged_at=at,
        triaged_by=by,
    )
    Referral.objects.filter(pk=ref.pk).update(created_at=made)


def discharge(network, by, closed: datetime | None, answer="yes", admitted=None, kind="emergency"):
    person = PatientFactory(network=network)
    Episode.objects.create(
        patient=person,
        network=network,
        opened_at=london(2026, 5, 1, 9),
        closed_at=closed,
        admission_avoided=answer if closed else "",
    )
    if admitted:
        AdmissionEvent.objects.create(
            network=network, patient=person, admitted_on=admitted, kind=kind, recorded_by=by
        )
    return person


def goal(person, by, agreed: date, outcome: str) -> None:
    Goal.objects.create(
        patient=person,
        description="Walk to the shop",
        agreed_on=agreed,
        agreed_by=by,
        outcome=outcome,
        outcome_on=None if outcome == "open" else date(2026, 9, 1),
        outcome_by=None if outcome == "open" else by,
    )


def build(a, b) -> dict:
    """The three networks' records: a and b are Thornton Heath and Purbeck; Fylde is made."""
    by = UserFactory(username="recorder")
    c = NetworkFactory(slug="fylde", name="Fylde")
    jun, jul, aug = FIRST, date(2026, 7, 1), LAST
    practice(a, "A0001", {jun: 4000, jul: 4000, aug: 4000}, by)
    practice(a, "A0002", {jun: 6000, jul: 6000, aug: 9000, date(2026, 9, 1): 50000}, by)
    practice(b, "B0001", {date(2026, 5, 1): 90000, jun: 5000}, by)

    # Referrals: A 8 untriaged + 3 triaged = 11; B 58 + 2 = 60; C 5. One before the period
    # and one after it in A (not counted).
    referrals(a, by, london(2026, 6, 10, 9), 4)
    referrals(a, by, london(2026, 7, 10, 9), 4, service="gp")
    referrals(a, by, london(2026, 5, 31, 23, 30), 1)  # 31 May: before the period
    referrals(a, by, datetime(2026, 8, 31, 23, 30, tzinfo=UTC), 1)  # 00:30 BST, 1 September
    referrals(b, by, london(2026, 6, 10, 9), 20)
    referrals(b, by, london(2026, 7, 10, 9), 20)
    referrals(b, by, london(2026, 8, 10, 9), 18)
    referrals(c, by, london(2026, 8, 10, 9), 5)
    # Triage in working days (no bank holiday in June 2026; 1 June is a Monday).
    triaged(a, by, london(2026, 6, 1, 10), london(2026, 6, 1, 17))  # 0
    triaged(a, by, london(2026, 6, 2, 10), london(2026, 6, 3, 10))  # 1
    triaged(a, by, london(2026, 6, 3, 10), london(2026, 6, 9, 10))  # 4: Thu Fri Mon Tue
    triaged(b, by, london(2026, 6, 1, 10), london(2026, 6, 5, 10))  # 4
    triaged(b, by, london(2026, 6, 1, 10), london(2026, 6, 4, 10))  # 3

    # Discharges (episodes closed in the period) and emergency admissions after them.
    e1 = discharge(a, by, london(2026, 6, 10, 12), "yes", date(2026, 6, 20))  # day 10
    e2 = discharge(a, by, london(2026, 6, 15, 12), "yes")
    discharge(a, by, london(2026, 7, 1, 12), "no", date(2026, 7, 5), kind="elective")
    discharge(a, by, london(2026, 7, 10, 12), "unsure", date(2026, 8, 24))  # day 45
    discharge(a, by, london(2026, 8, 20, 12), "yes", date(2026, 8, 25))  # 30 days not passed
    e6 = discharge(a, by, None)  # on the caseload since May, still open
    discharge(a, by, london(2026, 5, 20, 12), "yes")  # closed in May: not in the period
    f1 = discharge(b, by, london(2026, 6, 5, 12), "yes", date(2026, 6, 10))  # day 5
    f2 = discharge(b, by, london(2026, 6, 20, 12), "yes")
    discharge(c, by, london(2026, 7, 1, 12), "yes")

    # Goals agreed in the period with an outcome.
    goal(e1, by, date(2026, 6, 12), "met")
    goal(e2, by, date(2026, 7, 2), "partly_met")
    goal(e6, by, date(2026, 8, 3), "open")  # not decided
    goal(e6, by, date(2026, 5, 12), "met")  # agreed in May: not in the period
    goal(f1, by, date(2026, 6, 12), "met")
    goal(f2, by, date(2026, 6, 13), "met")
    return {"a": a, "b": b, "c": c, "by": by}
