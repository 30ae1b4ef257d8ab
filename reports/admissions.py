"""Writes for hospital admissions: one entered by hand, or a hospital CSV feed checked first
(every row, each bad one by its line number) and imported only when the user decides.

Who: the chair and the integrated manager of the network, the roles that both see people's
records and read reports. Managers read reports but not records, so they neither see the
NHS numbers and names a check shows nor record admissions.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core import nhs_number
from core.attribution import attributed
from core.errors import Conflict, NotAllowed
from networks.roles import Role
from networks.selectors import role_in
from patients.models import Patient

from .models import ADMISSION_IMPORT, AdmissionEvent, AdmissionImport

ADMISSION_ROLES = frozenset({Role.CHAIR, Role.INTEGRATED_MANAGER})
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
COLUMNS = ("nhs_number", "admitted_on", "kind")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
KINDS = {
    "emergency": AdmissionEvent.Kind.EMERGENCY,
    "non-elective": AdmissionEvent.Kind.EMERGENCY,
    "non elective": AdmissionEvent.Kind.EMERGENCY,
    "nonelective": AdmissionEvent.Kind.EMERGENCY,
    "elective": AdmissionEvent.Kind.ELECTIVE,
}
SHOWN_CHARS = 40  # of a bad value, when it is quoted back


def may_record_admissions(user, network_id: int | None) -> bool:
    return role_in(user, network_id) in ADMISSION_ROLES


def _require(user, network_id: int) -> None:
    if not may_record_admissions(user, network_id):
        raise NotAllowed("Admissions are recorded by the chair and the integrated manager.")


def day_display(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _quoted(text: str) -> str:
    if len(text) > SHOWN_CHARS:
        text = text[: SHOWN_CHARS - 1] + "…"
    return f"\u2018{text}\u2019"


def parse_date(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def parse_kind(text: str) -> str | None:
    return KINDS.get(re.sub(r"\s+", " ", text.strip().lower()))


def _date_errors(day: date, date_of_birth: date | None) -> list[str]:
    if day > timezone.localdate():
        return [f"The admission date {day_display(day)} is in the future."]
    if date_of_birth is not None and day < date_of_birth:
        return [
            f"The admission date {day_display(day)} is before the person's date of birth "
            f"({day_display(date_of_birth)})."
        ]
    return []


def not_found_message(number: str, network) -> str:
    """The same words whether the number is in another network or nowhere, so a check
    never tells anyone who is known elsewhere."""
    return f"No one with NHS number {nhs_number.display(number)} in {network.name}."


# --- one admission by hand --------------------------------------------------------------------


@attributed
@transaction.atomic
def admission_record(*, patient: Patient, admitted_on: date, kind: str, by) -> AdmissionEvent:
    """One admission entered by hand. A second one for the same person, day and kind is a
    Conflict (409); nothing is saved when anything is wrong."""
    _require(by, patient.network_id)
    errors: dict[str, list[str]] = {}
    if kind not in AdmissionEvent.Kind.values:
        errors["kind"] = ["Choose emergency or elective."]
    date_errors = _date_errors(admitted_on, patient.date_of_birth)
    if date_errors:
        errors["admitted_on"] = date_errors
    if errors:
        raise ValidationError(errors)
    event = AdmissionEvent(
        network_id=patient.network_id,
        patient=patient,
        admitted_on=admitted_on,
        kind=kind,
        source=AdmissionEvent.Source.MANUAL,
        recorded_by=by,
    )
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        label = AdmissionEvent.Kind(kind).label.lower()
        raise Conflict(
            f"An {label} admission on {day_display(admitted_on)} is already recorded for "
            f"{patient.full_name}.",
            field="admitted_on",
        ) from None
    return event


# --- a hospital CSV feed: check every row, then import on the user's decision ----------------


@dataclass
class _Row:
    line: int
    raw: dict[str, str]
    number: str = ""  # the 10 digits, when valid
    day: date | None = None
    kind: str = ""
    patient_id: int | None = None
    errors: list[str] = field(default_factory=list)

    def bad(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "nhs_number": self.raw["nhs_number"][:SHOWN_CHARS],
            "admitted_on": self.raw["admitted_on"][:SHOWN_CHARS],
            "kind": self.raw["kind"][:SHOWN_CHARS],
            "patient_id": self.patient_id,
            "errors": self.errors,
        }

    def good(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "nhs_number": self.number,
            "admitted_on": self.day.isoformat(),
            "kind": self.kind,
            "patient_id": self.patient_id,
        }


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise _file_error(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller "
            "files and upload each."
        )
    try:
        text = data.decode("utf-8-sig")  # a byte order mark (Excel's "CSV UTF-8") is fine
    except UnicodeDecodeError:
        raise _file_error(
            "The file is not UTF-8 text. Save it from your spreadsheet as "
            "\u201cCSV UTF-8 (comma delimited)\u201d and upload it again."
        ) from None
    if "\x00" in text:
        raise _file_error("The file is not a CSV file (it holds binary data).")
    return text


def _header(names: list[str]) -> dict[str, int]:
    """Column positions by name. Names are matched without case, spaces or hyphens."""
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        key = re.sub(r"[\s-]+", "_", name.strip().lower())
        positions.setdefault(key, index)
    missing = [c for c in COLUMNS if c not in positions]
    if missing and len(names) == 1 and ";" in names[0]:
        raise _file_error(
            "The columns are separated by semicolons: use commas (in Excel, save as "
            "\u201cCSV UTF-8 (comma delimited)\u201d)."
        )
    if missing:
        raise _file_error(
            "The first row must name the columns nhs_number, admitted_on and kind; "
            f"{_and(missing)} {'is' if len(missing) == 1 else 'are'} missing."
        )
    return positions


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _parse(text: str) -> list[_Row]:
    """Every data row with its first line number and the problems seen in the row itself."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[_Row] = []
    try:
        names = next(reader, None)
        if not names or not any(n.strip() for n in names):
            raise _file_error(
                "The file is empty: its first row must name the columns nhs_number, "
                "admitted_on and kind."
            )
        positions = _header(names)
        last = reader.line_num
        for values in reader:
            line, last = last + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise _file_error(
                    f"The file has more than {MAX_ROWS:,} rows: split it into smaller files "
                    "and upload each."
                )
            raw = {
                c: (values[positions[c]].strip() if positions[c] < len(values) else "")
                for c in COLUMNS
            }
            rows.append(_check_values(_Row(line=line, raw=raw)))
    except csv.Error as exc:
        raise _file_error(
            f"Line {reader.line_num}: the file cannot be read as CSV ({exc})."
        ) from None
    if not rows:
        raise _file_error("The file has no admissions under its first row.")
    return rows


def _check_values(row: _Row) -> _Row:
    text = row.raw["nhs_number"]
    if not text:
        row.errors.append("The NHS number is missing.")
    else:
        try:
            row.number = nhs_number.validate(text)
        except ValidationError as exc:
            if exc.code == "checksum":
                row.errors.append(
                    f"{nhs_number.display(text)} is not a valid NHS number: the check digit "
                    "does not match."
                )
            else:
                row.errors.append(f"{_quoted(text)} is not an NHS number: it needs 10 digits.")
    text = row.raw["admitted_on"]
    if not text:
        row.errors.append("The admission date is missing.")
    else:
        row.day = parse_date(text)
        if row.day is None:
            row.errors.append(f"{_quoted(text)} is not a date: use YYYY-MM-DD or DD/MM/YYYY.")
    text = row.raw["kind"]
    if not text:
        row.errors.append("The kind of admission is missing: emergency or elective.")
    else:
        row.kind = parse_kind(text) or ""
        if not row.kind:
            row.errors.append(
                f"{_quoted(text)} is not a kind of admission: use emergency or elective."
            )
    return row


@attributed
def admissions_check(*, network, filename: str, data: bytes, by) -> AdmissionImport:
    """Check every row of a hospital CSV (nhs_number, admitted_on, kind) against the people
    of `network` and keep the result for the user's decision: the good rows with the
    person's id, the bad ones with their line numbers and messages, and how many are already
    recorded. Nothing is saved as an admission. A file that cannot be read at all (too big,
    not UTF-8 text, no header) is a ValidationError on "file" and nothing is kept.

    Three queries however long the file: the people, the admissions already recorded, and
    the import itself."""
    _require(by, network.pk)
    rows = _parse(_decode(data))
    numbers = {r.number for r in rows if r.number}
    people = {
        number: (pk, born)
        for pk, number, born in Patient.objects.filter(
            network=network, nhs_number__in=sorted(numbers)
        ).values_list("pk", "nhs_number", "date_of_birth")
    }
    days = [r.day for r in rows if r.day]
    recorded: set[tuple[int, date, str]] = set()
    if people and days:
        recorded = set(
            AdmissionEvent.objects.filter(
                patient_id__in=[pk for pk, _ in people.values()],
                admitted_on__range=(min(days), max(days)),
            ).values_list("patient_id", "admitted_on", "kind")
        )
    seen: dict[tuple[int, date, str], int] = {}
    good, bad, duplicates = [], [], 0
    for row in rows:
        if row.number:
            match = people.get(row.number)
            if match is None:
                row.errors.append(not_found_message(row.number, network))
            else:
                row.patient_id = match[0]
                if row.day is not None:
                    row.errors.extend(_date_errors(row.day, match[1]))
        if row.errors:
            bad.append(row.bad())
            continue
        key = (row.patient_id, row.day, row.kind)
        if key in seen:
            row.errors.append(f"Repeats line {seen[key]} (the same person, date and kind).")
            bad.append(row.bad())
            continue
        seen[key] = row.line
        if key in recorded:
            duplicates += 1
            continue
        good.append(row.good())
    return AdmissionImport.objects.create(
        network=network,
        filename=(filename or "upload.csv")[:200],
        uploaded_by=by,
        rows_total=len(rows),
        good_rows=good,
        bad_rows=bad,
        duplicates=duplicates,
    )


def _lock(admission_import: AdmissionImport, by, action: str) -> AdmissionImport:
    """Lock the import's row and make the move (`ADMISSION_IMPORT`, not saved): two clicks
    (or two people) are serialised here and the second is told the file has already been
    decided (409)."""
    locked = AdmissionImport.objects.select_for_update().get(pk=admission_import.pk)
    _require(by, locked.network_id)
    if not ADMISSION_IMPORT.allowed(locked, action):
        raise Conflict(f"This file has already been {locked.status}: nothing more was done.")
    ADMISSION_IMPORT.apply(locked, action)
    return locked


@attributed
@transaction.atomic
def admissions_import(
    *, admission_import: AdmissionImport, by, include_good_rows_only: bool
) -> AdmissionImport:
    """Import a checked file: all of it when every row is good; when some rows are bad, only
    if the user chose to import the good rows only. Admissions recorded since the check are
    skipped and counted as already recorded."""
    locked = _lock(admission_import, by, "import")
    if locked.bad_rows and not include_good_rows_only:
        count = len(locked.bad_rows)
        raise ValidationError(
            f"{count} row{'s have' if count != 1 else ' has'} errors: nothing was imported. "
            "Choose to import the good rows only, or discard the file."
        )
    # People who have left the network since the check are not imported.
    still_here = set(
        Patient.objects.filter(
            network_id=locked.network_id,
            pk__in=sorted({row["patient_id"] for row in locked.good_rows}),
        ).values_list("pk", flat=True)
    )
    events = [
        AdmissionEvent(
            network_id=locked.network_id,
            patient_id=row["patient_id"],
            admitted_on=date.fromisoformat(row["admitted_on"]),
            kind=row["kind"],
            source=AdmissionEvent.Source.IMPORT,
            admission_import=locked,
            recorded_by=by,
        )
        for row in locked.good_rows
        if row["patient_id"] in still_here
    ]
    # The history trigger on each row is quadratic in the transaction's queue of deferred
    # foreign-key checks; checking them as rows go in keeps a 50,000-row import linear.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    AdmissionEvent.objects.bulk_create(events, batch_size=2000, ignore_conflicts=True)
    imported = AdmissionEvent.objects.filter(admission_import=locked).count()
    locked.imported = imported
    locked.duplicates += len(events) - imported
    locked.decided_at = timezone.now()
    locked.save(update_fields=["imported", "duplicates", "status", "decided_at"])
    return locked


@attributed
@transaction.atomic
def admissions_discard(*, admission_import: AdmissionImport, by) -> AdmissionImport:
    """Discard a checked file: nothing from it is imported."""
    locked = _lock(admission_import, by, "discard")
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_at"])
    return locked
