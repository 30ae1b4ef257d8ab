from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.response import Response

from audit.services import access_record
from core.api import ScopedAPIMixin
from networks.roles import CLINICAL_ROLES, Role
from networks.selectors import network_by_slug_for, network_ids_where, role_in
from patients.models import Consent

from . import services
from .models import AgendaItem, Meeting
from .selectors import (
    MEETING_ROLES,
    agenda_items_visible_to,
    meetings_visible_to,
    meetings_with_items,
    upcoming,
)


class AgendaItemSerializer(serializers.ModelSerializer):
    decision = serializers.ChoiceField(
        choices=AgendaItem.Decision.choices, required=False, allow_blank=True
    )
    admission_avoided = serializers.ChoiceField(
        choices=AgendaItem.AdmissionAvoided.choices,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text='"Do we think we have avoided an admission?" Required to discharge. '
        "Null for the PIC.",
    )
    version = serializers.IntegerField(
        required=False, help_text="The version you edited; a stale one is refused with 409."
    )
    social_notes = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20000,
        help_text="The social part, read by everyone who sees the item; the PIC and clinical "
        "members write it (a PATCH with only `social_notes` and `social_version`).",
    )
    social_version = serializers.IntegerField(
        required=False,
        help_text="The version of `social_notes` you edited; a stale one is refused with 409.",
    )

    consent_mdt = serializers.ChoiceField(
        source="patient.consent_mdt",
        choices=Consent.choices,
        read_only=True,
        help_text="The person's consent to discussion at the MDT: `not_asked` is for the chair "
        "to ask at the meeting (one who refused is never on an agenda).",
    )

    # What a role that may not read clinical details (the PIC) gets as null.
    CLINICAL = ("notes", "reason", "admission_avoided", "decision_reason")

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "patient",
            "consent_mdt",
            "reason",
            "source",
            "status",
            "position",
            "notes",
            "social_notes",
            "decision",
            "next_review_on",
            "admission_avoided",
            "decision_reason",
            "decided_at",
            "version",
            "social_version",
        ]
        read_only_fields = ["patient", "reason", "source", "status", "position", "decided_at"]
        extra_kwargs = {
            name: {"help_text": "Clinical: null for the PIC.", "allow_null": True}
            for name in ("notes", "reason", "decision_reason")
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.meeting.network_id not in self.context.get("clinical_networks", ()):
            for name in self.CLINICAL:
                data[name] = None
        return data


class MeetingSerializer(serializers.ModelSerializer):
    network = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    chair = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    items = AgendaItemSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "network", "starts_at", "status", "chair", "items"]


class MeetingFilter(filters.FilterSet):
    network = filters.CharFilter(field_name="network__slug", help_text="Network slug.")
    upcoming = filters.BooleanFilter(
        method="filter_upcoming", help_text="Only meetings not yet held."
    )

    class Meta:
        model = Meeting
        fields = ["network", "upcoming"]

    def filter_upcoming(self, queryset, name, value):
        return upcoming(queryset) if value else queryset


class MeetingAddSerializer(serializers.Serializer):
    network = serializers.SlugField(help_text="The network's slug.")
    starts_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=300, help_text="Why the extra meeting is needed.")


class MeetingViewSet(
    ScopedAPIMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Huddles / virtual wards, scheduled ahead on each network's cadence; the chair adds
    extra ones."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not network_ids_where(request.user, MEETING_ROLES):
            raise exceptions.PermissionDenied("Your role does not take part in meetings.")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_clinical_context(self.request)}

    def get_queryset(self):
        user = self.request.user
        return meetings_with_items(meetings_visible_to(user), user).order_by("starts_at")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        access_record(
            user=request.user,
            patients=list({i.patient_id: i.patient for m in page for i in m.items.all()}.values()),
            what="meeting_list",
            channel="api",
            path=request.get_full_path(),
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Add an extra meeting (e.g. for an urgent referral): the network's chair.",
        request=MeetingAddSerializer,
        responses={201: MeetingSerializer},
    )
    def create(self, request, *args, **kwargs):
        if not network_ids_where(request.user, {Role.CHAIR}):
            raise exceptions.PermissionDenied("Only the chair adds meetings.")
        body = MeetingAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        network = network_by_slug_for(request.user, body.validated_data["network"])
        if network is None:
            raise exceptions.ValidationError({"network": ["You are not a member of that network."]})
        if role_in(request.user, network.pk) != Role.CHAIR:
            raise exceptions.PermissionDenied("Only the chair adds meetings.")
        meeting = services.meeting_add(
            network=network,
            starts_at=body.validated_data["starts_at"],
            reason=body.validated_data["reason"],
            by=request.user,
        )
        meeting = meetings_with_items(Meeting.objects.filter(pk=meeting.pk), request.user).get()
        return Response(self.get_serializer(meeting).data, status=201)

    def retrieve(self, request, *args, **kwargs):
        meeting = self.get_object()
        access_record(
            user=request.user,
            patients=[i.patient for i in meeting.items.all()],
            what="meeting",
            channel="api",
            path=request.path,
        )
        return Response(self.get_serializer(meeting).data)


def _clinical_context(request) -> dict:
    """The networks where the caller reads the clinical part of meetings (not the PIC's)."""
    return {"clinical_networks": set(network_ids_where(request.user, CLINICAL_ROLES))}


class AgendaItemViewSet(
    ScopedAPIMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """One person on a meeting's agenda (the PIC: only the people they support, clinical
    fields null). PATCH: the chair records notes and decisions; anyone who sees the item may
    send `social_notes` alone; discharge needs `admission_avoided`; send `version` to be
    protected from overwriting someone else."""

    serializer_class = AgendaItemSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_clinical_context(self.request)}

    def get_queryset(self):
        return agenda_items_visible_to(self.request.user, self.kwargs["meeting_pk"])

    def get_object(self):
        item = super().get_object()
        access_record(
            user=self.request.user,
            patients=[item.patient],
            what="agenda_item",
            channel="api",
            path=self.request.path,
        )
        return item

    @extend_schema(
        responses={
            200: AgendaItemSerializer,
            409: inline_serializer(
                "AgendaItemConflict",
                {
                    "detail": serializers.CharField(),
                    "current": AgendaItemSerializer(
                        required=False,
                        help_text="On a stale edit: the item as someone else saved it.",
                    ),
                },
            ),
        }
    )
    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        social_only = isinstance(request.data, dict) and set(request.data) <= {
            "social_notes",
            "social_version",
        }
        if not social_only and not request.user.has_perm("huddles.run_meeting", item):
            raise exceptions.PermissionDenied(
                "Only the chair records notes and decisions; you may add social notes."
            )
        serializer = self.get_serializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        social_version = data.pop("social_version", None)
        social_notes = data.pop("social_notes", None)
        try:
            if data or version is not None:
                item = services.item_update(item=item, by=request.user, version=version, **data)
            if social_notes is not None:
                item = services.item_social_notes_set(
                    item=item,
                    by=request.user,
                    social_version=social_version,
                    social_notes=social_notes,
                )
        except services.ItemConflict as conflict:
            body = {"detail": conflict.message, "current": self.get_serializer(conflict.item).data}
            return Response(body, status=409)
        return Response(self.get_serializer(item).data)
