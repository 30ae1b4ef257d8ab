"""Database constraints whose violation concerns one field.

Django reports a CheckConstraint (or a conditional UniqueConstraint) that `full_clean()`
finds violated under `__all__`, with the message 'Constraint "name" is violated.'. Declared
with `on_field()`, a constraint gets a message a person can act on and a violation code
naming its field; the API reports it under that field (core.api), never `__all__`.
Both are attributes Django keeps out of the database: changing them migrates nothing.
"""

from django.core.exceptions import NON_FIELD_ERRORS

CODE_PREFIX = "field:"


def on_field(field: str, message: str) -> dict:
    """Keyword arguments for a constraint about `field`: its message and a code naming it."""
    return {"violation_error_code": f"{CODE_PREFIX}{field}", "violation_error_message": message}


def field_of(code: str | None) -> str | None:
    """The field a violation code from on_field() names; None for any other code."""
    if code and code.startswith(CODE_PREFIX):
        return code.removeprefix(CODE_PREFIX)
    return None


def errors_by_field(error_dict: dict) -> dict[str, list[str]]:
    """A Django ValidationError's error_dict as the API's `{"field": [messages]}`: each
    constraint's error under its field, what concerns no field under `non_field_errors`."""
    errors: dict[str, list[str]] = {}
    for key, items in error_dict.items():
        for item in items:
            field = key
            if key == NON_FIELD_ERRORS:
                field = field_of(getattr(item, "code", None)) or "non_field_errors"
            errors.setdefault(field, []).extend(item.messages)
    return errors
