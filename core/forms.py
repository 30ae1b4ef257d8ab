"""Form pieces every app's pages share."""

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone


class LocalDateTimeField(forms.DateTimeField):
    """A London wall-clock time that is never refused for the clock changes: in the hour
    the October change repeats (01:00-01:59) it is read as the first, BST, occurrence, and in
    the hour the March change skips it is read in GMT (01:30 is 02:30 BST). Django's field
    refuses both as ambiguous or non-existent, so a visit logged at 01:30 that night,
    with the time the form itself filled in, could not be saved."""

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, str) and value.strip():
            for fmt in self.input_formats or ():
                try:
                    naive = datetime.strptime(value.strip(), fmt)
                except (TypeError, ValueError):
                    continue
                return timezone.make_aware(naive)  # fold=0: the earlier reading
        return super().to_python(value)


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has
    that field, else above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)
