"""Forms for the referral pages. They check the shape of the input; the services decide
(unknown or inactive service, duplicates, wrong state) and their errors land on these
forms' fields."""

from itertools import groupby

from django import forms

from networks.roles import CASEWORK_ROLES, Role

from .models import OUTCOME_MAX_LENGTH, SERVICE_CODE, RedFlag, Referral, Urgency
from .selectors import active_red_flags, service_directory


def flag_choices(flags: list[RedFlag]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Red flags grouped by category, as <optgroup>s."""
    return [
        (RedFlag.Category(category).label, [(f.code, f.label) for f in group])
        for category, group in groupby(flags, key=lambda f: f.category)
    ]


class RedFlagPicker(forms.Form):
    """The red-flag picker, for any form that lets people tick the red flags they noticed
    (a referral, a visit): the field, the active flags grouped by category with the service
    each goes to (templates/referrals/red_flag_picker.html), and the flags ticked."""

    red_flags = forms.MultipleChoiceField(
        label="Red flags noticed",
        required=False,
        help_text="Each one is recorded on the person and reaches the service that owns it.",
    )

    def offer_red_flags(self, network) -> None:
        """Offer the active red flags, each labelled with the service it goes to in `network`."""
        self.flags = list(active_red_flags())
        self.fields["red_flags"].choices = [(f.code, f.label) for f in self.flags]
        labels = {code: info.label for code, info in service_directory(network).items()}
        for flag in self.flags:
            flag.routes_to_label = labels.get(flag.routes_to, flag.routes_to)

    def flag_groups(self):
        """[(category label, [(flag, checked)])] for the grouped check boxes."""
        if self.is_bound:
            ticked = set(self.data.getlist("red_flags"))
        else:
            ticked = set(self.initial.get("red_flags", []))
        return [
            (RedFlag.Category(category).label, [(f, f.code in ticked) for f in group])
            for category, group in groupby(self.flags, key=lambda f: f.category)
        ]

    def clean_red_flags(self) -> list[RedFlag]:
        by_code = {f.code: f for f in self.flags}
        return [by_code[code] for code in self.cleaned_data["red_flags"]]


class ReferralForm(RedFlagPicker):
    service = forms.ChoiceField(
        label="Service",
        error_messages={"required": "Choose the service you are referring to."},
    )
    reason = forms.CharField(
        label="Reason for referral",
        max_length=4000,
        help_text="What you noticed, what you would like the service to do, anything urgent.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Say why you are referring."},
    )
    urgency = forms.ChoiceField(
        label="Urgency",
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose routine or urgent."},
    )
    field_order = ["service", "reason", "urgency", "red_flags"]

    def __init__(self, *args, network, **kwargs):
        super().__init__(*args, **kwargs)
        directory = service_directory(network)
        self.services = [info for info in directory.values() if info.active]
        self.fields["service"].choices = [("", "Choose a service")] + [
            (info.code, info.label) for info in self.services
        ]
        self.offer_red_flags(network)

    def selected_service(self):
        """The ServiceInfo chosen (bound or initial), for the criteria region."""
        code = self.data.get("service") if self.is_bound else self.initial.get("service")
        return next((info for info in self.services if info.code == code), None)


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason"), *Referral.DeclineReason.choices],
        error_messages={"required": "Choose why you are declining."},
    )
    note = forms.CharField(
        label="Note to the referrer",
        required=False,
        max_length=2000,
        help_text="Needed when the reason is “Other”.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FlagRaiseForm(forms.Form):
    flag = forms.ChoiceField(
        label="Red flag",
        error_messages={"required": "Choose the red flag you noticed."},
    )
    note = forms.CharField(
        label="What you noticed",
        required=False,
        max_length=500,
        widget=forms.TextInput,
    )

    def __init__(self, *args, flags: list[RedFlag], **kwargs):
        super().__init__(*args, **kwargs)
        self.flags = {f.code: f for f in flags}
        self.fields["flag"].choices = [("", "Choose a red flag"), *flag_choices(flags)]

    def clean_flag(self) -> RedFlag:
        return self.flags[self.cleaned_data["flag"]]


class FlagResolveForm(forms.Form):
    resolution = forms.CharField(
        label="How it was resolved",
        required=False,
        max_length=500,
        widget=forms.TextInput,
    )


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        label="Outcome: what was done",
        max_length=OUTCOME_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The referrer is told this.",
        error_messages={"required": "Say what was done: the outcome."},
    )


class AddReasonForm(forms.Form):
    reason = forms.CharField(
        label="What to add",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what to add to the referral."},
    )


class ServiceForm(forms.Form):
    """A service of the network (the services page): its code only when adding it."""

    code = forms.CharField(
        label="Code",
        max_length=30,
        validators=[SERVICE_CODE],
        help_text="Lower-case letters, digits and underscores, for example "
        "mental_health_pharmacy. Partner systems refer with it; it cannot be changed later.",
        error_messages={"required": "Give the service a code."},
    )
    label = forms.CharField(
        label="Name",
        max_length=80,
        help_text="As the referral form, the inbox and the reports show it.",
        error_messages={"required": "Give the service a name."},
    )
    accepts = forms.CharField(
        label="What this service accepts",
        required=False,
        max_length=2000,
        help_text="Shown on the referral form so that inappropriate referrals are avoided.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    serving_roles = forms.MultipleChoiceField(
        label="Roles that triage it",
        widget=forms.CheckboxSelectMultiple,
        help_text="Their members see its referrals in their inbox; the chair always may.",
        error_messages={"required": "Choose at least one role to triage this service."},
    )
    active = forms.BooleanField(
        label="Takes new referrals",
        required=False,
        help_text="Untick to stop new referrals; open ones carry on. Red flags that go to a "
        "built-in service that is switched off go to the MDT.",
    )

    def __init__(self, *args, network, adding: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["serving_roles"].choices = [
            (role.value, network.role_label(role.value))
            for role in Role
            if role.value in CASEWORK_ROLES
        ]
        if not adding:
            del self.fields["code"]
