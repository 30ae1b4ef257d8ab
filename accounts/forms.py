from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Security code",
        max_length=20,
        strip=True,
        error_messages={"required": "Enter the code"},
    )
