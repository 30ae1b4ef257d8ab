"""Networks side by side (issue #19, item 2): the agreed metrics per network for a period,
each on a funnel plot around the system mean (reports/stats.py), for commissioners and
managers of several networks.

Each metric is a numerator over a denominator, so that it can be compared honestly:

- referrals per 1,000 population: referrals made in the period (every service) over the
  network's registered population (a rate, exact Poisson limits);
- admissions avoided per 1,000: discharges in the period the MDT answered "yes" to
  "have we avoided an admission?" (its own estimate), over the population (a rate);
- emergency admissions after discharge per 100 discharged: discharges whose 30 days have
  passed followed by an emergency admission within 30 days, over those discharges (a
  proportion);
- triaged within 2 working days per 100 triaged: the median working days to triage is in the
  table, but a median has no funnel, so the funnel is on the share triaged within the
  national target's two working days (a proportion);
- caseload per 1,000: people on the MDT caseload at any time in the period, over the
  population (a rate);
- goals met per 100 decided: goals agreed in the period with an outcome, met in full (a
  proportion).

A network's population over a period is the mean over the period's months of the sum of its
GP practices' registered list sizes (reports/population.py), over the months that have
figures; a network without any has no population, and its per-1,000 figures and funnel points
are left empty rather than guessed.

Every figure is one grouped query for all the networks (the referrals made and their triage
share one), however many networks and rows."""

from dataclasses import dataclass, replace
from datetime import date

from django.db import connections
from django.db.models import Count, Q, Sum

from core.replica import read_alias
from huddles.models import Episode
from networks.models import Network
from patients.models import Goal

from .figures import Scope, _admitted_within, _discharges, _key
from .models import PracticePopulation
from .stats import Funnel, FunnelPoint, funnel

TRIAGE_TARGET_WORKING_DAYS = 2


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    kind: str  # "rate" or "proportion" (reports/stats.py)
    per: int
    numerator: str  # the row's field counted
    denominator: str  # the row's field it is over ("population" for per 1,000)
    unit: str  # how the value reads, e.g. "per 1,000 population"

    @property
    def places(self) -> int:
        """Decimal places shown: rates per 1,000 are small numbers (0.13), shares per 100 not."""
        return 2 if self.per == 1000 else 1


METRICS = (
    Metric(
        "referrals_per_1000",
        "Referrals",
        "rate",
        1000,
        "referrals",
        "population",
        "per 1,000 population",
    ),
    Metric(
        "admissions_avoided_per_1000",
        "Admissions avoided (the MDT's estimate)",
        "rate",
        1000,
        "admissions_avoided",
        "population",
        "per 1,000 population",
    ),
    Metric(
        "admissions_after_discharge_per_100",
        "Emergency admissions within 30 days of discharge",
        "proportion",
        100,
        "admitted_within_30",
        "discharged_followed",
        "per 100 discharged",
    ),
    Metric(
        "triaged_within_2_per_100",
        "Referrals triaged within 2 working days",
        "proportion",
        100,
        "triaged_within_2",
        "triaged",
        "per 100 triaged",
    ),
    Metric(
        "caseload_per_1000",
        "People on the caseload",
        "rate",
        1000,
        "caseload",
        "population",
        "per 1,000 population",
    ),
    Metric(
        "goals_met_per_100",
        "Goals met",
        "proportion",
        100,
        "goals_met",
        "goals_decided",
        "per 100 goals decided",
    ),
)
METRIC_BY_CODE = {m.code: m for m in METRICS}


def _by_network(rows, key: str = "network_id") -> dict[int, dict]:
    return {row.pop(key): row for row in rows}


def populations(scope: Scope) -> dict[int, float]:
    """Each network's mean registered population over the period's months that have figures
    (one query). A network with none is absent."""
    monthly = (
        PracticePopulation.objects.filter(
            practice__networks__in=scope.network_ids,
            month__gte=scope.first,
            month__lte=scope.last,
        )
        .values("practice__networks", "month")
        .annotate(registered=Sum("registered"))
    )
    sums: dict[int, list[int]] = {}
    for row in monthly:
        sums.setdefault(row["practice__networks"], []).append(row["registered"])
    return {network: sum(values) / len(values) for network, values in sums.items()}


# Referrals counted by network and London days made and triaged first (an index-only scan
# of referral_london_days, in its order: no timestamp converted per row, no hashing; a
# referral made in the period is one made on its London days, as the period starts and ends
# at London midnights), then by working days to triage
# (none when not triaged): the referrals made in the period, and those triaged with the
# histogram of their working days, from which `_median` gives the median as percentile_cont
# (0.5) would.
TRIAGE_BY_NETWORK_SQL = """
SELECT d.network_id, t.working_index - m.working_index AS days, sum(d.n)::int AS n
  FROM (SELECT r.network_id, (r.created_at AT TIME ZONE 'Europe/London')::date AS made_on,
               (r.triaged_at AT TIME ZONE 'Europe/London')::date AS triaged_on, count(*) AS n
          FROM referrals_referral r
         WHERE r.network_id = ANY(%(networks)s)
           AND (r.created_at AT TIME ZONE 'Europe/London')::date >= %(first)s
           AND (r.created_at AT TIME ZONE 'Europe/London')::date < %(end_day)s
         GROUP BY 1, 2, 3) d
  LEFT JOIN reports_calendarday m ON m.day = d.made_on
  LEFT JOIN reports_calendarday t ON t.day = d.triaged_on
 GROUP BY 1, 2
 ORDER BY 1, 2
"""


def _median(histogram: list[tuple[int, int]]) -> float:
    """The median of values given as (value, how many) in increasing order, interpolated
    as PostgreSQL's percentile_cont(0.5) does."""
    total = sum(n for _, n in histogram)
    position = 0.5 * (total - 1)
    low, high = int(position), -(-position // 1)

    def at(rank: float) -> int:
        seen = 0
        for value, n in histogram:
            seen += n
            if rank < seen:
                return value
        return histogram[-1][0]

    below, above = at(low), at(high)
    return below + (position - low) * (above - below)


def _triage(scope: Scope) -> dict[int, dict]:
    """Per network: the referrals made in the period, and, when any were triaged, how many,
    how many within the target and the median working days."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            TRIAGE_BY_NETWORK_SQL,
            {"networks": list(scope.network_ids), "first": scope.first, "end_day": scope.end_day},
        )
        made: dict[int, int] = {}
        histograms: dict[int, list[tuple[int, int]]] = {}
        for network, days, n in cursor.fetchall():
            made[network] = made.get(network, 0) + n
            if days is not None:
                histograms.setdefault(network, []).append((days, n))
    out: dict[int, dict] = {network: {"referrals": n} for network, n in made.items()}
    for network, histogram in histograms.items():
        out[network].update(
            triaged=sum(n for _, n in histogram),
            triaged_within_2=sum(n for days, n in histogram if days <= TRIAGE_TARGET_WORKING_DAYS),
            median=_median(histogram),
        )
    return out


def counts(scope: Scope, today: date) -> dict[int, dict]:
    """Every network's numerators and denominators for the period (a row per network, with
    zeros where nothing happened)."""
    ids = scope.network_ids
    rows = {
        pk: {
            "referrals": 0,
            "admissions_avoided": 0,
            "discharged": 0,
            "discharged_followed": 0,
            "admitted_within_30": 0,
            "triaged": 0,
            "triaged_within_2": 0,
            "median_working_days_to_triage": None,
            "caseload": 0,
            "goals_decided": 0,
            "goals_met": 0,
            "population": None,
        }
        for pk in ids
    }
    for pk, row in _by_network(
        _discharges(scope)
        .values("network_id")
        .annotate(
            admissions_avoided=Count("id", filter=Q(admission_avoided="yes")),
            discharged=Count("id"),
            discharged_followed=Count("id", filter=Q(closed_plus_30__lte=today)),
            admitted_within_30=Count(
                "id", filter=Q(closed_plus_30__lte=today) & _admitted_within(30)
            ),
        )
        .order_by()
    ).items():
        rows[pk].update(row)
    for pk, row in _triage(scope).items():
        if "median" in row:
            row["median_working_days_to_triage"] = row.pop("median")
        rows[pk].update(row)
    for pk, row in _by_network(
        Episode.objects.filter(network_id__in=ids, opened_at__lt=scope.end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=scope.start))
        .values("network_id")
        .annotate(caseload=Count("patient_id", distinct=True))
        .order_by()
    ).items():
        rows[pk].update(row)
    for pk, row in _by_network(
        Goal.objects.filter(
            patient__network_id__in=ids, agreed_on__gte=scope.first, agreed_on__lt=scope.end_day
        )
        .values("patient__network_id")
        .annotate(
            goals_decided=Count("id", filter=Q(outcome__in=["met", "partly_met", "not_met"])),
            goals_met=Count("id", filter=Q(outcome="met")),
        )
        .order_by(),
        key="patient__network_id",
    ).items():
        rows[pk].update(row)
    for pk, population in populations(scope).items():
        if pk in rows:
            rows[pk]["population"] = population
    return rows


@dataclass(frozen=True)
class Comparison:
    """The networks (in name order), each one's counts, and a funnel per metric."""

    scope: Scope
    networks: list[Network]
    counts: dict[int, dict]
    funnels: dict[str, Funnel]

    def point(self, metric: str, network_id: int) -> FunnelPoint:
        return next(p for p in self.funnels[metric].points if p.key == network_id)

    def outliers(self) -> list[tuple[Network, Metric, str]]:
        """(network, metric, "high" | "low") for every point beyond its 99.8% limits."""
        return [
            (network, metric, self.point(metric.code, network.pk).outlier)
            for metric in METRICS
            for network in self.networks
            if self.point(metric.code, network.pk).outlier
        ]


def compare(scope: Scope, today: date) -> Comparison:
    """The comparison of the scope's networks (their figures, funnels and outliers)."""
    networks = list(Network.objects.filter(pk__in=scope.network_ids).order_by("name"))
    rows = counts(scope, today)
    funnels = {}
    for metric in METRICS:
        points, empty = {}, {}
        for network in networks:
            row = rows[network.pk]
            pair = (row[metric.numerator], row[metric.denominator] or 0)
            (points if pair[1] else empty)[network.pk] = pair
        # Only networks with a denominator make the system mean: a network without a
        # population still has referrals, which would otherwise raise the mean of the others.
        made = funnel(points, metric.kind, per=metric.per)  # type: ignore[arg-type]
        by_key = {p.key: p for p in made.points}
        by_key.update(
            {
                key: FunnelPoint(key, num, den, None, None, None, None)
                for key, (num, den) in empty.items()
            }
        )
        funnels[metric.code] = replace(made, points=[by_key[n.pk] for n in networks])
    return Comparison(scope=scope, networks=networks, counts=rows, funnels=funnels)


# Referrals by network, service and London day made (an index-only scan of
# referral_london_days), then by month.
TREND_SQL = """
SELECT d.network_id, d.service, date_trunc('month', d.made_on)::date AS month,
       sum(d.n)::int AS referrals
  FROM (SELECT r.network_id, r.service,
               (r.created_at AT TIME ZONE 'Europe/London')::date AS made_on, count(*) AS n
          FROM referrals_referral r
         WHERE r.network_id = ANY(%(networks)s)
           AND (r.created_at AT TIME ZONE 'Europe/London')::date >= %(first)s
           AND (r.created_at AT TIME ZONE 'Europe/London')::date < %(end_day)s
           AND (%(service)s = '' OR r.service = %(service)s)
         GROUP BY 1, 2, 3) d
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
"""


def trend(scope: Scope, service: str = "") -> list[dict]:
    """Referrals per month per network and service in the period (only where there were
    any): {"network_id", "service", "month" (YYYY-MM), "referrals"}. One query."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            TREND_SQL,
            {
                "networks": list(scope.network_ids),
                "first": scope.first,
                "end_day": scope.end_day,
                "service": service,
            },
        )
        return [
            {"network_id": network, "service": name, "month": _key(month), "referrals": n}
            for network, name, month, n in cursor.fetchall()
        ]
