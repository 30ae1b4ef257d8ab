"""The statistics of honest evaluation (issue #19): funnel-plot control limits, a rate ratio
with its confidence interval, exact matching for a comparison group, and the caveats in
plain words. Pure functions on numbers (standard library only: no database, no numpy), so
each figure can be checked by hand; the tests in tests/reports/test_stats.py do that.

Funnel plots follow Spiegelhalter, "Funnel plots for comparing institutional performance",
Statistics in Medicine 2005;24:1185-1202: each network's figure is drawn against its
denominator, with control limits around the system mean (the pooled figure: all
numerators over all denominators) at 95% (z = 1.959964) and 99.8% (z = 3.090232). A network
beyond the 99.8% limits is named an outlier; one between the 95% and 99.8% limits is not
(one in twenty networks is expected there by chance).

- Proportions (e.g. admissions after discharge per 100 discharged) use the normal
  approximation to the binomial, p0 +/- z * sqrt(p0 * (1 - p0) / n), clipped to [0, 1].
- Rates per unit of exposure (e.g. referrals per 1,000 population) use the *exact* Poisson
  limits with Spiegelhalter's interpolation (his appendix): small networks have small
  expected counts (a handful of referrals), where the normal approximation gives a lower
  limit below zero and a symmetric band around a skewed distribution. The exact limits
  cost a few thousand terms at the largest expected counts, and agree with the normal
  approximation where that is good.
"""

import math
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

Z95 = 1.959964
Z998 = 3.090232
# How many standard deviations below the mean the exact Poisson sum starts: the mass below
# it (< 1e-20) cannot move a quantile, and it keeps the sum to ~20 * sqrt(mean) terms.
_POISSON_SKIP_SD = 10.0
# The summed tail is exact to ~1e-12; z = 5 (a tail of 3e-7) keeps well inside that.
_POISSON_MAX_Z = 5.0

Limits = tuple[float, float]
Kind = Literal["proportion", "rate"]
Outlier = Literal["high", "low"]


def funnel_limits_proportion(p0: float, n: float, z: float) -> Limits | None:
    """Control limits for a proportion observed on `n` people around the system mean `p0`:
    p0 +/- z * sqrt(p0 * (1 - p0) / n), clipped to [0, 1]. None when n is 0 (no people, no
    limits). With p0 of 0 or 1 the limits collapse to (p0, p0): there is no variation."""
    if not 0.0 <= p0 <= 1.0:
        raise ValueError(f"a proportion is between 0 and 1, not {p0}")
    if n < 0:
        raise ValueError(f"a denominator is not negative, not {n}")
    if n == 0:
        return None
    half = z * math.sqrt(p0 * (1.0 - p0) / n)
    return (max(0.0, p0 - half), min(1.0, p0 + half))


def _poisson_quantiles(mean: float, probs: Sequence[float]) -> list[float]:
    """Spiegelhalter's interpolated Poisson quantiles: for each p, r is the smallest count
    with P(X <= r) >= p, and the quantile is r - (P(X <= r) - p) / P(X = r), a continuous
    value between r - 1 and r (so the limits are smooth along the funnel)."""
    start = max(0, math.floor(mean - _POISSON_SKIP_SD * math.sqrt(mean)))
    term = math.exp(start * math.log(mean) - mean - math.lgamma(start + 1))
    cdf, k = term, start
    last = mean + _POISSON_SKIP_SD * math.sqrt(mean) + 50  # beyond it the tail is < 1e-20
    result = [0.0] * len(probs)
    for i in sorted(range(len(probs)), key=probs.__getitem__):
        while cdf < probs[i]:
            if k > last:
                raise ValueError(f"a tail of {1 - probs[i]:.1e} is beyond the exact limits")
            k += 1
            term *= mean / k
            cdf += term
        result[i] = k - (cdf - probs[i]) / term
    return result


def funnel_limits_rate(rate0: float, exposure: float, z: float) -> Limits | None:
    """Control limits for a rate observed over `exposure` (people, or person-time) around the
    system rate `rate0`: the exact Poisson limits for the expected count rate0 * exposure
    (Spiegelhalter's interpolated quantiles at the tail probability of z, e.g. 0.025 and
    0.975 for z = 1.959964), divided by the exposure; the lower limit is not below 0.
    None when the exposure is 0. With rate0 of 0 the limits are (0, 0). z is at most 5."""
    if rate0 < 0:
        raise ValueError(f"a rate is not negative, not {rate0}")
    if exposure < 0:
        raise ValueError(f"an exposure is not negative, not {exposure}")
    if not 0 < z <= _POISSON_MAX_Z:
        raise ValueError(f"z is above 0 and at most {_POISSON_MAX_Z} for exact limits, not {z}")
    if exposure == 0:
        return None
    mean = rate0 * exposure
    if mean == 0:
        return (0.0, 0.0)
    tail = NormalDist().cdf(-z)
    low, high = _poisson_quantiles(mean, [tail, 1.0 - tail])
    return (max(0.0, low) / exposure, max(0.0, high) / exposure)


@dataclass(frozen=True)
class FunnelPoint:
    """One network on the funnel. `value` and the limits are scaled by the funnel's `per`;
    all are None when the denominator is 0 (nothing to compare)."""

    key: Hashable
    numerator: float
    denominator: float
    value: float | None
    limits95: Limits | None
    limits998: Limits | None
    outlier: Outlier | None


@dataclass(frozen=True)
class Funnel:
    """The system mean (pooled: all numerators over all denominators, scaled by `per`; None
    when every denominator is 0) and each network's point, in the order given."""

    kind: Kind
    per: float
    mean: float | None
    points: list[FunnelPoint]


def funnel(
    points: Mapping[Hashable, tuple[float, float]], kind: Kind, *, per: float = 1.0
) -> Funnel:
    """A funnel plot's figures from per-network (numerator, denominator): the system mean,
    each network's value, its 95% and 99.8% limits at its own denominator, and `outlier`:
    "high" above the upper 99.8% limit, "low" below the lower one, None otherwise (on a
    limit is not beyond it). `kind` is "proportion" (numerator out of denominator people)
    or "rate" (events per unit of exposure); `per` scales what is returned (100 for per 100
    discharged, 1000 for per 1,000 population), not the test."""
    limits = {"proportion": funnel_limits_proportion, "rate": funnel_limits_rate}[kind]
    for key, (numerator, denominator) in points.items():
        if numerator < 0 or denominator < 0:
            raise ValueError(f"{key}: counts are not negative ({numerator}, {denominator})")
        if kind == "proportion" and numerator > denominator:
            raise ValueError(f"{key}: a proportion's numerator is not above its denominator")
    total_num = sum(num for num, _ in points.values())
    total_den = sum(den for _, den in points.values())
    if total_den == 0:
        return Funnel(
            kind=kind, per=per, mean=None, points=[_empty(k, n, d) for k, (n, d) in points.items()]
        )
    mean = total_num / total_den
    out = []
    for key, (numerator, denominator) in points.items():
        if denominator == 0:
            out.append(_empty(key, numerator, denominator))
            continue
        value = numerator / denominator
        at95, at998 = limits(mean, denominator, Z95), limits(mean, denominator, Z998)
        assert at95 is not None and at998 is not None  # the denominator is not 0
        outlier: Outlier | None = None
        if value > at998[1]:
            outlier = "high"
        elif value < at998[0]:
            outlier = "low"
        out.append(
            FunnelPoint(
                key=key,
                numerator=numerator,
                denominator=denominator,
                value=value * per,
                limits95=(at95[0] * per, at95[1] * per),
                limits998=(at998[0] * per, at998[1] * per),
                outlier=outlier,
            )
        )
    return Funnel(kind=kind, per=per, mean=mean * per, points=out)


def _empty(key: Hashable, numerator: float, denominator: float) -> FunnelPoint:
    return FunnelPoint(
        key, numerator, denominator, value=None, limits95=None, limits998=None, outlier=None
    )


@dataclass(frozen=True)
class RateRatio:
    """A rate ratio (a's rate over b's) with its 95% confidence interval, or None for both
    with `reason` in words when it cannot be estimated honestly."""

    ratio: float | None
    ci95: Limits | None
    reason: str = ""


def rate_ratio(events_a: int, exposure_a: float, events_b: int, exposure_b: float) -> RateRatio:
    """The ratio of two Poisson rates, (events_a / exposure_a) / (events_b / exposure_b),
    with a 95% confidence interval by the log method: exp(ln RR +/- 1.959964 * SE), where
    SE = sqrt(1/events_a + 1/events_b).

    With a zero count on either side (or no exposure) it returns no ratio and no interval,
    with the reason: the log method has no standard error at zero, and a 0.5 continuity
    correction would show commissioners a ratio made of an invented half-admission."""
    if min(events_a, events_b) < 0 or min(exposure_a, exposure_b) < 0:
        raise ValueError("events and exposures are not negative")
    if exposure_a == 0 or exposure_b == 0:
        return RateRatio(None, None, "No time at risk on one side, so there is no rate to compare.")
    if events_a == 0 or events_b == 0:
        return RateRatio(
            None,
            None,
            "No admissions on one side, so the ratio and its interval cannot be estimated; "
            "the counts are shown instead.",
        )
    ratio = (events_a / exposure_a) / (events_b / exposure_b)
    half = Z95 * math.sqrt(1 / events_a + 1 / events_b)
    log = math.log(ratio)
    return RateRatio(ratio, (math.exp(log - half), math.exp(log + half)))


def age_band(age: int) -> str:
    """The age band matched on: under 65, 65-74, 75-84, 85 and over."""
    if age < 65:
        return "<65"
    if age < 75:
        return "65-74"
    if age < 85:
        return "75-84"
    return "85+"


def admissions_band(admissions: int) -> str:
    """The prior emergency admissions band matched on: 0, 1, 2, 3 or more."""
    return str(admissions) if admissions < 3 else "3+"


@dataclass(frozen=True)
class Matching:
    """Pairs of (treated id, comparison id) in the order they were made, and the ids of
    treated people with no one to compare with."""

    pairs: list[tuple[Hashable, Hashable]]
    unmatched: list[Hashable]


def exact_match(
    treated: Sequence[Mapping[str, Hashable]],
    candidates: Sequence[Mapping[str, Hashable]],
    keys: Sequence[str],
    *,
    k: int = 1,
    id: str = "id",
) -> Matching:
    """Exact matching: each treated person gets up to `k` candidates (people referred but not
    taken on) with the same values of every key, e.g. ("age_band", "frailty",
    "admissions_band"), without replacement (a candidate is used once).

    Deterministic: candidates are taken in the order given, and in rounds (every treated
    person gets a first match, in the order given, before anyone gets a second), so with
    too few candidates as many treated people as possible are compared. A candidate who is
    also among the treated is not a comparison for anyone."""
    if k < 1:
        raise ValueError(f"k is at least 1, not {k}")
    treated_ids = {person[id] for person in treated}
    pools: dict[tuple[Hashable, ...], deque[Hashable]] = defaultdict(deque)
    for person in candidates:
        if person[id] not in treated_ids:
            pools[tuple(person[key] for key in keys)].append(person[id])
    wanting = [(person[id], tuple(person[key] for key in keys)) for person in treated]
    pairs: list[tuple[Hashable, Hashable]] = []
    matched: set[Hashable] = set()
    for _ in range(k):
        for person_id, key in wanting:
            if pools[key]:
                pairs.append((person_id, pools[key].popleft()))
                matched.add(person_id)
    return Matching(pairs=pairs, unmatched=[pid for pid, _ in wanting if pid not in matched])


SMALL_NUMBERS = 10

REGRESSION_TO_THE_MEAN = (
    "People are taken onto the caseload when things are at their worst, and many would have "
    "had fewer admissions afterwards anyway (regression to the mean), so a fall after is "
    "not by itself evidence that the MDT prevented admissions."
)
SMALL = (
    "Some of these counts are under {n}; with numbers this small a difference can easily be "
    "chance, and the interval is wide."
)
OBSERVED_ONLY = (
    "The comparison group is matched on age band, frailty and prior admissions only; people "
    "referred but not taken on may differ in ways not recorded (why they were not taken on, "
    "support at home), so the comparison is not a trial."
)
UNMATCHED = (
    "{n} of the people on the caseload had no one to compare with and are left out of the "
    "comparison."
)
ESTIMATE = "'Admission avoided?' is the MDT's own judgement at the time, not a measured outcome."


def caveats(
    *,
    before_after: bool = False,
    matched: bool = False,
    estimate: bool = False,
    counts: Iterable[int] = (),
    unmatched: int = 0,
) -> list[str]:
    """The caveats, in plain words, that go beside the figures they qualify: the estimate is
    a judgement; before/after is open to regression to the mean; a matched comparison
    accounts only for what was matched on (and says how many had no match); and any count
    under 10 is small numbers."""
    out = []
    if estimate:
        out.append(ESTIMATE)
    if before_after:
        out.append(REGRESSION_TO_THE_MEAN)
    if matched:
        out.append(OBSERVED_ONLY)
        if unmatched:
            out.append(UNMATCHED.format(n=unmatched))
    if any(count < SMALL_NUMBERS for count in counts):
        out.append(SMALL.format(n=SMALL_NUMBERS))
    return out
