"""The dashboard's figures as tables (and chart data): one description per table that the page,
the CSV exports and the charts all use, so the three always show the same numbers.

A cell keeps its raw value (for CSV), the text people read (a dash when there is nothing to
count from), and, for a count of people, the drill-down parameters naming who is behind it."""

from dataclasses import dataclass, field

from networks.roles import Role, Service
from referrals.selectors import service_labels

from .figures import ANSWERS, SOURCE_LABELS, parse_month

DASH = "\u2013"
ANSWER_LABELS = {"yes": "Yes", "no": "No", "unsure": "Unsure", "all": "All discharges"}
DECLINE_REASONS = (
    ("inappropriate", "Declined: inappropriate"),
    ("already_known", "Declined: already known"),
    ("outside_area", "Declined: outside the area"),
    ("person_declined", "Declined: the person declined"),
    ("other", "Declined: other reason"),
)


@dataclass
class Cell:
    value: object
    text: str
    drill: dict | None = None  # {"metric": ..., ...}: the people behind this count
    label: str = ""  # what the number is, for the link's words to a screen reader
    href: str = ""  # set by the page when the user may see the people

    @property
    def missing(self) -> bool:
        return self.value is None


@dataclass
class Column:
    label: str
    numeric: bool = True


@dataclass
class Table:
    key: str
    title: str  # the section's own words, for the caption and the export link
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    foot: list[list[Cell]] = field(default_factory=list)
    row_headers: int = 1  # how many leading cells of a row are its headers
    notes: list[str] = field(default_factory=list)
    missing_note: str = ""  # what the dash means in this table
    empty: str = ""  # said instead of the table when it has no rows

    @property
    def has_missing(self) -> bool:
        return any(cell.missing for row in self.rows + self.foot for cell in row)

    def part(self, key: str, title: str, keep: list[int], notes: bool = True) -> "Table":
        """Some of the columns, shown as a table of their own (the export stays whole)."""
        return Table(
            key,
            title,
            [self.columns[i] for i in keep],
            [[row[i] for i in keep] for row in self.rows],
            [[row[i] for i in keep] for row in self.foot],
            self.row_headers,
            self.notes if notes else [],
            self.missing_note,
            self.empty,
        )

    def csv_rows(self):
        yield [c.label for c in self.columns]
        for row in self.rows + self.foot:
            yield [cell.value for cell in row]


# --- formatting ---------------------------------------------------------------------------------


def count(n: int | None, drill: dict | None = None, label: str = "") -> Cell:
    if n is None:
        return Cell(None, DASH)
    return Cell(n, f"{n:,}", drill if n else None, label)


def number(x: float | None) -> Cell:
    """A median or a mean: one decimal place at most ("2", "2.5")."""
    if x is None:
        return Cell(None, DASH)
    text = f"{x:,.1f}"
    return Cell(round(x, 2), text[:-2] if text.endswith(".0") else text)


def rate(part: int, whole: int) -> Cell:
    """A share as a percentage, or a dash when there is nothing to divide by."""
    if not whole:
        return Cell(None, DASH)
    return percent(part / whole)


def percent(r: float | None) -> Cell:
    if r is None:
        return Cell(None, DASH)
    value = round(r * 100, 1)
    return Cell(round(r, 3), f"{value:g}%")


def header(value, text: str | None = None) -> Cell:
    return Cell(value, text if text is not None else str(value))


def month_label(month: str, short: bool = True) -> str:
    return f"{parse_month(month):%b %Y}" if short else f"{parse_month(month):%B %Y}"


def scope_service_labels(network_ids) -> dict[str, str]:
    """{code: label} of the services of the networks reported on, as each network calls
    them (the first network's label where two differ), in one query."""
    labels: dict[str, str] = {}
    for by_code in service_labels(network_ids).values():
        for code, label in by_code.items():
            labels.setdefault(code, label)
    return labels


def service_label(service: str, labels: dict[str, str] | None = None) -> str:
    if service == "all":
        return "All services"
    if labels and service in labels:
        return labels[service]
    try:
        return Service(service).label
    except ValueError:
        return service


# --- the tables ---------------------------------------------------------------------------------


def build_tables(
    figures: dict, *, meetings: str, role_label=None, labels: dict[str, str] | None = None
) -> dict[str, Table]:
    """Every table of the dashboard, keyed as the CSV exports are. `meetings` is the word for
    the MDT meetings ("huddles" for one network using that word, else "meetings")."""
    role_label = role_label or (lambda role: Role(role).label if role in Role.values else role)
    tables = [
        _admissions_avoided(figures["admissions_avoided"]),
        _after_discharge(figures["admissions_after_discharge"]),
        _goals(figures["goals"]),
        _referrals(figures["referrals"], labels),
        _triage(figures["triage_working_days"], labels),
        _service_waits(figures["service_waits"], labels),
        _caseload(figures["caseload"]),
        _visits(figures["visits"], role_label),
        _red_flags(figures["red_flags"], figures["admissions_avoided"]),
        _meetings(figures["meetings"], meetings),
        _actions(figures["meetings"]["actions"], meetings),
    ]
    return {t.key: t for t in tables}


def referral_parts(table: Table) -> tuple[Table, Table]:
    """The referrals table on the page: triage outcomes, then declines by reason."""
    outcomes = table.part(
        "referrals_outcomes",
        "Referrals in, per service and source: accepted and declined",
        [0, 1, 2, 3, 4, 10, 11, 12],
    )
    reasons = table.part(
        "referrals_reasons",
        "Referrals declined, by reason",
        [0, 1, 4, 5, 6, 7, 8, 9],
        notes=False,
    )
    reasons.columns = [
        Column(c.label.removeprefix("Declined: ").capitalize(), c.numeric) for c in reasons.columns
    ]
    return outcomes, reasons


def _admissions_avoided(months: list[dict]) -> Table:
    table = Table(
        "admissions_avoided",
        "Admissions avoided: the MDT\u2019s own estimate at discharge",
        [Column("Month", False), *(Column(ANSWER_LABELS[a]) for a in ANSWERS), Column("Total")],
    )
    totals = dict.fromkeys(ANSWERS, 0)
    for row in months:
        month = row["month"]
        words = month_label(month, short=False)
        cells = [header(month, month_label(month))]
        for answer in ANSWERS:
            cells.append(
                count(
                    row[answer],
                    {"metric": "avoided", "month": month, "answer": answer},
                    f"{ANSWER_LABELS[answer]}, {words}",
                )
            )
            totals[answer] += row[answer]
        total = sum(row[a] for a in ANSWERS)
        cells.append(count(total, {"metric": "avoided", "month": month}, f"All, {words}"))
        table.rows.append(cells)
    table.foot.append(
        [
            header("all", "All months"),
            *(
                count(totals[a], {"metric": "avoided", "answer": a}, f"{ANSWER_LABELS[a]}, all")
                for a in ANSWERS
            ),
            count(sum(totals.values()), {"metric": "avoided"}, "All answers, all months"),
        ]
    )
    return table


def _after_discharge(rows: list[dict]) -> Table:
    """One column per answer at discharge (and all), one row per measure: narrow enough to
    stand beside the estimate."""
    by_answer = {row["answer"]: row for row in rows}
    answers = [*ANSWERS, "all"]
    table = Table(
        "after_discharge",
        "What happened after discharge: emergency admissions, by the MDT\u2019s answer",
        [
            Column("After discharge", False),
            *(Column(ANSWER_LABELS[a] if a != "all" else "All") for a in answers),
        ],
        notes=[
            "Emergency admissions to hospital after the day of discharge, from hospital "
            "feeds and entries. A discharge counts towards the 30 (90) day rows only once "
            "30 (90) days have passed, so a recent discharge never looks like a success."
        ],
        missing_note="A dash means no discharge in that column has reached 30 (90) days yet.",
    )

    def drill(answer: str, **more) -> dict:
        return more | ({} if answer == "all" else {"answer": answer})

    def words(answer: str) -> str:
        return "all discharges" if answer == "all" else f"answer {ANSWER_LABELS[answer]}"

    table.rows.append(
        [header("discharged", "Discharged in the period")]
        + [
            count(
                by_answer[a]["discharged"],
                drill(a, metric="discharged"),
                f"Discharged, {words(a)}",
            )
            for a in answers
        ]
    )
    for days in (30, 90):
        table.rows.append(
            [header(f"followed_{days}", f"{days} days since discharge passed")]
            + [
                count(
                    by_answer[a][f"followed_{days}"],
                    drill(a, metric="followed", days=str(days)),
                    f"{days} days passed, {words(a)}",
                )
                for a in answers
            ]
        )
        table.rows.append(
            [header(f"admitted_{days}", f"Emergency admission within {days} days")]
            + [
                count(
                    by_answer[a][f"admitted_{days}"],
                    drill(a, metric="admitted", days=str(days)),
                    f"Admitted within {days} days, {words(a)}",
                )
                for a in answers
            ]
        )
        table.rows.append(
            [header(f"share_{days}", f"Share admitted within {days} days")]
            + [
                rate(by_answer[a][f"admitted_{days}"], by_answer[a][f"followed_{days}"])
                for a in answers
            ]
        )
    return table


def _goals(goals: dict) -> Table:
    outcomes = (
        ("met", "Met"),
        ("partly_met", "Partly met"),
        ("not_met", "Not met"),
        ("open", "Still working on it"),
    )
    table = Table(
        "goals",
        "Personal outcomes: goals agreed with the person (“what matters to me”)",
        [Column("Goals", False), Column("Number")],
        notes=[
            "Goals agreed with people (“what matters to me”) in the period, and where each "
            "stands now."
        ],
        missing_note="A dash means no goal agreed in the period has an outcome yet.",
    )
    table.rows.append(
        [
            header("agreed", "Agreed in the period"),
            count(goals["agreed"], {"metric": "goals"}, "Goals agreed"),
        ]
    )
    for key, label in outcomes:
        table.rows.append(
            [
                header(key, label),
                count(goals[key], {"metric": "goals", "outcome": key}, f"Goals {label.lower()}"),
            ]
        )
    table.rows.append(
        [header("met_rate", "Met, of those with an outcome"), percent(goals["met_rate"])]
    )
    return table


def _referrals(rows: list[dict], labels: dict[str, str] | None = None) -> Table:
    statuses = (
        ("accepted", "Accepted"),
        ("declined", "Declined"),
    )
    table = Table(
        "referrals",
        "Referrals in, per service and source",
        [
            Column("Service", False),
            Column("Source", False),
            Column("Referrals"),
            *(Column(label) for _, label in statuses),
            *(Column(label) for _, label in DECLINE_REASONS),
            Column("Waiting for triage"),
            Column("Withdrawn"),
            Column("Inappropriate rate"),
        ],
        row_headers=2,
        notes=[
            "Referrals made in the period. Accepted includes those since completed. The "
            "inappropriate rate is the share of triaged referrals (accepted or declined) "
            "declined as inappropriate for the service."
        ],
        missing_note="A dash means nothing has been triaged yet, so there is no rate.",
        empty="No referrals were made in this period.",
    )
    names = ["total", "accepted", "declined", *(f"declined_{r}" for r, _ in DECLINE_REASONS)]
    names += ["waiting", "withdrawn"]
    totals = dict.fromkeys(names, 0)

    def cells_for(row: dict, drill: dict, who: str) -> list[Cell]:
        cells = [count(row["total"], {"metric": "referrals", **drill}, f"{who}, all referrals")]
        for status, label in statuses:
            cells.append(
                count(
                    row[status],
                    {"metric": "referrals", "status": status, **drill},
                    f"{who}, {label.lower()}",
                )
            )
        for reason, label in DECLINE_REASONS:
            cells.append(
                count(
                    row[f"declined_{reason}"],
                    {"metric": "referrals", "status": "declined", "reason": reason, **drill},
                    f"{who}, {label.lower()}",
                )
            )
        for status, label in (("waiting", "Waiting for triage"), ("withdrawn", "Withdrawn")):
            cells.append(
                count(
                    row[status],
                    {"metric": "referrals", "status": status, **drill},
                    f"{who}, {label.lower()}",
                )
            )
        cells.append(rate(row["declined_inappropriate"], row["accepted"] + row["declined"]))
        return cells

    for row in rows:
        service, source = row["service"], row["source"]
        who = f"{service_label(service, labels)} from {SOURCE_LABELS.get(source, source)}"
        table.rows.append(
            [
                header(service, service_label(service, labels)),
                header(source, SOURCE_LABELS.get(source, source)),
                *cells_for(row, {"service": service, "source": source}, who),
            ]
        )
        for name in names:
            totals[name] += row[name]
    if rows:
        table.foot.append(
            [
                header("all", "All services"),
                header("all", "All sources"),
                *cells_for(totals, {}, "All services and sources"),
            ]
        )
    return table


def _triage(rows: list[dict], labels: dict[str, str] | None = None) -> Table:
    table = Table(
        "triage",
        "Working days from referral to triage",
        [
            Column("Service", False),
            Column("Triaged"),
            Column("Median (working days)"),
            Column("90th percentile (working days)"),
        ],
        notes=[
            "Referrals made in the period and since accepted or declined. Working days leave "
            "out weekends and bank holidays in England and Wales; triage on the day of the "
            "referral is 0."
        ],
        missing_note="A dash means nothing was triaged, so there is no time to measure.",
    )
    for row in rows:
        service = row["service"]
        drill = {"metric": "triaged"} | ({} if service == "all" else {"service": service})
        cells = [
            header(service, service_label(service, labels)),
            count(row["triaged"], drill, f"{service_label(service, labels)}, triaged"),
            number(row["median"]),
            number(row["p90"]),
        ]
        (table.foot if service == "all" else table.rows).append(cells)
    return table


def _service_waits(rows: list[dict], labels: dict[str, str] | None = None) -> Table:
    table = Table(
        "service_waits",
        "Waiting list and time to first contact, per service",
        [
            Column("Service", False),
            Column("Waiting: new"),
            Column("Waiting: accepted"),
            Column("Waiting list"),
            Column("Accepted"),
            Column("Contacted"),
            Column("First contact, median (working days)"),
            Column("First contact, 90th percentile (working days)"),
        ],
        notes=[
            "The waiting list is now: referrals new or accepted, not yet completed, declined "
            "or withdrawn. First contact is for referrals made in the period and accepted: "
            "working days from acceptance to the person's first visit or task done after it."
        ],
        missing_note="A dash means no one accepted in the period has been contacted yet.",
    )
    for row in rows:
        table.rows.append(
            [
                header(row["service"], service_label(row["service"], labels)),
                count(row["waiting_new"]),
                count(row["waiting_accepted"]),
                count(row["waiting"]),
                count(row["accepted"]),
                count(row["contacted"]),
                number(row["first_contact_median"]),
                number(row["first_contact_p90"]),
            ]
        )
    return table


def _caseload(caseload: dict) -> Table:
    table = Table(
        "caseload",
        "The MDT caseload",
        [Column("Who", False), Column("People"), Column("Median days on the caseload")],
        notes=[
            "“Now” is today, whatever the period; “discharged” counts the time on the "
            "caseload of those discharged in the period."
        ],
        missing_note="A dash means there is no one to measure.",
    )
    table.rows.append(
        [
            header("active", "On the caseload now (days so far)"),
            count(caseload["active"], {"metric": "caseload"}, "On the caseload now"),
            number(caseload["active_median_days"]),
        ]
    )
    table.rows.append(
        [
            header("discharged", "Discharged in the period"),
            count(caseload["discharged"], {"metric": "discharged"}, "Discharged in the period"),
            number(caseload["discharged_median_days"]),
        ]
    )
    return table


def _visits(visits: dict, role_label) -> Table:
    days = visits["working_days"]
    table = Table(
        "visits",
        "Visits per pharmacist per working day",
        [
            Column("Pharmacist", False),
            Column("Role", False),
            Column("Visits"),
            Column("Visits per working day"),
        ],
        row_headers=2,
        notes=[
            f"{days} working day{'s' if days != 1 else ''} in the period so far (weekends "
            "and bank holidays left out). Visits by pharmacists and pharmacy technicians."
        ],
        missing_note="A dash means there has been no working day in the period yet.",
        empty="No visits by pharmacists in this period.",
    )
    for person in visits["pharmacists"]:
        table.rows.append(
            [
                header(person["name"]),
                header(person["role"], role_label(person["role"])),
                count(
                    person["visits"],
                    {"metric": "visits", "visitor": str(person["user_id"])},
                    f"Visits by {person['name']}",
                ),
                number(person["per_working_day"]),
            ]
        )
    if visits["pharmacists"]:
        table.foot.append(
            [
                header("all", "All pharmacists"),
                header("", ""),
                count(visits["visits"]),
                number(visits["per_pharmacist_per_working_day"]),
            ]
        )
    return table


def _red_flags(codes: list[dict], months: list[dict]) -> Table:
    month_keys = [m["month"] for m in months]
    table = Table(
        "red_flags",
        "Red flags raised, by flag and month",
        [Column("Red flag", False), *(Column(month_label(m)) for m in month_keys), Column("Total")],
        empty="No red flags were raised in this period.",
    )
    for entry in codes:
        label = entry["label"]
        cells = [header(entry["code"], label)]
        for month in entry["months"]:
            cells.append(
                count(
                    month["n"],
                    {"metric": "flags", "code": entry["code"], "month": month["month"]},
                    f"{label}, {month_label(month['month'], short=False)}",
                )
            )
        cells.append(count(entry["total"], {"metric": "flags", "code": entry["code"]}, label))
        table.rows.append(cells)
    if codes:
        by_month = [sum(e["months"][i]["n"] for e in codes) for i in range(len(month_keys))]
        table.foot.append(
            [
                header("all", "All red flags"),
                *(
                    count(n, {"metric": "flags", "month": m}, f"All flags, {month_label(m)}")
                    for n, m in zip(by_month, month_keys, strict=True)
                ),
                count(sum(e["total"] for e in codes), {"metric": "flags"}, "All red flags"),
            ]
        )
    return table


def _meetings(meetings: dict, word: str) -> Table:
    table = Table(
        "meetings",
        f"{word.capitalize()} held, and people discussed",
        [
            Column("Month", False),
            Column(f"{word.capitalize()} held"),
            Column("People discussed"),
            Column(f"Discussed per {word.rstrip('s')}"),
        ],
        notes=[f"{word.capitalize()} held (closed) in the period."],
        missing_note=f"A dash means no {word} were held that month.",
    )
    for row in meetings["by_month"]:
        month = row["month"]
        table.rows.append(
            [
                header(month, month_label(month)),
                count(row["held"]),
                count(
                    row["discussed"],
                    {"metric": "discussed", "month": month},
                    f"Discussed, {month_label(month, short=False)}",
                ),
                number(row["discussed"] / row["held"] if row["held"] else None),
            ]
        )
    median = meetings["discussed_per_meeting_median"]
    if median is not None:
        table.notes.append(
            f"Over the whole period, the median is {number(median).text} "
            f"{'person' if median == 1 else 'people'} discussed per {word.rstrip('s')}; the "
            "last column gives the mean."
        )
    table.foot.append(
        [
            header("all", "All months"),
            count(meetings["held"]),
            count(
                sum(r["discussed"] for r in meetings["by_month"]),
                {"metric": "discussed"},
                "Discussed, all months",
            ),
            number(meetings["discussed_per_meeting_mean"]),
        ]
    )
    return table


def _actions(actions: dict, word: str) -> Table:
    states = (
        ("due", "Due in the period"),
        ("on_time", "Done on time"),
        ("late", "Done late"),
        ("overdue", "Overdue (still open)"),
        ("open", "Open, not yet due"),
    )
    table = Table(
        "actions",
        f"Actions agreed at {word}",
        [
            Column("Actions", False),
            *(Column(label) for _, label in states),
            Column("Share done on time"),
        ],
        notes=[
            f"Actions agreed at a {word.rstrip('s')} and due in the period, and where they "
            "stand today. The share done on time is of those done."
        ],
        missing_note="A dash means nothing has been done yet.",
    )
    done = actions["on_time"] + actions["late"]
    table.rows.append(
        [
            header("actions", f"Agreed at {word}"),
            *(
                count(
                    actions[key],
                    {"metric": "actions", "status": key},
                    f"Actions {label.lower()}",
                )
                for key, label in states
            ),
            rate(actions["on_time"], done),
        ]
    )
    return table


# --- chart data (the same numbers as the tables) ------------------------------------------------


def charts(
    figures: dict, *, meetings: str, labels: dict[str, str] | None = None
) -> dict[str, dict]:
    """The data of each chart, rendered with json_script and drawn by dashboard.js."""
    months = [m["month"] for m in figures["admissions_avoided"]]
    labels = [month_label(m) for m in months]
    by_service: dict[str, dict[str, int]] = {}
    for row in figures["referrals"]:
        entry = by_service.setdefault(
            row["service"], {"accepted": 0, "declined": 0, "waiting": 0, "withdrawn": 0}
        )
        for name in entry:
            entry[name] += row[name]
    triage = [r for r in figures["triage_working_days"] if r["service"] != "all"]
    specs = {
        "avoided": {
            "kind": "bar",
            "stacked": True,
            "labels": labels,
            "axis": "Discharges",
            "series": [
                {
                    "label": ANSWER_LABELS[a],
                    "tone": tone,
                    "data": [m[a] for m in figures["admissions_avoided"]],
                }
                for a, tone in (("yes", "blue"), ("no", "orange"), ("unsure", "grey"))
            ],
        },
        "referrals": {
            "kind": "bar",
            "stacked": True,
            "horizontal": True,
            "labels": [service_label(s, labels) for s in by_service],
            "axis": "Referrals",
            "series": [
                {
                    "label": label,
                    "tone": tone,
                    "data": [v[name] for v in by_service.values()],
                }
                for name, label, tone in (
                    ("accepted", "Accepted", "blue"),
                    ("declined", "Declined", "orange"),
                    ("waiting", "Waiting for triage", "aqua"),
                    ("withdrawn", "Withdrawn", "grey"),
                )
            ],
        },
        "triage": {
            "kind": "bar",
            "horizontal": True,
            "labels": [service_label(r["service"], labels) for r in triage],
            "axis": "Working days",
            "series": [
                {"label": "Median", "tone": "blue", "data": [r["median"] for r in triage]},
                {
                    "label": "90th percentile",
                    "tone": "dark-blue",
                    "data": [r["p90"] for r in triage],
                },
            ],
        },
        "meetings": {
            "kind": "bar",
            "labels": labels,
            "axis": "Count",
            "series": [
                {
                    "label": f"{meetings.capitalize()} held",
                    "tone": "dark-blue",
                    "data": [m["held"] for m in figures["meetings"]["by_month"]],
                },
                {
                    "label": "People discussed",
                    "tone": "blue",
                    "data": [m["discussed"] for m in figures["meetings"]["by_month"]],
                },
            ],
        },
    }
    for spec in specs.values():
        spec["empty"] = not any(v for series in spec["series"] for v in series["data"])
    return specs
