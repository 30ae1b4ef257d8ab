"""The dashboard's filters (a GET form, so a filtered dashboard is a shareable address):
networks, a period of whole months and a service. The same form scopes the drill-down lists
and the CSV exports, so a number and the people behind it are always counted alike."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.html import format_html

from networks.roles import Service

from .figures import Scope, parse_month

MAX_MONTHS = 36


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months, this one included."""
    today = today or timezone.localdate()
    last = today.replace(day=1)
    first = date(last.year - 1 + (last.month == 12), last.month % 12 + 1, 1)
    return first, last


def months_between(first: date, last: date) -> int:
    """How many months `first`..`last` covers, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def period_in_words(first: date, last: date) -> str:
    """ "December 2025 to November 2026" (or "November 2026" for one month)."""
    if first == last:
        return f"{first:%B %Y}"
    return f"{first:%B %Y} to {last:%B %Y}"


class MonthInput(forms.TextInput):
    input_type = "month"


class MonthField(forms.Field):
    """A month as YYYY-MM (what <input type="month"> sends; typed by hand where a browser
    shows a text box instead)."""

    widget = MonthInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "maxlength": "7", "placeholder": "YYYY-MM"}

    def to_python(self, value):
        text = str(value or "").strip()
        if not text:
            return None
        try:
            month = parse_month(text)
        except ValueError:
            raise forms.ValidationError(
                "Enter a month as year and month, for example 2026-04.", code="invalid"
            ) from None
        if not date(2000, 1, 1) <= month <= date(2060, 12, 1):
            raise forms.ValidationError("Enter a month between 2000 and 2060.", code="range")
        return month


class DashboardFilterForm(forms.Form):
    """Bound to request.GET. `networks` are (slug, name) of the networks the user reports
    on; the view has already refused slugs outside them."""

    service = forms.ChoiceField(
        label="Service",
        required=False,
        choices=[("", "All services")],
        help_text="Narrows the referral and triage tables.",
    )

    def __init__(
        self,
        data,
        *,
        networks: list[tuple[str, str]],
        services: dict[str, str] | None = None,
        today: date | None = None,
    ):
        self.default_first, self.default_last = default_period(today)
        data = data.copy()
        if not data.get("from") and not data.get("to"):
            # No period asked for: show the default one in the inputs.
            data["from"] = f"{self.default_first:%Y-%m}"
            data["to"] = f"{self.default_last:%Y-%m}"
        super().__init__(data)
        # The services of the networks reported on, as they call them ({code: label}).
        self.services = services if services is not None else dict(Service.choices)
        self.fields["service"].choices = [("", "All services"), *self.services.items()]
        self.network_choices = networks
        self.fields["network"] = forms.MultipleChoiceField(
            label="Networks",
            required=False,
            choices=networks,
            widget=forms.CheckboxSelectMultiple,
            help_text="None ticked: all of them.",
        )
        self.fields["from"] = MonthField(
            label="From",
            help_text=format_html(
                'Year and month, for example <span class="nowrap">{}</span>.',
                f"{self.default_first:%Y-%m}",
            ),
        )
        self.fields["to"] = MonthField(
            label="To",
            help_text=format_html(
                'Year and month, for example <span class="nowrap">{}</span>.',
                f"{self.default_last:%Y-%m}",
            ),
        )
        # Order on the page: networks, period, service.
        self.order_fields(["network", "from", "to", "service"])

    def clean(self):
        cleaned = super().clean()
        first = cleaned.get("from")
        last = cleaned.get("to")
        if "from" in self.errors or "to" in self.errors:
            return cleaned
        if first is None:  # only the last month given: the twelve months up to it
            first = date(last.year - 1 + (last.month == 12), last.month % 12 + 1, 1)
        if last is None:  # only the first month given: up to this month
            last = max(first, self.default_last)
        if first > last:
            self.add_error("to", "The last month cannot be before the first.")
        elif months_between(first, last) > MAX_MONTHS:
            self.add_error("to", f"Choose at most {MAX_MONTHS} months at a time.")
        else:
            cleaned["from"], cleaned["to"] = first, last
        return cleaned

    def scope(self, ids_by_slug: dict[str, int]) -> Scope:
        """The scope to report: the filters when valid, else the default period over every
        network the user reports on (the page says so beside the errors)."""
        if self.is_valid():
            data = self.cleaned_data
            slugs = data["network"] or list(ids_by_slug)
            return Scope(
                tuple(sorted(ids_by_slug[s] for s in slugs)),
                data["from"],
                data["to"],
                data["service"] or "",
            )
        return Scope(tuple(sorted(ids_by_slug.values())), self.default_first, self.default_last)
