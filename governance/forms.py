from django import forms

from core.validators import single_line


class SubjectAccessForm(forms.Form):
    network = forms.ChoiceField(label="Network", required=False)
    nhs_number = forms.CharField(
        label="NHS number", max_length=20, help_text="10 digits, spaces allowed."
    )
    reference = forms.CharField(
        label="Reference of the request",
        max_length=200,
        validators=[single_line],
        help_text="For example the date of the person's letter, or your case reference.",
    )

    def __init__(self, *args, networks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].choices = [(n.slug, n.name) for n in networks]
        if len(networks) > 1:
            self.fields["network"].required = True
        else:
            self.fields["network"].widget = forms.HiddenInput()


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label="Why is this record being erased?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the access trail with your name and the date; the person's name "
        "and NHS number are not.",
    )
    confirm = forms.BooleanField(
        label="I have reviewed this record and it is past its retention period",
    )
