"""Forms for My work. They check the shape of the input; `networks.services.cover_set`
decides (who may deputise, dates, overlaps) and its errors land on these forms' fields."""

from django import forms
from django.utils import timezone

from core.date_input import NhsDateField
from core.validators import single_line


class CoverForm(forms.Form):
    """Away with a deputy. `members` are the network's active members who do casework; the
    "who is away" choice is there only for those who may set cover for others (the chair,
    integrated managers); everyone else sets their own."""

    member = forms.TypedChoiceField(
        label="Who is away",
        coerce=int,
        error_messages={"required": "Choose who is away."},
    )
    starts_on = NhsDateField(
        label="First day away",
        error_messages={
            "required": "Give the first day away.",
        },
    )
    ends_on = NhsDateField(
        label="Last day away",
        error_messages={
            "required": "Give the last day away.",
        },
    )
    deputy = forms.TypedChoiceField(
        label="Who covers",
        coerce=int,
        help_text="Their named tasks and notifications reach this colleague on those days.",
        error_messages={"required": "Choose who covers."},
    )
    note = forms.CharField(
        label="Note for the deputy",
        max_length=200,
        required=False,
        validators=[single_line],
        help_text="For example \u2018annual leave\u2019. Do not give health details.",
        error_messages={"max_length": "Keep the note to 200 characters."},
    )

    def __init__(self, *args, members, me, choose_member: bool, network, **kwargs):
        kwargs.setdefault("auto_id", "cover-%s")
        super().__init__(*args, **kwargs)
        self.me = me
        self.users = {m.user_id: m.user for m in members}

        def label(m) -> str:
            name = m.user.get_full_name() or m.user.get_username()
            you = " (you)" if m.user_id == me.pk else ""
            return f"{name}{you}, {network.role_label(m.role)}"

        ordered = sorted(members, key=lambda m: (label(m).lower(), m.user_id))
        if choose_member:
            self.fields["member"].choices = [(m.user_id, label(m)) for m in ordered]
            self.fields["member"].initial = me.pk
        else:
            del self.fields["member"]
        self.fields["deputy"].choices = [("", "Choose a colleague")] + [
            (m.user_id, label(m)) for m in ordered if choose_member or m.user_id != me.pk
        ]

    def away(self):
        """The member away: the one chosen, or the user."""
        if "member" in self.fields:
            return self.users[self.cleaned_data["member"]]
        return self.me

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:  # said now, with any other error
            self.add_error("ends_on", "The last day away cannot be before the first.")
        return data

    def deputy_user(self):
        return self.users[self.cleaned_data["deputy"]]


class TaskForm(forms.Form):
    """Add or edit a task: what, when, and for whom (a member who does casework in the
    network, or a role's queue). `actions.services` decides; its errors land here."""

    nhs_number = forms.CharField(
        label="NHS number of the person",
        max_length=14,
        help_text="The person this task is about, on your caseload in this network.",
        error_messages={"required": "Give the person\u2019s NHS number."},
    )
    title = forms.CharField(
        label="Task",
        max_length=200,
        validators=[single_line],
        help_text="What needs doing, for example \u2018Check blood pressure next week\u2019.",
        error_messages={
            "required": "Say what needs doing.",
            "max_length": "Keep the task to 200 characters.",
        },
    )
    due_on = NhsDateField(
        label="Due",
        error_label="Due date",
        error_messages={
            "required": "Give the due date.",
        },
    )
    owner = forms.ChoiceField(
        label="For",
        help_text="A named colleague, or a role\u2019s queue that anyone in the role can claim.",
        error_messages={"required": "Choose who the task is for."},
    )
    details = forms.CharField(
        label="Details",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Keep the details to 4000 characters."},
    )

    def __init__(self, *args, members, network, roles, ask_person: bool, **kwargs):
        kwargs.setdefault("auto_id", "task-%s")
        super().__init__(*args, **kwargs)
        if not ask_person:
            del self.fields["nhs_number"]
        self.users = {m.user_id: m.user for m in members}
        queues = sorted((network.role_label(r), r) for r in roles)
        people = sorted(
            (
                f"{m.user.get_full_name() or m.user.get_username()}, {network.role_label(m.role)}",
                m.user_id,
            )
            for m in members
        )
        self.fields["owner"].choices = [
            ("", "Choose who it is for"),
            ("Colleagues", [(f"user:{pk}", label) for label, pk in people]),
            ("Role queues", [(f"role:{code}", f"{label} queue") for label, code in queues]),
        ]

    @staticmethod
    def owner_value(task) -> str:
        return f"role:{task.assignee_role}" if task.assignee_role else f"user:{task.assignee_id}"

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise forms.ValidationError("The due date cannot be in the past.")
        return due_on

    def owner_kwargs(self) -> dict:
        """{"assignee": user} or {"assignee_role": code}, for the services."""
        kind, _, value = self.cleaned_data["owner"].partition(":")
        if kind == "role":
            return {"assignee_role": value}
        return {"assignee": self.users[int(value)]}


class DoneForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. For the record and the care team.",
        error_messages={"max_length": "Keep the note to 2000 characters."},
    )
