"""Forms for the visit, medication-list, review and dispensing pages. They check the shape
of the input (and the plausible ranges, so a mistyped reading is refused before anything is
saved); the services decide the rest, and their errors land on these forms' fields."""

import re
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.date_input import PAST_EXAMPLE, NhsDateField, NhsDateTimeField, PastDateField
from core.validators import single_line
from networks.models import Membership
from networks.roles import Role
from networks.selectors import members_of
from patients.restricted import RestrictForm
from referrals.forms import RedFlagPicker

from .dmd_codes import dmd_code_problem
from .gp_import import HELP as GP_LIST_HELP
from .gp_import import MAX_BYTES as GP_LIST_MAX_BYTES
from .models import (
    Frequency,
    Intervention,
    Medication,
    MedicationImportLine,
    MedicationReview,
    Visit,
)
from .news2 import News2
from .services import OBSERVATIONS, SUPPLY_CSV_HELP, read_supplies_csv

INTERVENTION_ROWS = 1  # rows shown at first; "Add another" adds one at a time
MAX_INTERVENTION_ROWS = 20
ROWS_FIELD = "iv-TOTAL_FORMS"


def _number(*, label, low, high, unit, what, decimal=False):
    """A reading with its unit in the label, its plausible range as min/max and in the hint,
    and a clear error when it is outside that range."""
    out_of_range = f"{what} must be between {low} and {high}{unit_suffix(unit)}: check the reading."
    out_of_range = out_of_range.replace("%", "%%")  # Django formats it with the limit
    options = {
        "label": label,
        "required": False,
        "min_value": low,
        "max_value": high,
        "help_text": f"{low} to {high}{unit_suffix(unit)}",
        "error_messages": {
            "min_value": out_of_range,
            "max_value": out_of_range,
            "invalid": f"Enter the {what.lower()} as a number.",
        },
    }
    if decimal:
        options["error_messages"]["max_decimal_places"] = "Give at most one decimal place."
        return forms.DecimalField(
            decimal_places=1,
            widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
            **options,
        )
    return forms.IntegerField(widget=forms.NumberInput(attrs={"inputmode": "numeric"}), **options)


def nhs_classes(form: forms.Form) -> None:
    """The design system's classes on the form's inputs, and its error style on those with an
    error (call again after validation). Radios and check boxes are drawn by the templates."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.Textarea):
            base = "nhsuk-textarea"
        elif isinstance(widget, forms.Select) and not isinstance(widget, forms.RadioSelect):
            base = "nhsuk-select"
        elif isinstance(widget, forms.CheckboxInput):
            base = "nhsuk-checkboxes__input"
        elif isinstance(widget, (forms.TextInput, forms.NumberInput)):
            base = "nhsuk-input"
        else:
            continue
        error = form.is_bound and form._errors is not None and name in form._errors
        suffix = {"nhsuk-textarea": "--error", "nhsuk-select": "--error", "nhsuk-input": "--error"}
        classes = [base] + ([base + suffix[base]] if error and base in suffix else [])
        widget.attrs["class"] = " ".join(classes)


def unit_suffix(unit: str) -> str:
    return unit if unit in ("%", "") else f" {unit}"


NEWS2_PARAMETER_NAMES = {
    "respiratory_rate": "breathing rate",
    "spo2": "oxygen saturation",
    "systolic_bp": "systolic blood pressure",
    "pulse": "pulse",
    "consciousness": "consciousness",
    "temperature_c": "temperature",
}


class ObservationsForm(forms.Form):
    """The observations of a visit; also bound alone by the live NEWS2 preview."""

    systolic_bp = _number(
        label="Systolic (mmHg)", low=50, high=300, unit="mmHg", what="Systolic blood pressure"
    )
    diastolic_bp = _number(
        label="Diastolic (mmHg)", low=20, high=200, unit="mmHg", what="Diastolic blood pressure"
    )
    pulse = _number(label="Pulse (beats/min)", low=20, high=250, unit="beats/min", what="Pulse")
    respiratory_rate = _number(
        label="Breathing rate (breaths/min)",
        low=4,
        high=70,
        unit="breaths/min",
        what="Breathing rate",
    )
    temperature_c = _number(
        label="Temperature (°C)", low=25, high=45, unit="°C", what="Temperature", decimal=True
    )
    spo2 = _number(
        label="Oxygen saturation, SpO₂ (%)", low=50, high=100, unit="%", what="Oxygen saturation"
    )
    on_oxygen = forms.BooleanField(label="On supplemental oxygen", required=False)
    spo2_scale = forms.TypedChoiceField(
        label="SpO₂ scale",
        choices=[(1, "Scale 1"), (2, "Scale 2 (hypercapnic)")],
        coerce=int,
        initial=1,
        required=False,
        empty_value=1,
        help_text="Scale 2: hypercapnic respiratory failure, on a clinician's decision.",
    )
    consciousness = forms.ChoiceField(
        label="Consciousness (ACVPU)",
        choices=[("", "Not assessed"), *Visit.Consciousness.choices],
        required=False,
    )

    def clean(self):
        data = super().clean()
        systolic, diastolic = data.get("systolic_bp"), data.get("diastolic_bp")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            self.add_error(
                "diastolic_bp", "The diastolic pressure must be lower than the systolic."
            )
        return data

    def observations(self) -> dict:
        data = self.cleaned_data
        values = {name: data.get(name) for name in OBSERVATIONS}
        values["on_oxygen"] = bool(values["on_oxygen"])
        values["spo2_scale"] = values["spo2_scale"] or 1
        values["consciousness"] = values["consciousness"] or ""
        return values

    def news2(self) -> tuple[News2 | None, list[str]]:
        """The score from the readings that are valid, and the names of those that are not
        (an unbound or empty form scores None)."""
        if not self.is_bound:
            return None, []
        self.is_valid()
        bad = [name for name in NEWS2_PARAMETER_NAMES if name in self.errors]
        result = Visit(**self.observations()).news2()
        return (result if result.measured else None), [NEWS2_PARAMETER_NAMES[n] for n in bad]


def news2_missing(result: News2) -> list[str]:
    return [NEWS2_PARAMETER_NAMES[name] for name in result.missing]


class RiskForm(forms.Form):
    """The pre-visit risk assessment; also bound alone by the live recommendation."""

    infection_risk = forms.BooleanField(
        label="Infection risk to or from the person", required=False
    )
    lone_working_risk = forms.BooleanField(
        label="Risk to a lone worker at the address", required=False
    )
    preference = forms.ChoiceField(
        label="The person's preference",
        choices=Visit.Preference.choices,
        initial=Visit.Preference.NONE,
        required=False,
        widget=forms.RadioSelect,
    )

    def risk(self) -> dict:
        data = self.cleaned_data
        return {
            "infection_risk": bool(data.get("infection_risk")),
            "lone_working_risk": bool(data.get("lone_working_risk")),
            "preference": data.get("preference") or Visit.Preference.NONE,
        }

    def recommendation(self) -> str:
        """What the risk assessment advises (the model's own rule)."""
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        else:
            data = {}
        visit = Visit(
            infection_risk=bool(data.get("infection_risk")),
            lone_working_risk=bool(data.get("lone_working_risk")),
            preference=data.get("preference") or Visit.Preference.NONE,
        )
        return visit.recommended_kind


class VisitForm(ObservationsForm, RiskForm, RedFlagPicker, RestrictForm):
    kind = forms.ChoiceField(
        label="Kind of visit",
        choices=Visit.Kind.choices,
        initial=Visit.Kind.HOME,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose home visit, phone or video."},
    )
    visited_at = NhsDateTimeField(
        label="When",
        error_label="Date of the visit",
        example=PAST_EXAMPLE,
        error_messages={"required": "Give the date and time of the visit."},
    )
    joint_visitor = forms.ChoiceField(label="Joint visitor", required=False)
    summary = forms.CharField(
        label="Summary",
        required=False,
        max_length=10000,
        help_text="What you found, what was agreed, anything the team should know.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    follow_up_on = NhsDateField(
        label="Follow-up date",
        required=False,
        help_text="Creates a follow-up task for you, due that day.",
    )
    field_order = [
        "kind",
        "visited_at",
        "joint_visitor",
        "infection_risk",
        "lone_working_risk",
        "preference",
        *OBSERVATIONS,
        "summary",
        "red_flags",
        "follow_up_on",
        "restricted",
        "restricted_reason",
    ]

    def __init__(self, *args, patient, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["visited_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        members = [
            m
            for m in members_of(patient.network_id)
            if m.user_id != user.pk and m.role != Role.PARTNER_SYSTEM
        ]
        self.joint_visitors = {str(m.user_id): m.user for m in members}
        self.fields["joint_visitor"].choices = [("", "No joint visitor")] + [
            (str(m.user_id), _member_label(m)) for m in members
        ]
        self.offer_red_flags(patient.network)
        nhs_classes(self)

    def observation_fields(self):
        return [self[name] for name in ("systolic_bp", "diastolic_bp", "pulse", "respiratory_rate")]

    def clean_visited_at(self):
        value = self.cleaned_data["visited_at"]
        if value > timezone.now() + timedelta(minutes=5):
            raise ValidationError("A visit cannot be logged for the future.")
        return value

    def clean_follow_up_on(self):
        value = self.cleaned_data["follow_up_on"]
        if value is not None and value < timezone.localdate():
            raise ValidationError("The follow-up date cannot be in the past.")
        return value

    def clean_joint_visitor(self):
        value = self.cleaned_data["joint_visitor"]
        return self.joint_visitors.get(value) if value else None


def _member_label(membership: Membership) -> str:
    name = membership.user.get_full_name() or membership.user.get_username()
    return f"{name}, {membership.role_label}"


class InterventionForm(forms.Form):
    """One row of "changes to medicines"; a row left blank is ignored."""

    kind = forms.ChoiceField(
        label="What was done",
        required=False,
        choices=[("", "Nothing (leave blank)"), *Intervention.Kind.choices],
    )
    medicine = forms.CharField(
        label="Medicine",
        required=False,
        max_length=200,
        validators=[single_line],
        widget=forms.TextInput(attrs={"list": "active-medicines", "autocomplete": "off"}),
    )
    dose_amount = forms.DecimalField(
        label="Dose amount",
        required=False,
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    dose_unit = forms.CharField(
        label="Unit",
        required=False,
        max_length=20,
        validators=[single_line],
        widget=forms.TextInput(attrs={"placeholder": "tablet"}),
    )
    frequency = forms.ChoiceField(
        label="How often", required=False, choices=[("", "Choose"), *Frequency.choices]
    )
    note = forms.CharField(label="Note", required=False, max_length=1000)

    def __init__(self, *args, active_names: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.active_names = active_names
        nhs_classes(self)

    @property
    def is_blank(self) -> bool:
        return not self.cleaned_data.get("kind")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        others = ("medicine", "dose_amount", "dose_unit", "frequency", "note")
        if not kind:
            if any(data.get(name) not in (None, "") for name in others):
                self.add_error("kind", "Choose what was done, or clear this row.")
            return data
        medicine = (data.get("medicine") or "").strip()
        data["medicine"] = medicine
        on_list = medicine.lower() in self.active_names
        if kind in (Intervention.Kind.STOPPED, Intervention.Kind.DOSE_CHANGED):
            if not medicine:
                self.add_error("medicine", "Name the medicine from the medication list.")
            elif not on_list:
                self.add_error("medicine", f"{medicine} is not on the active medication list.")
        if kind == Intervention.Kind.COMPLIANCE_AID and medicine and not on_list:
            self.add_error("medicine", f"{medicine} is not on the active medication list.")
        if kind == Intervention.Kind.STARTED:
            if not medicine:
                self.add_error("medicine", "Name the medicine started.")
            if data.get("dose_amount") is None:
                self.add_error("dose_amount", "Give the dose of the medicine started.")
            if not data.get("frequency"):
                self.add_error("frequency", "Say how often it is taken.")
        if (
            kind == Intervention.Kind.DOSE_CHANGED
            and data.get("dose_amount") is None
            and not data.get("frequency")
        ):
            self.add_error("dose_amount", "Give the new dose amount or how often.")
        return data

    def for_service(self) -> dict:
        data = self.cleaned_data
        row = {"kind": data["kind"], "medicine": data["medicine"], "note": data["note"].strip()}
        if data["kind"] in (Intervention.Kind.STARTED, Intervention.Kind.DOSE_CHANGED):
            row["dose"] = {
                "amount": data.get("dose_amount"),
                "unit": data.get("dose_unit", "").strip(),
                "frequency": data.get("frequency") or "",
            }
        return row


def intervention_count(data=None, *, add: int = 0) -> int:
    """How many change rows the form has: its TOTAL_FORMS (kept up to date by the script's
    "Add another"), or as many as the rows posted, at least one; `add` more for the no-script
    "Add another" button."""
    count = INTERVENTION_ROWS
    if data is not None:
        total = str(data.get(ROWS_FIELD, "")).strip()
        posted = [int(k[2:].split("-")[0]) for k in data if re.match(r"^iv\d+-", k)]
        count = max(count, int(total) if total.isdigit() else 0, max(posted, default=-1) + 1)
    return min(count + add, MAX_INTERVENTION_ROWS)


def intervention_forms(
    data=None, *, active_names: set[str], count: int = INTERVENTION_ROWS
) -> list[InterventionForm]:
    return [
        InterventionForm(data, prefix=f"iv{i}", auto_id="id_%s", active_names=active_names)
        for i in range(count)
    ]


def intervention_template(*, active_names: set[str]) -> InterventionForm:
    """The empty row the script copies for "Add another" (__prefix__ becomes its number)."""
    return InterventionForm(prefix="iv__prefix__", auto_id="id_%s", active_names=active_names)


class MedicationForm(forms.ModelForm):
    """A line of the medication list. Only checks the input: services.medication_add saves."""

    class Meta:
        model = Medication
        fields = [
            "name",
            "strength",
            "form",
            "dose_amount",
            "dose_unit",
            "frequency",
            "route",
            "started_on",
            "prescriber",
            "dmd_code",
            "compliance_aid",
        ]
        labels = {
            "name": "Medicine",
            "dose_amount": "Dose amount",
            "dose_unit": "Dose unit",
            "frequency": "How often",
            "started_on": "Started",
            "compliance_aid": "Dispensed in a multi-compartment compliance aid",
            # dm+d is written in lower case (NHSBSA); Django would capitalise the model's name.
            "dmd_code": "dm+d code",
        }
        help_texts = {
            "name": "As in the NHS dictionary of medicines and devices (dm+d) where known.",
            "dose_amount": "How many units per dose, e.g. 1 or 2.5",
            "dmd_code": "Filled in when you choose from the dm+d search, or 6 to 18 digits.",
            "compliance_aid": "",
        }
        field_classes = {"started_on": PastDateField}
        widgets = {
            "dose_amount": forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
            "dmd_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        }
        error_messages = {
            "name": {"required": "Name the medicine."},
            "dose_amount": {"required": "Give the dose amount."},
            "frequency": {"required": "Say how often it is taken."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["frequency"].choices = [("", "Choose how often"), *Frequency.choices]
        self.fields["compliance_aid"].widget.attrs["class"] = "nhsuk-checkboxes__input"

    def clean_dmd_code(self):
        value = (self.cleaned_data.get("dmd_code") or "").strip()
        if not value.isdigit():
            return value  # the model's own rule (6 to 18 digits) says what is wrong
        problem = dmd_code_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_started_on(self):
        value = self.cleaned_data["started_on"]
        if value is not None and value > timezone.localdate():
            raise ValidationError("The start date cannot be in the future.")
        return value


class ReviewForm(forms.Form):
    reviewed_on = PastDateField(
        label="Date of the review",
        error_messages={
            "required": "Give the date of the review.",
        },
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=MedicationReview.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome of the review."},
    )
    agreed_actions = forms.CharField(
        label="Agreed actions",
        required=False,
        max_length=4000,
        help_text="What was agreed with the person, their carers and the prescriber.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewed_on"].initial = timezone.localdate()

    def clean_reviewed_on(self):
        value = self.cleaned_data["reviewed_on"]
        if value > timezone.localdate():
            raise ValidationError("A review cannot be dated in the future.")
        return value


class SupplyForm(forms.Form):
    """One dispensing entered by hand."""

    medicine = forms.CharField(
        label="Medicine",
        max_length=200,
        validators=[single_line],
        widget=forms.TextInput(attrs={"list": "active-medicines", "autocomplete": "off"}),
        error_messages={"required": "Name the medicine dispensed."},
    )
    dispensed_on = PastDateField(
        label="Dispensed on",
        error_messages={
            "required": "Give the date it was dispensed.",
        },
    )
    quantity = forms.DecimalField(
        label="Quantity",
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="In the medicine's dose unit, e.g. 28 tablets.",
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
        error_messages={
            "required": "Give the quantity dispensed.",
            "min_value": "The quantity must be more than 0.",
        },
    )

    def clean_dispensed_on(self):
        value = self.cleaned_data["dispensed_on"]
        if value > timezone.localdate():
            raise ValidationError("The dispensing date cannot be in the future.")
        return value

    def rows(self) -> list[dict]:
        return [dict(self.cleaned_data)]


class SupplyUploadForm(forms.Form):
    """A CSV of dispensings: medicine, dispensed_on, quantity (a header row first)."""

    file = forms.FileField(
        label="CSV file",
        help_text=SUPPLY_CSV_HELP,
        allow_empty_file=True,  # refused by read_supplies_csv, with the line, as on the API
        widget=forms.FileInput(attrs={"accept": ".csv"}),
        error_messages={"required": "Choose a CSV file to upload."},
    )

    def clean_file(self):
        """The same reading, limits and messages as the API's upload."""
        upload = self.cleaned_data["file"]
        try:
            self.parsed = read_supplies_csv(upload)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict.get("file") or exc.messages) from None
        return upload

    def rows(self) -> list[dict]:
        return self.parsed


class GpListUploadForm(forms.Form):
    """A GP medication list: a FHIR Bundle (JSON) of MedicationStatements."""

    file = forms.FileField(
        label="GP medication list (FHIR Bundle, JSON)",
        help_text=GP_LIST_HELP,
        widget=forms.FileInput(attrs={"accept": ".json,application/json,application/fhir+json"}),
        error_messages={"required": "Choose the GP list's file to upload."},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > GP_LIST_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {GP_LIST_MAX_BYTES:,} bytes.")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text (a JSON Bundle).") from exc


class ImportDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(d.value, d.label) for d in MedicationImportLine.Decision if d.value],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what to do with this medicine."},
    )
