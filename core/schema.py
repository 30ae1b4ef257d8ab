"""The OpenAPI schema class (kept apart from core.api, which DRF's settings import
before drf-spectacular can be)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, documenting a nested list's size (`many=True, max_length=...`) as
    maxItems/minItems, as it does for a ListField (API.md 1.1: lists have a documented
    maximum)."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
            if field.min_length is not None:
                schema["minItems"] = field.min_length
        return schema
