"""The NHS date input (core/date_input.py): three boxes read into a date with the design
system's error messages, the single ISO value still read, and no browser date picker left on
any form of the project."""

import datetime
import importlib
import inspect
from pathlib import Path

import pytest
from django import forms
from django.utils import timezone

from core.date_input import NhsDateField, NhsDateTimeField


class DueForm(forms.Form):
    due = NhsDateField(label="Due date")
    review = NhsDateField(label="Review", required=False)
    visited = NhsDateTimeField(label="When", error_label="Date of the visit", required=False)


def boxes(day="", month="", year="", name="due"):
    return {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}


def errors_of(data, field="due"):
    form = DueForm(data)
    assert not form.is_valid()
    return form.errors[field]


def test_three_boxes_make_a_date():
    form = DueForm(boxes("5", "03", "2027"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["due"] == datetime.date(2027, 3, 5)
    assert form.cleaned_data["review"] is None


def test_a_month_by_name_is_read():
    form = DueForm(boxes("5", "Mar", "2027"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["due"] == datetime.date(2027, 3, 5)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("", "3", "2027", "Due date must include a day"),
        ("15", "", "2027", "Due date must include a month"),
        ("15", "3", "", "Due date must include a year"),
        ("", "", "2027", "Due date must include a day and month"),
        ("31", "2", "2027", "Due date must be a real date"),
        ("29", "2", "2027", "Due date must be a real date"),
        ("15", "13", "2027", "Due date must be a real date"),
        ("0", "3", "2027", "Due date must be a real date"),
        ("x", "3", "2027", "Due date must be a real date"),
        ("15", "3", "27", "Year must include 4 numbers"),
        ("15", "3", "20277", "Year must include 4 numbers"),
    ],
)
def test_each_problem_has_the_design_systems_message(day, month, year, message):
    assert errors_of(boxes(day, month, year)) == [message]


def test_a_leap_day_is_real():
    form = DueForm(boxes("29", "2", "2028"))
    assert form.is_valid(), form.errors


def test_required_and_optional():
    assert errors_of({}) == ["Enter due date"]
    assert errors_of(boxes()) == ["Enter due date"]
    form = DueForm({**boxes("1", "1", "2027"), **boxes(name="review")})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["review"] is None


def test_a_required_message_of_the_forms_own_is_kept():
    class Form(forms.Form):
        on = NhsDateField(label="On", error_messages={"required": "Give the date."})

    form = Form({})
    assert not form.is_valid()
    assert form.errors["on"] == ["Give the date."]


def test_the_single_iso_value_is_still_read():
    form = DueForm({"due": "2027-03-15"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["due"] == datetime.date(2027, 3, 15)
    assert errors_of({"due": "2027-02-31"}) == ["Due date must be a real date"]
    assert errors_of({"due": "soon"}) == ["Due date must be a real date"]
    assert errors_of({"due": ""}) == ["Enter due date"]


def test_the_boxes_win_over_a_single_value():
    form = DueForm({"due": "2027-03-15", **boxes("16", "3", "2027")})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["due"] == datetime.date(2027, 3, 16)


def test_a_date_and_time():
    data = {**boxes("1", "2", "2026"), **boxes("4", "3", "2026", name="visited")}
    data["visited-time"] = "9.05"
    form = DueForm(data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["visited"] == timezone.make_aware(datetime.datetime(2026, 3, 4, 9, 5))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-04T09:05", datetime.datetime(2026, 3, 4, 9, 5)),
        ("2026-03-04 09:05:30", datetime.datetime(2026, 3, 4, 9, 5)),
        ("2026-07-04T08:05:00+00:00", datetime.datetime(2026, 7, 4, 9, 5)),  # BST
    ],
)
def test_a_date_and_time_as_one_iso_value(value, expected):
    form = DueForm({**boxes("1", "2", "2026"), "visited": value})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["visited"] == timezone.make_aware(expected)


@pytest.mark.parametrize(
    ("time", "message"),
    [
        ("", "Date of the visit must include a time"),
        ("25:00", "Date of the visit must include a real time, like 14:30"),
        ("noon", "Date of the visit must include a real time, like 14:30"),
    ],
)
def test_a_time_that_is_missing_or_wrong(time, message):
    data = {**boxes("1", "2", "2026"), **boxes("4", "3", "2026", name="visited")}
    data["visited-time"] = time
    assert errors_of(data, "visited") == [message]


def test_it_renders_the_design_systems_date_input():
    html = str(DueForm()["due"])
    assert 'role="group"' in html and "<legend" in html and "Due date" in html
    assert "For example, 15 3 2027" in html
    for part in ("day", "month", "year"):
        assert f'name="due-{part}"' in html and f'id="id_due-{part}"' in html
    assert html.count('inputmode="numeric"') == 3
    assert 'type="date"' not in html
    assert "(optional)" in str(DueForm()["review"])


def test_an_error_outlines_only_the_box_at_fault_and_is_in_the_fieldset():
    form = DueForm(boxes("15", "", "2027"))
    form.is_valid()
    bound = form["due"]
    html = str(bound)
    assert 'id="id_due_error"' in html and "Due date must include a month" in html
    assert 'aria-describedby="id_due_hint id_due_error"' in html
    month = html.split('id="id_due-month"')[0].rsplit("<input", 1)[1]
    day = html.split('id="id_due-day"')[0].rsplit("<input", 1)[1]
    assert "error" in month and "error" not in day
    assert 'value="15"' in html and 'value="2027"' in html  # what was typed is kept
    assert bound.id_for_label == "id_due-month"  # the error summary links to the box at fault


def test_an_error_of_the_forms_own_outlines_every_box():
    class Form(forms.Form):
        on = NhsDateField(label="On")

        def clean_on(self):
            raise forms.ValidationError("On cannot be in the past.")

    form = Form(boxes("1", "1", "2020", name="on"))
    form.is_valid()
    html = str(form["on"])
    assert html.count('aria-invalid="true"') == 3


def _project_forms():
    root = Path(__file__).resolve().parents[2]
    for path in root.glob("*/*forms.py"):
        if path.parts[-2] in ("tests", ".venv"):
            continue
        module = importlib.import_module(f"{path.parts[-2]}.{path.stem}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_no_form_of_the_project_offers_the_browsers_date_picker():
    """Every date a person types goes in the NHS date input: no DateField left with a
    type="date" input, in any app's forms or the access trail's filters."""
    from audit.filters import AccessEventFilter

    checked = 0
    for cls in [*_project_forms(), AccessEventFilter().form.__class__]:
        for name, field in cls.base_fields.items():
            input_type = getattr(field.widget, "input_type", None)
            assert input_type != "date", f"{cls.__module__}.{cls.__name__}.{name}: type=date"
            if isinstance(field, forms.DateField):
                pytest.fail(f"{cls.__module__}.{cls.__name__}.{name} is a plain DateField")
            checked += isinstance(field, NhsDateField)
    assert checked >= 15
