"""The evaluation (reports/evaluation.py): every figure of a small fixture computed by hand.

The fixture: the period January to June 2026, followed up to today = 20 July 2026, window 180
days, at least 30 days' follow-up. P1..P6 have episodes in the network; C1..C9 were referred to
the MDT and not taken on (or are decoys that must not count)."""

import html
import math
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from huddles.models import Episode
from patients.models import FrailtyAssessment
from referrals.models import Referral
from reports import stats
from reports.evaluation import METHOD, ON_CASELOAD, evaluation, frailty_band
from reports.models import AdmissionEvent
from tests.factories import PatientFactory

LONDON = ZoneInfo("Europe/London")
FIRST, LAST, TODAY = date(2026, 1, 1), date(2026, 6, 1), date(2026, 7, 20)
Z = 1.959964


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def d(text: str) -> date:
    return date.fromisoformat(text)


class World:
    def __init__(self, network, other_network, user):
        self.network, self.other, self.user = network, other_network, user
        self.people: dict[str, object] = {}

    def person(self, name: str, born: str, net=None):
        made = PatientFactory(  # names no page text contains, to show none is shown
            network=net or self.network,
            date_of_birth=d(born),
            given_name=f"Given{name}",
            family_name=f"Okonkwo{name}",
        )
        self.people[name] = made
        return made

    def episode(self, name, opened: str, closed: str | None, answer: str = "", net=None):
        Episode.objects.create(
            patient=self.people[name],
            network=net or self.network,
            opened_at=at(d(opened)),
            closed_at=None if closed is None else at(d(closed)),
            admission_avoided=answer,
        )

    def admitted(self, name, *days: str, kind: str = "emergency"):
        for day in days:
            AdmissionEvent.objects.create(
                network=self.people[name].network,
                patient=self.people[name],
                admitted_on=d(day),
                kind=kind,
                recorded_by=self.user,
            )

    def frailty(self, name, on: str, scale: str = "", score=None, level=None):
        FrailtyAssessment.objects.create(
            patient=self.people[name],
            assessed_on=d(on),
            scale=scale,
            efi_score=score if scale == "efi" else None,
            cfs_score=score if scale == "cfs" else None,
            frailty=level,
            recorded_by=self.user,
        )

    def referral(self, name, created: str, status: str, decided: str, service="mdt", net=None):
        fields: dict = {"status": status}
        if status in ("declined", "accepted"):
            fields["triaged_at"] = at(d(decided))
        if status == "declined":
            fields["decline_reason"] = "inappropriate"
        if status == "withdrawn":
            fields["closed_at"] = at(d(decided))
        made = Referral.objects.create(
            network=net or self.network,
            patient=self.people[name],
            referred_by=self.user,
            service=service,
            reason="Falls",
            **fields,
        )
        Referral.objects.filter(pk=made.pk).update(created_at=at(d(created)))


def build(network, other_network, user) -> World:
    """The fixture's people, episodes, referrals, assessments and admissions (also behind the
    page in tests/e2e/test_evaluation_page.py)."""
    w = World(network, other_network, user)
    # P1: 85 at its first episode's opening (born 1 March 1940, opened 10 January 2026); CFS 6
    # (moderate) before it; an eFI after the index does not count.
    w.person("P1", "1940-03-01")
    w.episode("P1", "2026-01-10", "2026-02-09", "yes")
    w.episode("P1", "2026-03-01", "2026-04-01", "unsure")  # a second discharge: not its first
    w.frailty("P1", "2025-12-01", "cfs", 6)
    w.frailty("P1", "2026-02-01", "efi", Decimal("0.40"))
    w.admitted("P1", "2025-08-01", "2025-08-02", "2025-10-15", "2026-01-09")
    w.admitted("P1", "2026-01-10", "2026-02-09", "2026-02-10")
    w.admitted("P1", "2026-03-15", kind="elective")
    # P2: 75 at opening, eFI 0.20 (mild); discharged at 00:30 BST on 1 May (1 May in London).
    w.person("P2", "1950-06-01")
    w.episode("P2", "2026-03-01", None, "no")
    Episode.objects.filter(patient=w.people["P2"]).update(
        closed_at=datetime(2026, 4, 30, 23, 30, tzinfo=ZoneInfo("UTC"))
    )
    w.frailty("P2", "2026-01-01", "efi", Decimal("0.20"))
    w.admitted("P2", "2025-12-10", "2026-01-05", "2026-02-28", "2026-06-01")
    # P3: 66 at opening, no frailty assessed; discharged 25 June: 25 days' follow-up.
    w.person("P3", "1960-01-01")
    w.episode("P3", "2026-06-01", "2026-06-25", "yes")
    w.admitted("P3", "2026-05-01", "2026-06-30")
    # P4: discharged before the period.
    w.person("P4", "1941-01-01")
    w.episode("P4", "2025-11-01", "2025-12-20", "yes")
    w.admitted("P4", "2026-01-15")
    # P5: 81 at opening, severe set by hand; no admissions; discharge not answered.
    w.person("P5", "1945-02-01")
    w.episode("P5", "2026-02-01", "2026-02-20")
    w.frailty("P5", "2025-06-01", level="severe")
    # P6: opened 25 June, still open: 25 days' follow-up.
    w.person("P6", "1944-01-01")
    w.episode("P6", "2026-06-25", None)
    # Another network's discharge and opening.
    w.person("PX", "1940-01-01", net=other_network)
    w.episode("PX", "2026-02-01", "2026-03-01", "yes", net=other_network)

    # C1: 86 at its index (declined 3 Feb), CFS 6, three admissions in the year before.
    w.person("C1", "1940-01-01")
    w.referral("C1", "2026-02-01", "declined", "2026-02-03")
    w.frailty("C1", "2026-01-15", "cfs", 6)
    w.admitted("C1", "2025-05-01", "2025-09-01", "2026-02-02", "2026-02-04", "2026-04-01")
    w.admitted("C1", "2026-07-20")
    # C2: the same bands as C1 (86, eFI 0.30 moderate, 3 prior) but made after C1: not used.
    w.person("C2", "1939-06-01")
    w.referral("C2", "2026-02-10", "declined", "2026-02-12")
    w.frailty("C2", "2026-01-01", "efi", Decimal("0.30"))
    w.admitted("C2", "2025-06-01", "2025-07-01", "2025-08-01")
    # C3: withdrawn 10 March (78, CFS 5 mild, 3 prior).
    w.person("C3", "1948-01-01")
    w.referral("C3", "2026-03-05", "withdrawn", "2026-03-10")
    w.frailty("C3", "2026-03-01", "cfs", 5)
    w.admitted("C3", "2025-04-01", "2025-06-01", "2025-12-01", "2026-05-05")
    # C4: P5's bands (81, severe, 0) but discharged from the caseload in October 2025.
    w.person("C4", "1945-01-01")
    w.episode("C4", "2025-09-01", "2025-10-01")
    w.referral("C4", "2026-04-01", "declined", "2026-04-02")
    w.frailty("C4", "2025-06-01", level="severe")
    # C5: declined 1 July: 19 days' follow-up.
    w.person("C5", "1945-01-01")
    w.referral("C5", "2026-06-28", "declined", "2026-07-01")
    w.frailty("C5", "2025-06-01", level="severe")
    # Decoys: accepted; another service; another network.
    w.person("C6", "1945-01-01")
    w.referral("C6", "2026-02-01", "accepted", "2026-02-02")
    w.person("C7", "1945-01-01")
    w.referral("C7", "2026-02-01", "declined", "2026-02-02", service="physiotherapy")
    w.person("C8", "1945-01-01", net=other_network)
    w.referral("C8", "2026-02-01", "declined", "2026-02-02", net=other_network)
    # C9: 66 at index (declined 21 January), no frailty, one prior admission.
    w.person("C9", "1960-01-01")
    w.referral("C9", "2026-01-20", "declined", "2026-01-21")
    w.admitted("C9", "2025-03-01")
    return w


@pytest.fixture
def world(network, other_network, member):
    return build(network, other_network, member("chair"))


def test_the_estimate_counts_discharges_in_the_period(world):
    estimate = evaluation(world.network.pk, FIRST, LAST, TODAY)["estimate"]
    # Closed January to June in the network: P1 twice (yes, unsure), P2 (no), P3 (yes), P5
    # (not answered); not P4 (December) nor the other network's.
    assert {k: estimate[k] for k in ("yes", "no", "unsure", "not_answered", "discharges")} == {
        "yes": 2,
        "no": 1,
        "unsure": 1,
        "not_answered": 1,
        "discharges": 5,
    }
    assert stats.ESTIMATE in estimate["caveats"]
    assert stats.SMALL.format(n=10) in estimate["caveats"]  # 5 discharges


def test_before_and_after_by_hand(world):
    part = evaluation(world.network.pk, FIRST, LAST, TODAY)["before_after"]
    # First discharges in the period: P1 (9 Feb), P2 (1 May, London), P3 (25 Jun), P5 (20 Feb).
    # w = min(180, days to 20 July): P1 161, P2 80, P3 25 (< 30: left out), P5 150.
    # P1 before: 2 Aug 2025 .. 9 Jan 2026 -> 2 Aug, 15 Oct, 9 Jan = 3 (not 1 Aug; not the
    #   opened day 10 Jan); after: 10 Feb .. 20 Jul -> 10 Feb = 1 (not the discharge day 9 Feb,
    #   nor the elective 15 Mar).
    # P2 before: 11 Dec 2025 .. 28 Feb 2026 -> 5 Jan, 28 Feb = 2 (not 10 Dec); after: 2 May ..
    #   20 Jul -> 1 Jun = 1.  P5: 0 and 0.
    # Exposure each side 161 + 80 + 150 = 391; before 5, after 2.
    # RR = (2/391) / (5/391) = 0.4; SE = sqrt(1/2 + 1/5) = 0.836660;
    # ln 0.4 = -0.916291; -0.916291 -/+ 1.959964 * 0.836660 = -2.556107, 0.723525;
    # CI = exp(...) = 0.077606, 2.061704.
    assert part["discharged"] == 4
    assert part["people"] == 3
    assert part["left_out"] == [
        {
            "reason": "followed for fewer than 30 days (discharged or indexed too recently)",
            "people": 1,
        }
    ]
    assert (part["window_days"], part["min_follow_days"]) == (180, 30)
    assert part["person_days"] == 391
    assert (part["admissions_before"], part["admissions_after"]) == (5, 2)
    assert part["rate_ratio"] == 0.4
    assert part["ci95"] == [0.078, 2.062]
    assert part["reason"] is None
    assert part["caveats"] == [stats.REGRESSION_TO_THE_MEAN, stats.SMALL.format(n=10)]


def test_the_matched_comparison_by_hand(world):
    part = evaluation(world.network.pk, FIRST, LAST, TODAY)["comparison"]
    assert part["method"] == METHOD
    # Caseload: first episode opened in the period: P1 (10 Jan), P2 (1 Mar), P3 (1 Jun),
    # P5 (1 Feb), P6 (25 Jun). w: P1 180 (191 days to go), P2 141, P3 49, P5 169, P6 25 (left
    # out). Bands at the index (age, frailty, prior admissions 365 days before):
    #   P1 85+ moderate (CFS 6; the eFI is later) 3+ (1 Aug, 2 Aug, 15 Oct 2025, 9 Jan 2026)
    #   P2 75-84 mild (eFI 0.20) 3+ (10 Dec, 5 Jan, 28 Feb);  P3 65-74 unknown 1 (1 May)
    #   P5 75-84 severe (by hand) 0.
    # Candidates (declined or withdrawn MDT referrals of the network made in the period):
    #   C1 index 3 Feb, w 167, 85+ moderate 3+ -> P1 (first in patient-id order, not C2)
    #   C2 the same bands -> unused;  C3 index 10 Mar, w 132, 75-84 mild 3+ -> P2
    #   C4 left out: on the caseload until 1 Oct 2025 (within 365 days before the referral)
    #   C5 w 19: left out;  C9 index 21 Jan, w 180, 65-74 unknown 1 -> P3
    #   P5 (75-84 severe 0) has no one (C4 was left out): unmatched.
    caseload, comparison = part["caseload"], part["comparison_group"]
    assert {k: caseload[k] for k in ("people", "followed", "matched", "unmatched")} == {
        "people": 5,
        "followed": 4,
        "matched": 3,
        "unmatched": 1,
    }
    assert [row["people"] for row in caseload["left_out"]] == [1, 1]
    assert {k: comparison[k] for k in ("people", "eligible", "matched")} == {
        "people": 6,  # C1, C2, C3, C4, C5, C9 (not the decoys C6, C7, C8)
        "eligible": 4,
        "matched": 3,
    }
    assert comparison["left_out"] == [
        {"reason": ON_CASELOAD, "people": 1},
        {
            "reason": "followed for fewer than 30 days (discharged or indexed too recently)",
            "people": 1,
        },
    ]
    # Matched caseload: P1 after 11 Jan .. 9 Jul: 9 Feb, 10 Feb = 2 (not the elective);
    #   P2 2 Mar .. 20 Jul: 1 Jun = 1; P3 2 Jun .. 20 Jul: 30 Jun = 1. 4 in 180+141+49 = 370.
    # Matched comparison: C1 4 Feb .. 20 Jul: 4 Feb, 1 Apr, 20 Jul = 3; C3 11 Mar .. 20 Jul:
    #   5 May = 1; C9: 0. 4 in 167+132+180 = 479.
    assert (caseload["admissions"], caseload["person_days"]) == (4, 370)
    assert (comparison["admissions"], comparison["person_days"]) == (4, 479)
    # RR = (4/370) / (4/479) = 479/370 = 1.294595; SE = sqrt(1/4 + 1/4) = 0.707107;
    # ln 1.294595 = 0.258206; 0.258206 -/+ 1.959964 * 0.707107 = -1.127698, 1.644110;
    # CI = 0.323775, 5.176356.
    assert part["rate_ratio"] == 1.295
    assert part["ci95"] == [0.324, 5.176]
    assert math.isclose(math.exp(0.258206 - Z * math.sqrt(0.5)), 0.323775, abs_tol=1e-5)
    assert part["caveats"] == [
        stats.OBSERVED_ONLY,
        stats.UNMATCHED.format(n=1),
        stats.SMALL.format(n=10),
    ]


def test_frailty_bands_from_efi_cfs_or_by_hand():
    # eFI: fit up to 0.12, mild up to 0.24, moderate up to 0.36, severe above.
    assert [
        frailty_band("efi", Decimal(s), None, None) for s in ("0.12", "0.13", "0.36", "0.37")
    ] == [
        "fit",
        "mild",
        "moderate",
        "severe",
    ]
    # CFS: 1-3 fit, 4-5 mild, 6 moderate, 7-9 severe.
    assert [frailty_band("cfs", None, n, None) for n in range(1, 10)] == (
        ["fit"] * 3 + ["mild"] * 2 + ["moderate"] + ["severe"] * 3
    )
    assert frailty_band("", None, None, "moderate") == "moderate"  # a level set by hand
    assert frailty_band(None, None, None, None) == "unknown"  # never assessed
    assert frailty_band("", None, None, None) == "unknown"  # cleared by hand


def test_no_admissions_give_no_ratio_and_say_why(network, other_network, member):
    w = World(network, other_network, member("chair"))
    w.person("A", "1940-01-01")
    w.episode("A", "2026-02-01", "2026-03-01", "yes")
    w.admitted("A", "2026-01-15")  # before only: 1 before, 0 after
    figures = evaluation(network.pk, FIRST, LAST, TODAY)
    part = figures["before_after"]
    assert (part["people"], part["admissions_before"], part["admissions_after"]) == (1, 1, 0)
    # w = min(180, 141 days from 1 March to 20 July) = 141 each side.
    assert part["person_days"] == 141
    assert (part["rate_ratio"], part["ci95"]) == (None, None)
    assert part["reason"] == stats.rate_ratio(0, 1, 1, 1).reason
    assert "No admissions on one side" in part["reason"]
    # No one referred and not taken on: A is unmatched, nothing to compare.
    comparison = figures["comparison"]
    assert comparison["caseload"]["unmatched"] == 1
    assert comparison["comparison_group"]["person_days"] == 0
    assert comparison["rate_ratio"] is None
    assert comparison["reason"] == "No time at risk on one side, so there is no rate to compare."
    assert stats.UNMATCHED.format(n=1) in figures["caveats"]


def test_an_empty_network_is_all_zeros(network):
    figures = evaluation(network.pk, FIRST, LAST, TODAY)
    assert figures["estimate"]["discharges"] == 0
    assert figures["before_after"]["people"] == 0
    assert figures["before_after"]["reason"]
    assert figures["comparison"]["caseload"]["people"] == 0
    assert figures["comparison"]["comparison_group"]["people"] == 0


def test_four_queries_whatever_the_number_of_people(world, django_assert_num_queries):
    with django_assert_num_queries(4):
        full = evaluation(world.network.pk, FIRST, LAST, TODAY)
    with django_assert_num_queries(4):
        evaluation(world.other.pk, FIRST, LAST, TODAY)  # one discharge there
    assert full["comparison"]["caseload"]["people"] == 5


def test_settings_set_the_window_and_the_minimum(world, settings):
    settings.EVALUATION_WINDOW_DAYS = 60
    settings.EVALUATION_MIN_FOLLOW_DAYS = 100
    part = evaluation(world.network.pk, FIRST, LAST, TODAY)["before_after"]
    # w = min(60, days to 20 July): 60 for P1, P2, P5 (161, 80, 150 days), 25 for P3; all
    # under 100 days: everyone is left out.
    assert (part["window_days"], part["min_follow_days"]) == (60, 100)
    assert (part["discharged"], part["people"], part["person_days"]) == (4, 0, 0)
    assert part["left_out"][0]["people"] == 4
    settings.EVALUATION_MIN_FOLLOW_DAYS = 30
    part = evaluation(world.network.pk, FIRST, LAST, TODAY)["before_after"]
    # P1 before 10 Nov 2025 .. 9 Jan: 9 Jan = 1; after 10 Feb .. 10 Apr: 10 Feb = 1.
    # P2 before 31 Dec .. 28 Feb: 5 Jan, 28 Feb = 2; after 2 May .. 30 Jun: 1 Jun = 1.
    # P5: 0, 0. 3 people x 60 days = 180 each side; RR = 2/3.
    assert (part["people"], part["person_days"]) == (3, 180)
    assert (part["admissions_before"], part["admissions_after"]) == (3, 2)
    assert part["rate_ratio"] == round(2 / 3, 3)


# --- the API ------------------------------------------------------------------------------------

API = "/api/v1/reports/evaluation/"


@pytest.mark.parametrize("role", ["chair", "integrated_manager", "manager", "commissioner"])
def test_the_api_for_those_who_report(world, api, member, role):
    response = api(member(role)).get(
        API, {"network": world.network.slug, "from": "2026-01", "to": "2026-06"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    from django.utils import timezone

    today = timezone.localdate()
    expected = evaluation(world.network.pk, FIRST, LAST, today)
    assert body["estimate"] == expected["estimate"]
    assert body["before_after"] == expected["before_after"]
    assert body["comparison"] == expected["comparison"]
    assert body["caveats"] == expected["caveats"]
    assert (body["network"], body["from"], body["to"]) == (world.network.slug, "2026-01", "2026-06")
    assert body["today"] == today.isoformat()
    assert body["comparison"]["method"] == METHOD
    names = {p.family_name for p in world.people.values()} | {
        p.nhs_number for p in world.people.values()
    }
    assert not any(name in response.content.decode() for name in names)


@pytest.mark.parametrize("role", ["gp", "pharmacist", "pic", "ig_lead", "social_worker"])
def test_the_api_refuses_other_roles(network, api, member, role):
    response = api(member(role)).get(API, {"network": network.slug})
    assert response.status_code == 403


def test_the_api_another_network_is_not_found(network, other_network, api, member):
    assert api(member("chair")).get(API, {"network": other_network.slug}).status_code == 404
    assert api(member("chair")).get(API, {"network": "nowhere"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13"}, "from"),
        ({"from": "2026-06", "to": "2026-01"}, "to"),
        ({"from": "2020-01", "to": "2026-01"}, "to"),
        ({}, "network"),
    ],
)
def test_the_api_bad_period_is_400(network, api, member, params, field):
    query = {"network": network.slug} | params if field != "network" else params
    response = api(member("chair")).get(API, query)
    assert response.status_code == 400
    assert field in response.json()


def test_the_api_counts_queries_not_people(
    world, network, other_network, api, member, django_assert_max_num_queries
):
    client, empty = api(member("chair")), api(member("chair", net=other_network))
    with django_assert_max_num_queries(12) as full:
        assert client.get(API, {"network": network.slug}).status_code == 200
    with django_assert_max_num_queries(12) as none:
        assert empty.get(API, {"network": other_network.slug}).status_code == 200
    assert len(full.captured_queries) == len(none.captured_queries)


# --- the page -----------------------------------------------------------------------------------

PAGE = "/reports/evaluation/"


def test_the_page_shows_the_three_parts_with_their_caveats(world, client, member):
    client.force_login(member("commissioner"))
    response = client.get(PAGE, {"network": world.network.slug, "from": "2026-01", "to": "2026-06"})
    assert response.status_code == 200
    page = response.content.decode()
    for heading in (
        "The MDT's estimate",
        "Before and after, the same people",
        "Against a matched group not taken on",
    ):
        assert heading in page
    for caveat in (stats.ESTIMATE, stats.REGRESSION_TO_THE_MEAN, stats.OBSERVED_ONLY):
        assert html.escape(caveat) in page
    assert html.escape(METHOD) in page
    assert html.escape(ON_CASELOAD) in page
    names = {p.family_name for p in world.people.values()} | {
        p.nhs_number for p in world.people.values()
    }
    assert not any(name in page for name in names)


def test_the_page_bad_period_is_422_and_says_so(network, client, member):
    client.force_login(member("chair"))
    response = client.get(PAGE, {"from": "2026-06", "to": "2026-01"})
    assert response.status_code == 422
    assert "The last month cannot be before the first." in response.content.decode()


def test_the_page_offers_the_networks_the_user_reports_on(network, other_network, client, member):
    from networks.models import Membership

    user = member("manager")
    Membership.objects.create(user=user, network=other_network, role="commissioner")
    client.force_login(user)
    page = client.get(PAGE).content.decode()
    assert f'value="{network.slug}"' in page and f'value="{other_network.slug}"' in page
    assert client.get(PAGE, {"network": other_network.slug}).status_code == 200


def test_the_page_refuses_and_hides(network, other_network, client, member):
    client.force_login(member("gp"))
    assert client.get(PAGE).status_code == 403
    client.force_login(member("chair"))
    assert client.get(PAGE, {"network": other_network.slug}).status_code == 404


def test_the_page_counts_queries_not_people(
    world, client, member, other_network, django_assert_max_num_queries
):
    client.force_login(member("chair"))
    with django_assert_max_num_queries(30) as full:
        assert client.get(PAGE).status_code == 200
    client.force_login(member("chair", net=other_network))
    with django_assert_max_num_queries(30) as empty:
        assert client.get(PAGE, {"network": other_network.slug}).status_code == 200
    assert len(full.captured_queries) == len(empty.captured_queries)
