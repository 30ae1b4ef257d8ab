"""Forms of the admissions page: one admission by hand, and a hospital CSV to check. They
check the shape of the input; the services in reports/admissions.py decide the rest, and
their errors land on these forms' fields."""

from django import forms
from django.core.exceptions import ValidationError

from core import nhs_number
from core.date_input import PastDateField
from patients.models import Patient

from .admissions import MAX_BYTES, not_found_message
from .models import AdmissionEvent


class AdmissionForm(forms.Form):
    """One admission by hand: the person by NHS number (in this network only)."""

    nhs_number = forms.CharField(
        label="NHS number",
        max_length=20,
        help_text="10 digits, spaces allowed, e.g. 943 476 5919.",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the person's NHS number."},
    )
    admitted_on = PastDateField(
        label="Date admitted",
        error_messages={
            "required": "Enter the date of the admission.",
        },
    )
    kind = forms.ChoiceField(
        label="Kind of admission",
        choices=AdmissionEvent.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose emergency or elective."},
    )

    def __init__(self, *args, network, **kwargs):
        super().__init__(*args, **kwargs)
        self.network = network
        self.patient: Patient | None = None

    def clean_nhs_number(self) -> str:
        number = nhs_number.validate(self.cleaned_data["nhs_number"])
        self.patient = Patient.objects.filter(network=self.network, nhs_number=number).first()
        if self.patient is None:
            raise ValidationError(not_found_message(number, self.network))
        return number


class AdmissionUploadForm(forms.Form):
    file = forms.FileField(
        label="Hospital CSV file",
        help_text=(
            "Columns nhs_number, admitted_on (YYYY-MM-DD or DD/MM/YYYY) and kind (emergency "
            f"or elective), separated by commas; at most {MAX_BYTES // (1024 * 1024)} MB."
        ),
        error_messages={
            "required": "Choose a CSV file to check.",
            "empty": "The file is empty.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(
                f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into "
                "smaller files and upload each."
            )
        return upload
