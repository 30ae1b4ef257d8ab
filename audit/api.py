"""The access trail API: GET /api/v1/access-events/, for the networks whose trail the caller
reads (the IG lead, the chair and managers). The read is itself written to the trail."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedAPIMixin
from core.fields import StrictCharField

from .filters import AccessEventFilter
from .models import AccessEvent, BreakGlass
from .selectors import (
    access_trail,
    break_glass_for_review,
    review_network_ids,
    trail_network_ids,
)
from .services import break_glass_review, network_access_record


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


class BreakGlassGrantSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    network = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    patient = serializers.IntegerField(source="patient_id", read_only=True)
    nhs_number = serializers.CharField(source="patient.nhs_number", read_only=True)
    entry_author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    reviewed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = BreakGlass
        fields = [
            "id",
            "at",
            "expires_at",
            "user",
            "role",
            "network",
            "patient",
            "nhs_number",
            "entry_kind",
            "entry_id",
            "entry_author",
            "reason_code",
            "reason",
            "reviewed_at",
            "reviewed_by",
            "review_outcome",
            "review_note",
        ]
        read_only_fields = fields


class BreakGlassReviewSerializer(serializers.Serializer):
    review_outcome = serializers.ChoiceField(choices=BreakGlass.Review.choices)
    review_note = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the access was not appropriate.",
    )


class BreakGlassFilter(filters.FilterSet):
    reviewed = filters.BooleanFilter(field_name="reviewed_at", lookup_expr="isnull", exclude=True)


@extend_schema_view(
    list=extend_schema(
        summary="The break-glass of the networks whose IG lead you are, unreviewed first.",
        description="For the information governance lead only (other roles 403, a network "
        "you are not in 404). `reviewed=false` lists those still to review. Reading it is "
        "itself recorded in the access trail.",
        parameters=[
            OpenApiParameter("network", str, description="Network slug (default: all yours)."),
        ],
    ),
)
class BreakGlassViewSet(ScopedAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = BreakGlassGrantSerializer
    filterset_class = BreakGlassFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the schema
            return BreakGlass.objects.none()
        slug = self.request.query_params.get("network", "").strip() if self.action == "list" else ""
        self.network_ids = review_network_ids(self.request.user, slug)
        return break_glass_for_review(self.network_ids)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        network_access_record(
            user=request.user,
            network_ids=self.network_ids,
            what="break_glass_review",
            channel="api",
            path=request.get_full_path(),
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Record the IG lead's review of one break-glass.",
        description="Appropriate, or not appropriate with a note of what is followed up. "
        "Once only: a second review is 400.",
        request=BreakGlassReviewSerializer,
        responses={200: BreakGlassGrantSerializer},
    )
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        grant = self.get_object()
        body = BreakGlassReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                break_glass_review(
                    grant=grant,
                    by=request.user,
                    outcome=body.validated_data["review_outcome"],
                    note=body.validated_data["review_note"],
                )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        network_access_record(
            user=request.user,
            network_ids=[grant.network_id],
            what="break_glass_review",
            channel="api",
            path=request.get_full_path(),
        )
        return Response(self.get_serializer(grant).data)
