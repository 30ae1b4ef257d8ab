"""Reading an uploaded CSV file (dispensings, people): a size limit, UTF-8, a header row
naming the columns, and every problem named by its line. Files over the limit are refused
whole, never read in part."""

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import IO

from django.core.exceptions import ValidationError

CSV_MAX_BYTES = 1_000_000
CSV_TOO_BIG = f"The file is larger than {CSV_MAX_BYTES:,} bytes: split it into smaller files."

Problem = tuple[int | None, str]  # (line, message); no line for the file as a whole


class CsvProblems(ValidationError):
    """A file that cannot be read as the CSV asked for: `{"file": ["Line N: ..."]}` as a
    ValidationError, with the (line, message) pairs kept for callers that report them apart."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p[0] or 0)
        super().__init__({"file": [_say(line, message) for line, message in self.problems]})


def _say(line: int | None, message: str) -> str:
    return f"Line {line}: {message}" if line else message


def line_of(data: str | bytes, index: int) -> int:
    newline = "\n" if isinstance(data, str) else b"\n"
    return data.count(newline, 0, index) + 1  # type: ignore[arg-type]


def read_text(upload: IO[bytes], *, max_bytes: int = CSV_MAX_BYTES) -> str:
    """The text of an upload (a file object with `size` and `read`), or CsvProblems: over
    `max_bytes` (by its size, or by what was read when the size was not told or not true),
    or not UTF-8."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise CsvProblems([(None, CSV_TOO_BIG)])
    raw = upload.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise CsvProblems([(None, CSV_TOO_BIG)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_of(raw, exc.start)
        raise CsvProblems([(line, "the file is not UTF-8 text (save it as CSV UTF-8).")]) from None


def csv_rows(
    text: str, *, columns: Iterable[str], optional: Iterable[str] | None = None
) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """The rows under the header, as (line, {column: stripped value}), skipping blank rows,
    and the problems of rows that could not be read. The header must name every column of
    `columns`; with `optional` given, it may name those too and nothing else. A file that
    is empty, not text, or has the wrong header raises CsvProblems."""
    if not text.strip():
        raise CsvProblems([(1, "the file is empty.")])
    if "\x00" in text:  # PostgreSQL cannot store it; a CSV never holds one
        line = line_of(text, text.index("\x00"))
        raise CsvProblems([(line, "a NUL character (0x00): this is not a CSV text file.")])
    columns = tuple(columns)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[Problem] = []
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if not set(columns) <= set(header):
            raise CsvProblems([(1, f"the first row must name the columns {', '.join(columns)}.")])
        if optional is not None:
            unknown = [h for h in header if h not in {*columns, *optional}]
            if unknown:
                allowed = ", ".join([*columns, *optional])
                raise CsvProblems(
                    [(1, f"unknown column {unknown[0][:40]!r} (the columns are {allowed}).")]
                )
        for raw in reader:
            line = reader.line_num
            if None in raw:  # more values than the header has columns
                problems.append(
                    (
                        line,
                        f"{len(header) + len(raw[None])} values, but the first row names "
                        f"{len(header)} columns.",
                    )
                )
                continue
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            if any(row.values()):
                rows.append((line, row))
    except csv.Error as exc:  # e.g. a field over csv.field_size_limit(): the rest is unreadable
        # line_num counts the lines read whole; the error is in the next one.
        problems.append((reader.line_num + 1, f"this line cannot be read as CSV ({exc})."))
    return rows, problems


def csv_date(text: str) -> date:
    """A date as YYYY-MM-DD or DD/MM/YYYY, or ValueError saying so."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text[:40]!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
