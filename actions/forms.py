"""Forms for My work. They check the shape of the input; `networks.services.cover_set`
decides (who may deputise, dates, overlaps) and its errors land on these forms' fields."""

from django import forms

from core.forms import DateInput
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
    starts_on = forms.DateField(
        label="First day away",
        widget=DateInput(),
        error_messages={"required": "Give the first day away.", "invalid": "Give a real date."},
    )
    ends_on = forms.DateField(
        label="Last day away",
        widget=DateInput(),
        error_messages={"required": "Give the last day away.", "invalid": "Give a real date."},
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
