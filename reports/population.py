"""Population denominators (issue #19, item 1): each GP practice's registered list size per
month, imported from a CSV (`ods_code,month,registered`), so that a network's figures can
be given per 1,000 population. A network's population in a month is the sum over its GP
practices (`Network.gp_practices`) of what they reported for that month."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from core.attribution import attributed
from core.csv_upload import CSV_MAX_BYTES, CsvProblems, csv_rows, read_text
from networks.models import Network, Organisation

from .models import PracticePopulation

POPULATION_COLUMNS = ("ods_code", "month", "registered")
MAX_REGISTERED = 500_000  # more than any practice in England has: a typing slip
POPULATION_HELP = (
    f"CSV with a header row naming the columns {', '.join(POPULATION_COLUMNS)}: the GP "
    "practice's ODS code (one of the network's practices), the month as YYYY-MM, and the "
    f"number of people registered with the practice that month (1 to {MAX_REGISTERED:,}); "
    f"UTF-8, at most {CSV_MAX_BYTES:,} bytes. A practice's figure for a month it already has "
    "replaces the one held."
)
NO_ROWS = "There are no list sizes under the first row."
NOT_A_PRACTICE = "No GP practice with that code in this network."
NOT_A_MONTH = "Give the month as YYYY-MM, for example 2026-04."
FUTURE_MONTH = "This month has not begun: list sizes are for months that have."
NOT_A_NUMBER = f"Give the number registered as a whole number from 1 to {MAX_REGISTERED:,}."
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class PopulationRow:
    line: int
    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)
    result: str = ""  # created, updated, unchanged; "error" if it cannot be imported


@dataclass
class PopulationResult:
    rows: list[PopulationRow]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [
            {"line": row.line, "field": name, "message": message}
            for row in self.rows
            for name, message in row.errors
        ]

    @property
    def counts(self) -> dict[str, int]:
        return {
            r: sum(row.result == r for row in self.rows)
            for r in ("created", "updated", "unchanged")
        }


def read_population_csv(upload: IO[bytes]) -> list[tuple[int, dict[str, str]]]:
    """The rows of an uploaded list-size CSV as (line, {column: text}); CsvProblems (by
    line) if it cannot be read as one."""
    rows, problems = csv_rows(read_text(upload), columns=POPULATION_COLUMNS, optional=())
    if problems:
        raise CsvProblems(problems)
    if not rows:
        raise CsvProblems([(2, NO_ROWS)])
    return rows


def month_of(text: str, today: date | None = None) -> date:
    """ "YYYY-MM" -> the first day of that month, not after this one; ValueError saying why."""
    match = _MONTH.match(text)
    if not match:
        raise ValueError(NOT_A_MONTH)
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and year >= 1900):
        raise ValueError(NOT_A_MONTH)
    first = date(year, month, 1)
    if first > (today or timezone.localdate()).replace(day=1):
        raise ValueError(FUTURE_MONTH)
    return first


def _registered(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_REGISTERED:
        raise ValueError(NOT_A_NUMBER)
    return int(text)


@attributed
@transaction.atomic
def population_import(
    *, network: Network, rows: list[tuple[int, dict[str, str]]], by, dry_run: bool = False
) -> PopulationResult:
    """Record the network's GP practices' list sizes from the rows of a CSV file, upserted by
    practice and month: every row is checked first, and nothing is saved if any is wrong
    (the result's `errors`) or with `dry_run`. A row equal to the figure held is
    `unchanged`, so importing the same file again changes nothing. Three queries whatever
    the number of rows (the row history comes from the database's triggers)."""
    result = PopulationResult([PopulationRow(line, values) for line, values in rows])
    practices = {o.code.upper(): o for o in network.gp_practices.all()}
    parsed: list[tuple[PopulationRow, Organisation, date, int]] = []
    seen: dict[tuple[int, date], int] = {}
    for row in result.rows:
        practice = practices.get(row.values.get("ods_code", "").upper())
        if practice is None:
            row.errors.append(("ods_code", NOT_A_PRACTICE))
        try:
            month = month_of(row.values.get("month", ""))
        except ValueError as exc:
            row.errors.append(("month", str(exc)))
        try:
            registered = _registered(row.values.get("registered", ""))
        except ValueError as exc:
            row.errors.append(("registered", str(exc)))
        if row.errors:
            row.result = "error"
            continue
        key = (practice.pk, month)  # type: ignore[union-attr]
        if key in seen:
            row.errors.append(
                ("month", f"This practice's figure for {month:%Y-%m} is also on line {seen[key]}.")
            )
            row.result = "error"
            continue
        seen[key] = row.line
        parsed.append((row, practice, month, registered))  # type: ignore[arg-type]
    if result.errors:
        return result
    held = {
        (p.practice_id, p.month): p.registered
        for p in PracticePopulation.objects.filter(
            practice_id__in={p.pk for _, p, _, _ in parsed},
            month__in={m for _, _, m, _ in parsed},
        )
    }
    now = timezone.now()
    writes: list[PracticePopulation] = []
    for row, practice, month, registered in parsed:
        before = held.get((practice.pk, month))
        if before is None:
            row.result = "created"
        elif before != registered:
            row.result = "updated"
        else:
            row.result = "unchanged"
            continue
        writes.append(
            PracticePopulation(
                practice=practice,
                month=month,
                registered=registered,
                recorded_by=by,
                recorded_at=now,
            )
        )
    if dry_run or not writes:
        return result
    # An upsert: a figure someone else recorded meanwhile is replaced, never a conflict.
    PracticePopulation.objects.bulk_create(
        writes,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["practice", "month"],
        update_fields=["registered", "recorded_by", "recorded_at"],
    )
    return result


# --- Selectors -----------------------------------------------------------------------------


def _of_network(network: Network | int, month_from: date, month_to: date):
    network_id = network if isinstance(network, int) else network.pk
    return PracticePopulation.objects.filter(
        practice__networks=network_id, month__gte=month_from, month__lte=month_to
    )


def network_population(
    network: Network | int, month_from: date, month_to: date
) -> dict[date, dict[str, int]]:
    """The network's registered population per month (first days, `month_from` to
    `month_to` inclusive) as {month: {"registered": sum, "practices": how many reported}},
    over its current GP practices; a month no practice reported is absent. One query."""
    return {
        row["month"]: {"registered": row["registered"], "practices": row["practices"]}
        for row in _of_network(network, month_from, month_to)
        .values("month")
        .annotate(registered=Sum("registered"), practices=Count("practice"))
        .order_by("month")
    }


def practice_populations(
    network: Network | int, month_from: date, month_to: date
) -> list[dict[str, Any]]:
    """Each figure held for the network's GP practices in the months, as {"ods_code",
    "name", "month", "registered"}, by practice name then month. One query."""
    return list(
        _of_network(network, month_from, month_to)
        .order_by("practice__name", "practice__code", "month")
        .values("month", "registered", ods_code=F("practice__code"), name=F("practice__name"))
    )
