"""Red flags derived from the dispensing history, with the working shown.

- multiple_dispensing_dates: regular medicines dispensed on more than `max_dates_per_cycle`
  different dates within one `cycle_days` cycle;
- medicines_running_out_unevenly: expected run-out dates of regular medicines more than
  `run_out_spread_days` apart;
- medicines_stockpile: supply exceeding use by more than `stockpile_surplus_days`.

Thresholds come from settings.ICN_DISPENSING (environment variables, see the README).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings


@dataclass(frozen=True)
class Finding:
    code: str
    summary: str
    working: tuple[str, ...]

    @property
    def explanation(self) -> str:
        return f"{self.summary} " + "; ".join(self.working)


def thresholds() -> dict[str, int]:
    return dict(settings.ICN_DISPENSING)


def _fmt(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _days(value: float) -> str:
    return f"{value:.0f} day{'s' if round(value) != 1 else ''}"


def analyse(
    medications, supplies, today: date, limits: dict[str, int] | None = None
) -> list[Finding]:
    """Pure function of the active medication list and the dispensing history."""
    limits = limits or thresholds()
    regular = {m.pk: m for m in medications if m.is_active and m.is_regular and m.units_per_day > 0}
    by_name = {m.name.strip().lower(): m for m in regular.values()}
    since = today - timedelta(days=limits["lookback_days"])
    per_med: dict[int, list] = defaultdict(list)
    for supply in supplies:
        if supply.dispensed_on < since or supply.dispensed_on > today:
            continue
        med = regular.get(supply.medication_id) or by_name.get(supply.medicine.strip().lower())
        if med is not None:
            per_med[med.pk].append(supply)
    findings = []
    finding = _multiple_dates(per_med, regular, limits)
    if finding:
        findings.append(finding)
    finding = _uneven_run_out(per_med, regular, limits)
    if finding:
        findings.append(finding)
    finding = _stockpile(per_med, regular, today, limits)
    if finding:
        findings.append(finding)
    return findings


def _multiple_dates(per_med, regular, limits) -> Finding | None:
    cycle = limits["cycle_days"]
    most = limits["max_dates_per_cycle"]
    dates = sorted({s.dispensed_on for supplies in per_med.values() for s in supplies})
    for start in dates:
        window = [d for d in dates if start <= d < start + timedelta(days=cycle)]
        if len(window) > most:
            names = defaultdict(list)
            for med_id, supplies in per_med.items():
                for s in supplies:
                    if s.dispensed_on in window:
                        names[s.dispensed_on].append(regular[med_id].name)
            working = tuple(f"{_fmt(d)}: {', '.join(sorted(names[d]))}" for d in window)
            return Finding(
                "multiple_dispensing_dates",
                f"Regular medicines were dispensed on {len(window)} different dates within one "
                f"{cycle}-day cycle (more than {most}).",
                working,
            )
    return None


def _run_out_date(med, supplies) -> date:
    last = max(supplies, key=lambda s: (s.dispensed_on, s.pk or 0))
    return last.dispensed_on + timedelta(days=float(last.quantity) / med.units_per_day)


def _uneven_run_out(per_med, regular, limits) -> Finding | None:
    spread_limit = limits["run_out_spread_days"]
    run_outs = {med_id: _run_out_date(regular[med_id], s) for med_id, s in per_med.items() if s}
    if len(run_outs) < 2:
        return None
    first, last = min(run_outs.values()), max(run_outs.values())
    spread = (last - first).days
    if spread <= spread_limit:
        return None
    working = tuple(
        f"{regular[m].name} runs out {_fmt(d)}"
        for m, d in sorted(run_outs.items(), key=lambda i: i[1])
    )
    return Finding(
        "medicines_running_out_unevenly",
        f"Regular medicines are expected to run out {spread} days apart "
        f"(more than {spread_limit}).",
        working,
    )


def _stockpile(per_med, regular, today, limits) -> Finding | None:
    surplus_limit = limits["stockpile_surplus_days"]
    working = []
    for med_id, supplies in per_med.items():
        med = regular[med_id]
        first = min(s.dispensed_on for s in supplies)
        supplied = sum((s.quantity for s in supplies), Decimal(0))
        days_supplied = float(supplied) / med.units_per_day
        days_used = (today - first).days
        surplus = days_supplied - days_used
        if surplus > surplus_limit:
            working.append(
                f"{med.name}: {supplied.normalize():f} {med.dose_unit} supplied "
                f"since {_fmt(first)} "
                f"({_days(days_supplied)} at {med.dose_display}) for {_days(days_used)}: "
                f"{_days(surplus)} more than used"
            )
    if not working:
        return None
    return Finding(
        "medicines_stockpile",
        f"More medicine has been supplied than used, by more than {surplus_limit} days.",
        tuple(working),
    )
