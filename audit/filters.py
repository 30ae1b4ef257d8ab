"""The access trail's filters, one FilterSet for the page, its CSV export and the API."""

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django_filters import rest_framework as filters

from core import nhs_number
from core.date_input import PastDateField

from .models import AccessEvent

EARLIEST = datetime.date(2000, 1, 1)
PERSON_HELP = "NHS number (10 digits, spaces allowed) or the person's id in ICN."


class DayFilter(filters.DateFilter):
    """A day typed into the NHS date input; the API's ?date_from=2026-03-15 still reads."""

    field_class = PastDateField


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class TrailFilterForm(forms.Form):
    def clean_person(self):
        value = "".join((self.cleaned_data.get("person") or "").split())
        if not value:
            return None
        if not value.isdigit() or len(value) > 10:
            raise forms.ValidationError(
                "Give an NHS number (10 digits) or a person's id (digits only)."
            )
        if len(value) == 10:
            if not nhs_number.is_valid(value):
                raise forms.ValidationError("That is not a valid NHS number.")
            return ("nhs_number", value)
        return ("id", int(value))

    def _plausible(self, name):
        day = self.cleaned_data.get(name)
        if day is not None and not (
            EARLIEST <= day <= timezone.localdate() + datetime.timedelta(days=1)
        ):
            raise forms.ValidationError(
                f"Give a date from {EARLIEST:%-d %B %Y} to tomorrow at the latest."
            )
        return day

    def clean_date_from(self):
        return self._plausible("date_from")

    def clean_date_to(self):
        return self._plausible("date_to")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date must not be before the start date.")
        return cleaned


class AccessEventFilter(filters.FilterSet):
    """Bound to the query string; an invalid value is a 400 naming the field."""

    person = filters.CharFilter(
        label="Person", method="filter_person", max_length=20, help_text=PERSON_HELP
    )
    user = filters.CharFilter(
        label="Member",
        field_name="username",
        max_length=150,
        help_text="The username of the member who looked.",
    )
    date_from = DayFilter(
        label="From",
        method="filter_date_from",
        help_text="From this day (London time; YYYY-MM-DD in the API).",
    )
    date_to = DayFilter(
        label="To",
        method="filter_date_to",
        help_text="To this day, inclusive (YYYY-MM-DD).",
    )
    refused = filters.BooleanFilter(
        label="Refused looks only",
        method="filter_refused",
        widget=forms.CheckboxInput,
        help_text="true: only looks that were refused (role may not, or not found).",
    )
    break_glass = filters.BooleanFilter(
        label="Break-glass only",
        method="filter_break_glass",
        widget=forms.CheckboxInput,
        help_text="true: only the times a member broke the glass.",
    )

    class Meta:
        model = AccessEvent
        fields = ["person", "user", "date_from", "date_to", "refused", "break_glass"]
        form = TrailFilterForm

    def filter_person(self, queryset, name, value):
        kind, key = value
        if kind == "nhs_number":
            return queryset.filter(patient__nhs_number=key)
        return queryset.filter(Q(patient_id=key) | Q(patient__isnull=True, patient_ref=str(key)))

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(at__gte=_start_of(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(at__lt=_start_of(value + datetime.timedelta(days=1)))

    def filter_refused(self, queryset, name, value):
        if value:
            return queryset.exclude(outcome=AccessEvent.Outcome.ALLOWED)
        return queryset

    def filter_break_glass(self, queryset, name, value):
        return queryset.filter(what="break_glass") if value else queryset
