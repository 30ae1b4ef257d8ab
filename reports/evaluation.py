"""The evaluation of a network's MDT for a period (issue #19, docs/adr/0013-evaluation.md): the
MDT's own estimate beside what ICN can measure, each part with what its figures need (window,
people left out and why, the reason when there is no ratio) and its caveats in plain words.

(a) **Estimate**: the discharges (episodes of the network closed in the period) by the answer
    to "have we avoided an admission?" (yes, no, unsure; and how many were not answered).

(b) **Before and after**: the people discharged in the period (a person discharged more than
    once: their first discharge in it). Each is followed for w = min(EVALUATION_WINDOW_DAYS,
    days from discharge to `today`) days; people followed for fewer than
    EVALUATION_MIN_FOLLOW_DAYS are left out (counted). Emergency admissions in the w days before
    the episode opened (opened day - w .. opened day - 1) against the w days after it closed
    (closed day + 1 .. closed day + w); time on the caseload is in neither window. The exposure
    is the sum of w, equal on both sides, so the rate ratio after/before is admissions after
    over admissions before, with its 95% interval by the log method (stats.rate_ratio).

(c) **Matched comparison**: the caseload group is the people whose episode opened in the
    period (their first; index = the opened day). The comparison candidates are people
    referred to the MDT service of the network in the period whose referral was declined or
    withdrawn (their first such referral; index = the day it was triaged, or closed, or made
    if neither), and who had no episode in the network from 365 days before the referral to
    the end of their follow-up. Both are followed for w days after the index (the same rule as
    (b), same minimum). Exact matching 1:1 without replacement (stats.exact_match), in order of
    patient id, on the age band at the index, the frailty band at the index and the band of
    emergency admissions in the 365 days before it. Frailty is the latest assessment on or
    before the index: an eFI of up to 0.12 is fit, up to 0.24 mild, up to 0.36 moderate,
    above that severe; a CFS of 1-3 is fit, 4-5 mild, 6 moderate, 7-9 severe
    (patients/frailty.py); a level set by hand counts as it is; none is "unknown" (matched as
    its own band). The rate ratio caseload/comparison is over matched people only: emergency
    admissions in (index, index + w] over the sum of w on each side.

Every date is a London day. The figures come from four grouped queries whatever the number of
people (the estimate, then one row per person for each of the three groups with their counts
of admissions as subqueries); matching is done in Python on those rows."""

# ruff: noqa: S608 (the SQL is built from constants only; every value is a parameter)

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connections
from django.db.models import Count

from core.replica import read_alias
from huddles.models import Episode
from patients.frailty import classify
from patients.models import FrailtyAssessment, Patient
from referrals.models import Referral

from . import stats
from .figures import ANSWERS, Scope, _episodes
from .models import AdmissionEvent

PRIOR_DAYS = 365  # prior admissions, and how long before a referral an episode excludes
MDT = "mdt"
METHOD = (
    "exact matching on age band, frailty band and prior emergency admissions (1:1, without "
    "replacement)"
)
SHORT_FOLLOW = "followed for fewer than {n} days (discharged or indexed too recently)"
ON_CASELOAD = (
    "on the MDT caseload in the 365 days before the referral or during follow-up, so not a "
    "comparison"
)


@dataclass(frozen=True)
class Windows:
    window: int
    minimum: int

    def days(self, index: date, today: date) -> int:
        """w: the window, or the days from the index to today if fewer."""
        return min(self.window, (today - index).days)


def _windows() -> Windows:
    return Windows(settings.EVALUATION_WINDOW_DAYS, settings.EVALUATION_MIN_FOLLOW_DAYS)


def _tables() -> dict[str, str]:
    return {
        "episode": Episode._meta.db_table,
        "admission": AdmissionEvent._meta.db_table,
        "patient": Patient._meta.db_table,
        "frailty": FrailtyAssessment._meta.db_table,
        "referral": Referral._meta.db_table,
    }


def _rows(sql: str, params: dict) -> list[dict]:
    """The query's rows as dicts by column name."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _local(column: str) -> str:
    return f"(({column}) AT TIME ZONE 'Europe/London')::date"


def _count(start: str, end: str) -> str:
    """Emergency admissions of person p from `start` (inclusive) to `end` (exclusive)."""
    return (
        "(SELECT count(*) FROM {admission} a WHERE a.patient_id = p.patient_id "
        f"AND a.kind = 'emergency' AND a.admitted_on >= {start} AND a.admitted_on < {end})"
    )


# The people discharged in the period (first discharge each) with admissions on each side.
BEFORE_AFTER = f"""
WITH firsts AS (
    SELECT DISTINCT ON (e.patient_id) e.patient_id,
        {_local("e.opened_at")} AS opened_on, {_local("e.closed_at")} AS closed_on
    FROM {{episode}} e
    WHERE e.network_id = %(network)s AND e.closed_at >= %(start)s AND e.closed_at < %(end)s
    ORDER BY e.patient_id, e.closed_at, e.id
), p AS (
    SELECT f.*, LEAST(%(window)s, %(today)s::date - f.closed_on) AS w FROM firsts f
)
SELECT p.patient_id, p.w,
    {_count("p.opened_on - p.w", "p.opened_on")} AS before,
    {_count("p.closed_on + 1", "p.closed_on + 1 + p.w")} AS after
FROM p ORDER BY p.patient_id
"""

# Age, frailty at the index and admissions before and after it, for person p (index, w).
_PERSON = f"""
SELECT p.patient_id, p.w, p.index_on, pt.date_of_birth,
    fa.scale, fa.efi_score, fa.cfs_score, fa.frailty,
    {_count(f"p.index_on - {PRIOR_DAYS}", "p.index_on")} AS prior,
    {_count("p.index_on + 1", "p.index_on + 1 + p.w")} AS after
FROM p JOIN {{patient}} pt ON pt.id = p.patient_id
LEFT JOIN LATERAL (
    SELECT f.scale, f.efi_score, f.cfs_score, f.frailty FROM {{frailty}} f
    WHERE f.patient_id = p.patient_id AND f.assessed_on <= p.index_on
    ORDER BY f.assessed_on DESC, f.id DESC LIMIT 1
) fa ON true
"""

CASELOAD = f"""
WITH firsts AS (
    SELECT DISTINCT ON (e.patient_id) e.patient_id, {_local("e.opened_at")} AS index_on
    FROM {{episode}} e
    WHERE e.network_id = %(network)s AND e.opened_at >= %(start)s AND e.opened_at < %(end)s
    ORDER BY e.patient_id, e.opened_at, e.id
), p AS (
    SELECT f.*, LEAST(%(window)s, %(today)s::date - f.index_on) AS w FROM firsts f
)
{_PERSON} ORDER BY p.patient_id
"""

# Referred to the MDT in the period, declined or withdrawn (first such referral each), with
# whether they had an episode in the network from 365 days before the referral to the end of
# follow-up.
CANDIDATES = f"""
WITH firsts AS (
    SELECT DISTINCT ON (r.patient_id) r.patient_id, {_local("r.created_at")} AS referred_on,
        {_local("COALESCE(r.triaged_at, r.closed_at, r.created_at)")} AS index_on
    FROM {{referral}} r
    WHERE r.network_id = %(network)s AND r.service = '{MDT}'
        AND r.status IN ('declined', 'withdrawn')
        AND r.created_at >= %(start)s AND r.created_at < %(end)s
    ORDER BY r.patient_id, r.created_at, r.id
), p AS (
    SELECT f.*, LEAST(%(window)s, %(today)s::date - f.index_on) AS w FROM firsts f
)
SELECT q.*, EXISTS (
    SELECT 1 FROM {{episode}} e WHERE e.patient_id = q.patient_id AND e.network_id = %(network)s
        AND {_local("e.opened_at")} <= q.index_on + GREATEST(q.w, 0)
        AND (e.closed_at IS NULL OR {_local("e.closed_at")} >= q.referred_on - {PRIOR_DAYS})
) AS on_caseload
FROM ({_PERSON.replace("p.index_on, pt", "p.index_on, p.referred_on, pt")}) q
ORDER BY q.patient_id
"""


def frailty_band(scale: str | None, efi: Decimal | None, cfs: int | None, level: str | None) -> str:
    """fit, mild, moderate, severe or unknown, from a person's latest assessment (None: none):
    a score in its scale's bands (patients/frailty.py), else the level set by hand."""
    if scale:
        try:
            return classify(scale, efi if scale == "efi" else cfs)[0]
        except ValueError:
            return "unknown"
    return level or "unknown"


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _person(row: dict) -> dict:
    """A person's matching keys at the index, w and admissions after, from a query's row."""
    return {
        "id": row["patient_id"],
        "w": row["w"],
        "age_band": stats.age_band(_age(row["date_of_birth"], row["index_on"])),
        "frailty": frailty_band(row["scale"], row["efi_score"], row["cfs_score"], row["frailty"]),
        "admissions_band": stats.admissions_band(row["prior"]),
        "after": row["after"],
    }


def _ratio(result: stats.RateRatio) -> dict:
    return {
        "rate_ratio": None if result.ratio is None else round(result.ratio, 3),
        "ci95": None
        if result.ci95 is None
        else [round(result.ci95[0], 3), round(result.ci95[1], 3)],
        "reason": result.reason or None,
    }


def _estimate(scope: Scope) -> dict:
    counts = Counter(
        {
            row["admission_avoided"]: row["n"]
            for row in _episodes(scope).values("admission_avoided").annotate(n=Count("id"))
        }
    )
    out = {answer: counts[answer] for answer in ANSWERS}
    out["not_answered"] = counts[""]
    out["discharges"] = sum(counts.values())
    out["caveats"] = stats.caveats(estimate=True, counts=[out["discharges"]])
    return out


def _before_after(params: dict, windows: Windows) -> dict:
    rows = _rows(BEFORE_AFTER, params)
    followed = [row for row in rows if row["w"] >= windows.minimum]
    before = sum(row["before"] for row in followed)
    after = sum(row["after"] for row in followed)
    exposure = sum(row["w"] for row in followed)
    left_out = len(rows) - len(followed)
    return {
        "discharged": len(rows),
        "people": len(followed),
        "left_out": [{"reason": SHORT_FOLLOW.format(n=windows.minimum), "people": left_out}],
        "window_days": windows.window,
        "min_follow_days": windows.minimum,
        "person_days": exposure,
        "admissions_before": before,
        "admissions_after": after,
        **_ratio(stats.rate_ratio(after, exposure, before, exposure)),
        "caveats": stats.caveats(before_after=True, counts=[len(followed), before, after]),
    }


def _comparison(params: dict, windows: Windows) -> dict:
    caseload = [_person(row) for row in _rows(CASELOAD, params)]
    candidates = _rows(CANDIDATES, params)
    treated = [p for p in caseload if p["w"] >= windows.minimum]
    not_on_caseload = [row for row in candidates if not row["on_caseload"]]
    eligible = [_person(row) for row in not_on_caseload]
    eligible = [p for p in eligible if p["w"] >= windows.minimum]
    matching = stats.exact_match(treated, eligible, ("age_band", "frailty", "admissions_band"), k=1)
    by_id = {p["id"]: p for p in treated} | {p["id"]: p for p in eligible}
    mine = [by_id[a] for a, _ in matching.pairs]
    theirs = [by_id[b] for _, b in matching.pairs]
    short = SHORT_FOLLOW.format(n=windows.minimum)
    group = {
        "people": len(caseload),
        "followed": len(treated),
        "matched": len(mine),
        "unmatched": len(matching.unmatched),
        "left_out": [
            {"reason": short, "people": len(caseload) - len(treated)},
            {
                "reason": "no one referred but not taken on had the same bands",
                "people": len(matching.unmatched),
            },
        ],
        "person_days": sum(p["w"] for p in mine),
        "admissions": sum(p["after"] for p in mine),
    }
    comparison = {
        "people": len(candidates),
        "eligible": len(eligible),
        "matched": len(theirs),
        "left_out": [
            {"reason": ON_CASELOAD, "people": len(candidates) - len(not_on_caseload)},
            {"reason": short, "people": len(not_on_caseload) - len(eligible)},
        ],
        "person_days": sum(p["w"] for p in theirs),
        "admissions": sum(p["after"] for p in theirs),
    }
    result = stats.rate_ratio(
        group["admissions"],
        group["person_days"],
        comparison["admissions"],
        comparison["person_days"],
    )
    return {
        "method": METHOD,
        "window_days": windows.window,
        "min_follow_days": windows.minimum,
        "caseload": group,
        "comparison_group": comparison,
        **_ratio(result),
        "caveats": stats.caveats(
            matched=True,
            unmatched=len(matching.unmatched),
            counts=[len(mine), group["admissions"], comparison["admissions"]],
        ),
    }


def evaluation(network_id: int, first: date, last: date, today: date) -> dict:
    """The evaluation of the network for the months `first`..`last` (first days of months),
    followed up to `today`: {"estimate", "before_after", "comparison", "caveats"} as the module
    says. Four queries, whatever the number of people."""
    scope = Scope((network_id,), first, last)
    windows = _windows()
    params = {
        "network": network_id,
        "start": scope.start,
        "end": scope.end,
        "today": today,
        "window": windows.window,
    }
    out = {
        "estimate": _estimate(scope),
        "before_after": _before_after(params, windows),
        "comparison": _comparison(params, windows),
    }
    caveats: list[str] = []
    for part in out.values():
        caveats += [c for c in part["caveats"] if c not in caveats]
    out["caveats"] = caveats
    return out
