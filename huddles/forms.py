"""Forms for the meeting pages. They check the shape of the input; huddles.services decides
(stale versions, closed meetings, the discharge rule) and its errors land on these forms."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.text import capfirst

from core.date_input import NhsDateField
from core.forms import LocalDateTimeField
from core.validators import single_line
from networks.roles import CASEWORK_ROLES, Role
from patients.selectors import patient_search

from .models import AgendaItem


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class MoveForm(forms.Form):
    # Never refused for the clock changes (01:30 on the last Sunday of October happens twice).
    starts_at = LocalDateTimeField(
        label="New date and time",
        widget=DateTimeLocalInput,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "required": "Give the new date and time.",
            "invalid": "Give a date and time.",
        },
    )


class ExtraMeetingForm(forms.Form):
    """An extra meeting: when, why, and who comes to it (ids of the network's people, from
    the urgent list the page offers)."""

    starts_at = LocalDateTimeField(
        label="Date and time",
        widget=DateTimeLocalInput,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": "Give the date and time.", "invalid": "Give a date and time."},
    )
    reason = forms.CharField(
        label="Why it is needed",
        max_length=300,
        error_messages={"required": "Say why the extra meeting is needed."},
    )
    patients = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, offered: list[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["patients"].choices = [(pk, pk) for pk in offered or []]


class CancelForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=300, required=False)


class GuestForm(forms.Form):
    """A guest at the meeting who is not a member of the network."""

    name = forms.CharField(
        label="Guest's name",
        max_length=120,
        validators=[single_line],
        error_messages={
            "required": "Give the guest's name.",
            "max_length": "Keep the name to %(limit_value)d characters.",
        },
    )
    role = forms.CharField(
        label="Role",
        help_text="For example, daughter or care home manager.",
        max_length=120,
        required=False,
        validators=[single_line],
        error_messages={"max_length": "Keep the role to %(limit_value)d characters."},
    )
    organisation = forms.CharField(
        label="Organisation",
        max_length=200,
        required=False,
        validators=[single_line],
        error_messages={"max_length": "Keep the organisation to %(limit_value)d characters."},
    )


MATCHES_SHOWN = 20


class AgendaAddForm(forms.Form):
    """Add a person by search rather than a list of everyone in the network (16,000 options
    at borough scale). `q` is a name or NHS number, searched among the network's people not
    on the agenda: one match is the person; several leave `matches` (up to MATCHES_SHOWN) to
    choose from, sent back as `patient`; none is an error. `patient` (an id) is also accepted
    on its own."""

    q = forms.CharField(
        label="Name or NHS number",
        max_length=100,
        error_messages={"required": "Give a name or NHS number to find the person."},
    )
    patient = forms.ModelChoiceField(
        label="Person",
        queryset=None,
        required=False,
        widget=forms.HiddenInput,  # rendered by the template as radios of `matches` only
        error_messages={
            "invalid_choice": "That person is not in this network or is already on the agenda."
        },
    )
    reason = forms.CharField(label="Why", max_length=300, required=False)

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients
        self.fields["q"].required = not (self.data.get("patient") or self.data.get("choosing"))
        self.matches: list = []
        self.more = False

    def clean(self):
        data = super().clean()
        if data.get("patient") is not None or "patient" in self.errors:
            return data
        q = (data.get("q") or "").strip()
        if not q:
            self.add_error("q", "Give a name or NHS number to find the person.")
            return data
        found = list(
            patient_search(self.fields["patient"].queryset, q)
            .only("pk", "network", "given_name", "family_name", "nhs_number", "date_of_birth")
            .order_by("family_name", "given_name", "pk")[: MATCHES_SHOWN + 1]
        )
        if not found:
            self.add_error(
                "q",
                f"No one in this network matches \u201c{q}\u201d, or they are already on the "
                "agenda. Check the spelling or the NHS number.",
            )
        elif len(found) == 1:
            data["patient"] = found[0]
        else:
            self.matches, self.more = found[:MATCHES_SHOWN], len(found) > MATCHES_SHOWN
            if self.data.get("choosing"):  # the choices were shown and none was chosen
                self.add_error("patient", "Choose one of the people, or search again.")
        return data


class NotesForm(forms.Form):
    notes = forms.CharField(label="Discussion notes", required=False, max_length=20000, strip=False)
    version = forms.IntegerField(min_value=1)
    base_version = forms.IntegerField(required=False, min_value=1)

    def edit_version(self) -> int:
        """The version the editor saw; "keep mine" after a conflict sends the current one."""
        return self.cleaned_data.get("base_version") or self.cleaned_data["version"]


def rebound(form_class, data, auto_id: str, **current):
    """After a stale edit: the editor's input again, with the current version(s) in it, so
    that a second press keeps theirs (the form is validated, for its errors)."""
    values = data.copy()
    for name, value in current.items():
        values[name] = str(value)
    form = form_class(values, auto_id=auto_id)
    form.is_valid()
    return form


class SocialNotesForm(forms.Form):
    social_notes = forms.CharField(
        label="Social notes",
        required=False,
        max_length=20000,
        strip=False,
        help_text="What matters to the person, their home, family and community support. "
        "Everyone who sees this person at the meeting reads them.",
    )
    social_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    notes = forms.CharField(label="Discussion notes", required=False, max_length=20000, strip=False)
    version = forms.IntegerField(min_value=1)
    decision = forms.ChoiceField(
        label="Decision",
        choices=AgendaItem.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose continue or discharge."},
    )
    next_review_on = NhsDateField(
        label="Next review",
        required=False,
        optional_marker=False,  # needed by some decisions: the hint says when
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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The design system's classes on the fields meeting mode draws with {{ field }}.
        self.fields["decision_reason"].widget.attrs["class"] = "nhsuk-input"
        self.fields["admission_avoided"].widget.attrs["class"] = "nhsuk-radios__input"
        review = self.fields["next_review_on"].widget
        if isinstance(review, forms.DateInput):  # not once it is the three-field date input
            review.attrs.setdefault("class", "nhsuk-input nhsuk-input--width-10")

    def focus_first_error(self) -> None:
        """After a refused decision, the first field to put right takes the focus (htmx
        focuses [autofocus] in what it swaps in)."""
        for name in ("next_review_on", "admission_avoided", "decision_reason"):
            if name in self.errors:
                self.fields[name].widget.attrs["autofocus"] = True
                return

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
    """One select for whom an action is for: the casework roles present in the network, then
    the named members who do casework (never a manager, IG lead or partner system)."""
    members = [m for m in members if m.role in CASEWORK_ROLES]
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
        validators=[single_line],
        error_messages={"required": "Say what needs doing."},
    )
    assignee = forms.ChoiceField(
        label="For", error_messages={"required": "Choose a role or a member."}
    )
    due_on = NhsDateField(
        label="Due",
        error_label="Due date",
        error_messages={
            "required": "Give the due date.",
        },
    )

    def __init__(self, *args, members, **kwargs):
        kwargs.setdefault("initial", {"due_on": timezone.localdate() + datetime.timedelta(days=7)})
        super().__init__(*args, **kwargs)
        self.members = {m.user_id: m for m in members if m.role in CASEWORK_ROLES}
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
