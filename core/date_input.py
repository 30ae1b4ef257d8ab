"""The NHS design system's date input: three boxes, Day, Month and Year, instead of the
browser's date picker (which shows mm/dd/yyyy to UK users), with the design system's error
messages ("Date of birth must include a month", "... must be a real date"). A field with a
time as well (the time a visit happened) adds a fourth box, Time.

The widget also reads the single ISO value under the field's own name (2027-03-15, or
2027-03-15T14:30 with a time) when none of the boxes were sent, so htmx posts, API-minded
scripts and tests that send one value keep working.

The field renders its whole form group (legend, hint, error, the boxes) itself, so
`{{ field }}` or templates/includes/field.html draw it complete."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.utils import timezone
from django.utils.safestring import SafeString

DATE_PARTS = ("day", "month", "year")
MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (calendar.month_name[number].lower(), calendar.month_abbr[number].lower())
}
MONTHS["sept"] = 9
ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
UK_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")  # 27/03/2026, as typed in a CSV
ISO_DATETIME = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*$"
)
TIME = re.compile(r"^\s*(\d{1,2})[:.]?(\d{2})\s*$")


@dataclass(frozen=True)
class Problem:
    """What is wrong with what was typed, and which boxes to highlight."""

    message: str
    parts: tuple[str, ...]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def read_parts(raw: dict[str, str], *, label: str, with_time: bool = False) -> Problem | None:
    """None when the boxes hold a real date (and time), else the first problem in the design
    system's order: missing parts, parts that cannot be right, a year without 4 numbers, a
    date that does not exist. All boxes empty is not a problem here (the field decides)."""
    parts = DATE_PARTS + (("time",) if with_time else ())
    if raw.get("iso") is not None:
        return Problem(f"{label} must be a real date", parts)
    values = {part: (raw.get(part) or "").strip() for part in parts}
    missing = [part for part in parts if not values[part]]
    if missing and len(missing) < len(parts):
        return Problem(f"{label} must include a {_and(missing)}", tuple(missing))
    if missing:
        return None
    day, month, year = _number(values["day"]), _month(values["month"]), values["year"]
    wrong = []
    if day is None or not 1 <= day <= 31:
        wrong.append("day")
    if month is None:
        wrong.append("month")
    if not year.isdigit():
        wrong.append("year")
    if wrong:
        return Problem(f"{label} must be a real date", tuple(wrong))
    if len(year) != 4:
        return Problem("Year must include 4 numbers", ("year",))
    assert day is not None and month is not None
    if day > calendar.monthrange(int(year), month)[1]:
        return Problem(f"{label} must be a real date", ("day",))
    if with_time and _time(values["time"]) is None:
        return Problem(f"{label} must include a real time, like 14:30", ("time",))
    return None


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _month(text: str) -> int | None:
    number = _number(text)
    if number is not None:
        return number if 1 <= number <= 12 else None
    return MONTHS.get(text.lower().rstrip("."))


def _time(text: str) -> time | None:
    match = TIME.match(text)
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _to_date(values: dict[str, str]) -> date:
    month = _month(values["month"].strip())
    assert month is not None
    return date(int(values["year"]), month, int(values["day"]))


class NhsDateInput(forms.Widget):
    """Day, Month, Year (and Time) boxes, named <name>-day, <name>-month, <name>-year (and
    <name>-time), inputmode numeric; the boxes at fault outlined when the field has an error."""

    template_name = "core/widgets/date_input.html"
    use_fieldset = True
    with_time = False

    def parts(self) -> tuple[str, ...]:
        return DATE_PARTS + (("time",) if self.with_time else ())

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, str]:
        """The boxes' text, or the single ISO value under `name` read into boxes."""
        if any(f"{name}-{part}" in data for part in self.parts()):
            return {part: data.get(f"{name}-{part}") or "" for part in self.parts()}
        single = data.get(name)
        if isinstance(single, (date, datetime)):
            return self.split(single)
        single = (single or "").strip() if isinstance(single, str) else ""
        if not single:
            return {}
        if self.with_time and len(single) > 10:
            try:  # with a UTC offset too, as an API client or timezone.now() writes it
                return self.split(datetime.fromisoformat(single))
            except ValueError:
                pass
        match = (ISO_DATETIME if self.with_time else ISO_DATE).match(single)
        if match is None and self.with_time:
            match = ISO_DATE.match(single)  # a day alone, at no time: "must include a time"
        if match is None and (uk := UK_DATE.match(single)):
            return {"day": uk[1], "month": uk[2], "year": uk[3]}
        if match is None:
            return {"iso": single}
        groups = [*match.groups(), None, None]
        year, month, day, hour, minute = groups[:5]
        values = {"day": day or "", "month": month or "", "year": year or ""}
        if self.with_time:
            values["time"] = f"{hour}:{minute}" if hour is not None else ""
        return values

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and not any(f"{name}-{part}" in data for part in self.parts())

    def split(self, value: date | datetime) -> dict[str, str]:
        if isinstance(value, datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            values = {"day": str(local.day), "month": str(local.month), "year": str(local.year)}
            if self.with_time:
                values["time"] = f"{local:%H:%M}"
            return values
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}

    def format_value(self, value: Any) -> dict[str, str]:
        if isinstance(value, (date, datetime)):
            return self.split(value)
        if isinstance(value, dict):
            return value
        if isinstance(value, str) and value:
            return self.value_from_datadict({"v": value}, None, "v")
        return {}

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        attrs = dict(context["widget"]["attrs"])
        invalid = attrs.pop("aria-invalid", None) == "true"
        attrs.pop("required", None)
        id_ = attrs.pop("id", None) or f"id_{name}"
        values: dict[str, str] = context["widget"]["value"] or {}
        bad: tuple[str, ...] = ()
        if invalid:
            problem = read_parts(values, label="", with_time=self.with_time)
            bad = problem.parts if problem else self.parts()
        focus = attrs.get("autofocus") and (bad[0] if bad else "day")
        boxes = []
        for part in self.parts():
            boxes.append(
                {
                    "part": part,
                    "label": part.capitalize(),
                    "name": f"{name}-{part}",
                    "id": f"{id_}-{part}",
                    "value": values.get(part, ""),
                    "width": {"year": 4, "time": 4}.get(part, 2),
                    "invalid": part in bad,
                    "autofocus": part == focus,
                    "autocomplete": attrs.get(f"autocomplete-{part}", ""),
                }
            )
        context["widget"].update({"id": id_, "boxes": boxes})
        return context

    def id_for_label(self, id_: str) -> str:
        return f"{id_}-day" if id_ else id_


class NhsDateTimeInput(NhsDateInput):
    with_time = True


class DateBoundField(BoundField):
    """Renders the whole form group: `{{ field }}` is the fieldset with its legend, hint,
    error and boxes; `id_for_label` is the first box at fault (for error summaries)."""

    def __str__(self) -> SafeString:
        return self.as_field_group()

    @property
    def id_for_label(self) -> str:
        widget = self.field.widget
        id_ = widget.attrs.get("id") or self.auto_id
        if not id_:
            return ""
        if self.errors and isinstance(widget, NhsDateInput):
            values = widget.format_value(self.value())
            problem = read_parts(values, label="", with_time=widget.with_time)
            if problem:
                return f"{id_}-{problem.parts[0]}"
        return f"{id_}-day"

    @property
    def example(self) -> str:
        field = self.field
        assert isinstance(field, NhsDateField)
        example = field.example
        text = f"For example, {example.day} {example.month} {example.year}"
        if isinstance(field, NhsDateTimeField):
            text += f", {field.example_time}"
        return text


class NhsDateField(forms.Field):
    """A date typed into the design system's three boxes. `error_label` names the date in
    errors when the label alone would read badly ("Due" -> "Due date must include a month");
    `example` is the date in the hint, one that makes sense for the question;
    `optional_marker=False` leaves "(optional)" off a field that other answers make needed."""

    widget = NhsDateInput
    bound_field_class = DateBoundField
    renders_own_group = True  # templates/includes/field.html draws it with {{ field }} alone

    def __init__(
        self,
        *,
        error_label: str | None = None,
        example: date = date(2027, 3, 15),
        optional_marker: bool = True,
        **kwargs: Any,
    ) -> None:
        self.error_label = error_label
        self.optional_marker = optional_marker
        self.example = example
        kwargs.setdefault("template_name", "core/date_field.html")
        super().__init__(**kwargs)

    @property
    def with_time(self) -> bool:
        return False

    def what(self) -> str:
        return self.error_label or str(self.label or "Date")

    def clean(self, value: Any) -> Any:
        # "required" is worded once the label is known (a ModelForm sets it late).
        if "required" not in self.error_messages or self.error_messages["required"] == str(
            forms.Field.default_error_messages["required"]
        ):
            self.error_messages["required"] = f"Enter {_lower_first(self.what())}"
        return super().clean(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value if self.with_time else value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            widget = self.widget
            assert isinstance(widget, NhsDateInput)
            value = widget.value_from_datadict({"v": value}, None, "v")
        if not value or not any((v or "").strip() for v in value.values()):
            return None
        problem = read_parts(value, label=self.what(), with_time=self.with_time)
        if problem:
            raise ValidationError(problem.message, code="invalid")
        return self.combine(value)

    def combine(self, values: dict[str, str]) -> Any:
        return _to_date(values)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != self.to_python(initial)
        except ValidationError:
            return True


class NhsDateTimeField(NhsDateField):
    """A date in the three boxes and a time (14:30) in a fourth; a London wall-clock time
    never refused for the clock changes (the earlier reading of the repeated hour, GMT in
    the skipped one), as core.forms.LocalDateTimeField."""

    widget = NhsDateTimeInput
    example_time = "14:30"

    @property
    def with_time(self) -> bool:
        return True

    def to_python(self, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            raise ValidationError(f"{self.what()} must include a time", code="invalid")
        return super().to_python(value)

    def combine(self, values: dict[str, str]) -> Any:
        at = _time(values["time"])
        assert at is not None
        return timezone.make_aware(datetime.combine(_to_date(values), at))  # fold=0


PAST_EXAMPLE = date(2025, 3, 15)  # for dates that are today or earlier


class DateOfBirthField(NhsDateField):
    """A date of birth: an example from the past, and the browser's birthday autofill."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("example", date(1944, 3, 15))
        kwargs.setdefault(
            "widget",
            NhsDateInput(attrs={f"autocomplete-{part}": f"bday-{part}" for part in DATE_PARTS}),
        )
        super().__init__(**kwargs)


class PastDateField(NhsDateField):
    """A date that is today or earlier (a start, a dispensing): an example from the past."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("example", PAST_EXAMPLE)
        super().__init__(**kwargs)
