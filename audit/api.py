"""The access trail API: GET /api/v1/access-events/, for the networks whose trail the caller
reads (the IG lead, the chair and managers). The read is itself written to the trail."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets

from core.api import ScopedAPIMixin

from .filters import AccessEventFilter
from .models import AccessEvent
from .selectors import access_trail, trail_network_ids
from .services import network_access_record


class TrailEventSerializer(serializers.ModelSerializer):
    network = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    patient = serializers.IntegerField(source="patient_id", read_only=True, allow_null=True)
    patient_name = serializers.CharField(
        source="patient.full_name", read_only=True, allow_null=True
    )
    nhs_number = serializers.CharField(source="patient.nhs_number", read_only=True, allow_null=True)

    class Meta:
        model = AccessEvent
        fields = [
            "id",
            "at",
            "username",
            "role",
            "network",
            "patient",
            "patient_name",
            "nhs_number",
            "patient_ref",
            "what",
            "channel",
            "outcome",
            "path",
        ]
        read_only_fields = fields


@extend_schema(
    summary="The access trail of the networks whose trail you read.",
    description="Every look at a person's record, refusals included, most recent first. "
    "For the information governance lead, the chair and managers; other roles 403, a "
    "network you are not in 404. Reading it is itself recorded.",
    parameters=[
        OpenApiParameter("network", str, description="Network slug (default: all yours)."),
    ],
)
class AccessEventViewSet(ScopedAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TrailEventSerializer
    filterset_class = AccessEventFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the schema
            return AccessEvent.objects.none()
        self.network_ids = trail_network_ids(
            self.request.user, self.request.query_params.get("network", "").strip()
        )
        return access_trail(self.network_ids)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        network_access_record(
            user=request.user,
            network_ids=self.network_ids,
            what="access_trail",
            channel="api",
            path=request.get_full_path(),
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
