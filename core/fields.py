"""Serializer fields for the API's input rules (API.md 1.1, "Input rules that apply
everywhere"): in a JSON body an id is a JSON integer and text is a JSON string. DRF would
coerce `2.9` or `"2"` to id 2 and `123` to the text "123"; these refuse them.

A form or multipart body (a file upload's `patient`, say) carries every value as text, so
there a digit string is still an id: the rules apply where the serializer was given parsed
JSON (or Python data), not a QueryDict.
"""

from typing import Any

from django.http import QueryDict
from rest_framework import serializers

ID_MESSAGE = "Give the id as a whole number (a JSON integer), not {data_type}."
TEXT_MESSAGE = "Give text."


def from_form(field: serializers.Field[Any, Any, Any, Any]) -> bool:
    """Whether the data the field's serializer was given came from a form or multipart body,
    where every value is a string."""
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


def _json_type(data: object) -> str:
    if isinstance(data, bool):
        return "true or false"
    if isinstance(data, float):
        return "a decimal"
    if isinstance(data, str):
        return "a string"
    if data is None:
        return "null"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, dict):
        return "an object"
    return type(data).__name__


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key reference that is a JSON integer: not a string, a decimal or a boolean
    (DRF takes `2.9` and `"2"` as 2). Set as every ModelSerializer's related field (see
    core.apps), and the base of the project's own id fields."""

    default_error_messages = {"incorrect_type": ID_MESSAGE}

    def to_internal_value(self, data: Any) -> Any:
        if not from_form(self) and (isinstance(data, bool) or not isinstance(data, int)):
            self.fail("incorrect_type", data_type=_json_type(data))
        return super().to_internal_value(data)


class IdField(serializers.IntegerField):
    """An id given as a plain integer field (not a relation): a JSON integer, as above."""

    default_error_messages = {"invalid": ID_MESSAGE.format(data_type="text or a decimal")}

    def to_internal_value(self, data: Any) -> int:
        if not from_form(self) and (isinstance(data, bool) or not isinstance(data, int)):
            raise serializers.ValidationError(ID_MESSAGE.format(data_type=_json_type(data)))
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """Text that is a JSON string: a number or a boolean is refused (DRF turns `123` into
    "123"). Every model CharField and TextField maps to it (see core.apps)."""

    default_error_messages = {"invalid": TEXT_MESSAGE}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) and not from_form(self):
            self.fail("invalid")
        return super().to_internal_value(data)


LIST_MAX = 30


class UniqueListField(serializers.ListField):
    """A list in a body: at most `max_length` items (documented as the schema's maxItems;
    by default the number of choices of a choice child, else LIST_MAX) and none twice."""

    default_error_messages = {"duplicate": "Give each item once: {item} is repeated."}

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("max_length") is None:
            choices = getattr(kwargs.get("child"), "choices", None)
            kwargs["max_length"] = len(choices) if choices else LIST_MAX
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        values = super().to_internal_value(data)
        seen = set()
        for value in values:
            key = getattr(value, "pk", value)
            if key in seen:
                item = getattr(value, "code", value)
                self.fail("duplicate", item=f"'{item}'" if isinstance(item, str) else item)
            seen.add(key)
        return values


def install() -> None:
    """Make the strict fields what every ModelSerializer builds for model text fields and
    relations, and lists (called once, from the core app's ready())."""
    from django.contrib.postgres.fields import ArrayField
    from django.db import models

    mapping = serializers.ModelSerializer.serializer_field_mapping
    mapping[models.CharField] = StrictCharField
    mapping[models.TextField] = StrictCharField
    mapping[ArrayField] = UniqueListField
    serializers.ModelSerializer.serializer_related_field = StrictPrimaryKeyRelatedField
