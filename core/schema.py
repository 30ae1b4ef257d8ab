"""The OpenAPI schema class (kept apart from core.api, which DRF's settings import
before drf-spectacular can be)."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, documenting a nested list's size (`many=True, max_length=...`) as
    maxItems/minItems, as it does for a ListField (API.md 1.1: lists have a documented
    maximum), and leaving out of a response's `required` the read-only fields a serializer
    sends only to some readers (its `Meta.omitted_for_some`: e.g. the clinical notes'
    restriction, sent with the clinical fields to those who read them)."""

    def _map_basic_serializer(
        self, serializer: serializers.Serializer, direction: str
    ) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        omitted = getattr(getattr(serializer, "Meta", None), "omitted_for_some", ())
        if direction == "response" and omitted and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in omitted]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _map_serializer_field(
        self, field: serializers.Field, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            # ListSerializer has max_length and min_length (DRF 3.14); the stubs lack them.
            max_length = field.max_length  # type: ignore[attr-defined]
            min_length = field.min_length  # type: ignore[attr-defined]
            if max_length is not None:
                schema["maxItems"] = max_length
            if min_length is not None:
                schema["minItems"] = min_length
        return schema
