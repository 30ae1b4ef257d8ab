"""The OpenAPI schema class (kept apart from core.api, which DRF's settings import
before drf-spectacular can be)."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, documenting a nested list's size (`many=True, max_length=...`) as
    maxItems/minItems, as it does for a ListField (API.md 1.1: lists have a documented
    maximum)."""

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
