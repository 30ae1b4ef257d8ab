from django import forms
from django.core.exceptions import ValidationError

from audit.models import BreakGlass
from core import nhs_number
from core.csv_upload import CsvProblems, read_text
from core.date_input import DateOfBirthField, PastDateField
from core.validators import single_line
from networks.models import Membership, Organisation

from .frailty import SCALE_UNKNOWN
from .models import FRAILTY_SCALE_NAMES, CareNeed, Consent, Goal, Patient
from .selectors import organisations_of_network
from .services import CLINICAL_FIELDS, EDITABLE_FIELDS, patients_csv_rows


class PatientForm(forms.ModelForm):
    care_needs = forms.MultipleChoiceField(
        label="Care-home needs",
        choices=CareNeed.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For care-home residents: decides whether technicians or pharmacists see them.",
    )
    nhs_number = forms.CharField(
        label="NHS number",
        max_length=14,
        help_text="10 digits, e.g. 943 476 5919",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    class Meta:
        model = Patient
        fields = list(EDITABLE_FIELDS)
        labels = {"gp_practice": "GP practice"}
        field_classes = {"date_of_birth": DateOfBirthField}
        widgets = {
            "social_needs": forms.Textarea(attrs={"rows": 3}),
            "what_matters": forms.Textarea(attrs={"rows": 3}),
            "caseload_reason": forms.Textarea(attrs={"rows": 3}),
            "clinical_notes": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, network, clinical_allowed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.network = network
        self.instance.network = network
        # Only the network's own practices and care homes (and the person's current ones).
        self.fields["gp_practice"].queryset = organisations_of_network(
            network, Organisation.Kind.GP_PRACTICE, self.instance.gp_practice_id
        )
        self.fields["care_home"].queryset = organisations_of_network(
            network, Organisation.Kind.CARE_HOME, self.instance.care_home_id
        )
        self.fields["key_worker"].queryset = Membership.objects.filter(
            network=network, is_active=True
        ).select_related("user", "network")
        self.fields["key_worker"].label_from_instance = lambda m: (
            f"{m.user.get_full_name() or m.user.username} ({m.role_label})"
        )
        if not clinical_allowed:
            for field in CLINICAL_FIELDS:
                del self.fields[field]
        if self.instance.pk:
            self.initial["nhs_number"] = nhs_number.display(self.instance.nhs_number)

    def clean_nhs_number(self):
        return nhs_number.validate(self.cleaned_data["nhs_number"])


class ConsentForm(forms.Form):
    consent_mdt = forms.ChoiceField(
        label="Consent to discussion at the MDT", choices=Consent.choices
    )
    consent_sharing = forms.ChoiceField(
        label="Consent to sharing information",
        choices=Consent.choices,
        help_text="With the voluntary sector (the PIC): a referral to the PIC needs it.",
    )
    consent_best_interest_by = forms.CharField(
        label="Best-interests decision taken by",
        max_length=200,
        required=False,
        validators=[single_line],
        help_text="If either is a best-interests decision: the name and role of who decided, "
        "e.g. Dr A Shah, GP.",
    )
    consent_best_interest_on = PastDateField(
        label="Best-interests decision taken on",
        required=False,
        help_text="Leave blank for today.",
    )


class CareTeamForm(forms.Form):
    membership = forms.ModelChoiceField(label="Member", queryset=Membership.objects.none())
    involvement = forms.CharField(
        max_length=200,
        required=False,
        label="What they do for this person",
        validators=[single_line],
    )

    def __init__(self, *args, network, clinical_allowed: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not clinical_allowed:
            # What a member does for the person is often clinical ("manages her warfarin"):
            # written and read by roles that see clinical detail only.
            del self.fields["involvement"]
        self.fields["membership"].queryset = Membership.objects.filter(
            network=network, is_active=True
        ).select_related("user", "network")
        self.fields["membership"].label_from_instance = lambda m: (
            f"{m.user.get_full_name() or m.user.username} ({m.role_label})"
        )


class GoalForm(forms.Form):
    """A goal agreed with the person ("what matters to me")."""

    description = forms.CharField(
        label="The goal, in the person's words",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: \u2018To walk to the shops on my own again.\u2019",
    )
    agreed_on = PastDateField(
        label="Agreed on",
        required=False,
        help_text="Leave blank for today.",
    )


class GoalOutcomeForm(forms.Form):
    """Whether a goal was met; `open` reopens it. The outcome comes from the button pressed."""

    outcome = forms.ChoiceField(label="Outcome", choices=Goal.Outcome.choices)
    on = PastDateField(
        label="Date of the outcome",
        required=False,
        help_text="Leave blank for today.",
    )
    note = forms.CharField(label="Note", max_length=500, required=False)


class FrailtyForm(forms.Form):
    """A scored frailty assessment: its scale, the score and when it was assessed."""

    scale = forms.ChoiceField(
        label="Scale",
        choices=[("", "Choose a scale"), *FRAILTY_SCALE_NAMES],
        error_messages={"required": SCALE_UNKNOWN, "invalid_choice": SCALE_UNKNOWN},
    )
    score = forms.DecimalField(
        label="Score",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="eFI: a decimal from 0 to 1, such as 0.19. CFS: a whole number from 1 to 9.",
        error_messages={"required": "Enter the score.", "invalid": "Enter the score as a number."},
    )
    assessed_on = PastDateField(
        label="Assessed on",
        error_messages={"required": "Enter the date of the assessment."},
    )


class PatientImportForm(forms.Form):
    """A CSV of people (a GP practice list or a case-finding export), as the API's import."""

    file = forms.FileField(
        label="CSV file",
        allow_empty_file=True,  # refused with its line by patients_csv_rows, as on the API
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose a CSV file to check."},
    )

    def clean_file(self):
        """The same reading, limits and messages as the API's import; keeps the text, which
        the confirmation carries."""
        upload = self.cleaned_data["file"]
        try:
            self.text = read_text(upload)
            self.rows = patients_csv_rows(self.text)
        except CsvProblems as exc:
            raise ValidationError(exc.messages) from None
        return upload


class BreakGlassForm(forms.Form):
    """Why a member not involved in the person's care must read their clinical detail now."""

    reason_code = forms.ChoiceField(
        label="Why do you need to break the glass?",
        choices=BreakGlass.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you need to break the glass."},
    )
    reason = forms.CharField(
        label="Say why you need this person's record now",
        help_text="The information governance lead reads this.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why you need to see this person's record now."},
    )
