"""Forms for the meeting pages. They check the shape of the input; huddles.services decides
(stale versions, closed meetings, the discharge rule) and its errors land on these forms."""

import datetime

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from icn.core.forms import DateInput
from networks.roles import Role

from .models import AgendaItem


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class MoveForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="New date and time",
        widget=DateTimeLocalInput,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "required": "Give the new date and time.",
            "invalid": "Give a date and time.",
        },
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=300, required=False)


class PersonSelect(forms.Select):
    """The add form's <select> of everyone in the network not yet on the agenda: thousands of
    people at scale. Its options are written in one pass over (id, name, NHS number) rows, not
    through a model instance and a template per option (16,000 of them took 6 s); the HTML is
    what forms.Select writes."""

    def render(self, name, value, attrs=None, renderer=None):
        from patients.nhs_number import display

        field = self.choices.field
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = "" if value in (None, "") else str(value)
        rows = field.queryset.values_list("pk", "given_name", "family_name", "nhs_number")
        parts = [format_html("<select{}>", flatatt(final))]
        if field.empty_label is not None:
            parts.append(
                format_html(
                    '<option value=""{}>{}</option>', " selected" if not chosen else "",
                    field.empty_label,
                )
            )  # fmt: skip
        parts.extend(
            f'<option value="{pk}"{" selected" if str(pk) == chosen else ""}>'
            f"{escape(given)} {escape(family)} ({escape(display(nhs))})</option>"
            for pk, given, family, nhs in rows  # pk: an integer
        )
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value escaped)


class AgendaAddForm(forms.Form):
    patient = forms.ModelChoiceField(
        label="Person",
        queryset=None,
        empty_label="Choose a person",
        error_messages={"required": "Choose the person to add."},
        widget=PersonSelect,
    )
    reason = forms.CharField(label="Why", max_length=300, required=False)

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients
        self.fields["patient"].label_from_instance = lambda p: (
            f"{p.full_name} ({p.nhs_number_display})"
        )


class NotesForm(forms.Form):
    notes = forms.CharField(label="Discussion notes", required=False, max_length=20000, strip=False)
    version = forms.IntegerField(min_value=1)
    base_version = forms.IntegerField(required=False, min_value=1)

    def edit_version(self) -> int:
        """The version the editor saw; "keep mine" after a conflict sends the current one."""
        return self.cleaned_data.get("base_version") or self.cleaned_data["version"]


class DecisionForm(forms.Form):
    notes = forms.CharField(label="Discussion notes", required=False, max_length=20000, strip=False)
    version = forms.IntegerField(min_value=1)
    decision = forms.ChoiceField(
        label="Decision",
        choices=AgendaItem.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose continue or discharge."},
    )
    next_review_on = forms.DateField(
        label="Next review",
        required=False,
        widget=DateInput,
        help_text="Needed to continue: when the team next discusses them.",
    )
    admission_avoided = forms.ChoiceField(
        label="Do we think we have avoided an admission?",
        choices=AgendaItem.AdmissionAvoided.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    decision_reason = forms.CharField(
        label="Reason for discharge",
        required=False,
        max_length=500,
        help_text="Needed to discharge, in a sentence.",
    )

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision == AgendaItem.Decision.CONTINUE and not data.get("next_review_on"):
            self.add_error("next_review_on", "Give the date of the next review to continue.")
        if decision == AgendaItem.Decision.DISCHARGE:
            if not data.get("admission_avoided"):
                self.add_error(
                    "admission_avoided",
                    "Answer yes, no or unsure: do we think we have avoided an admission?",
                )
            if not (data.get("decision_reason") or "").strip():
                self.add_error("decision_reason", "Give a short reason for the discharge.")
        return data


def assignee_choices(members) -> list:
    """One select for whom an action is for: the roles present in the network, then the
    named members."""
    roles = []
    seen = set()
    for membership in members:
        if membership.role not in seen and membership.role in Role.values:
            seen.add(membership.role)
            roles.append((f"role:{membership.role}", capfirst(membership.role_label)))
    people = [
        (
            f"member:{m.user_id}",
            f"{m.user.get_full_name() or m.user.get_username()}, {m.role_label}",
        )
        for m in members
    ]
    return [("", "Choose a role or a member"), ("A role", roles), ("A named member", people)]


class ActionForm(forms.Form):
    title = forms.CharField(
        label="Action",
        max_length=200,
        error_messages={"required": "Say what needs doing."},
    )
    assignee = forms.ChoiceField(
        label="For", error_messages={"required": "Choose a role or a member."}
    )
    due_on = forms.DateField(
        label="Due",
        widget=DateInput,
        error_messages={"required": "Give the due date.", "invalid": "Give a date."},
    )

    def __init__(self, *args, members, **kwargs):
        kwargs.setdefault("initial", {"due_on": timezone.localdate() + datetime.timedelta(days=7)})
        super().__init__(*args, **kwargs)
        self.members = {m.user_id: m for m in members}
        self.fields["assignee"].choices = assignee_choices(members)

    def clean_due_on(self):
        due = self.cleaned_data["due_on"]
        if due < timezone.localdate():
            raise forms.ValidationError("The due date cannot be in the past.")
        return due

    def assignment(self) -> dict:
        kind, _, value = self.cleaned_data["assignee"].partition(":")
        if kind == "role":
            return {"assignee_role": value}
        return {"assignee": self.members[int(value)].user}
