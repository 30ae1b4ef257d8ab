from typing import NamedTuple

from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import OuterRef
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_record
from core import nhs_number
from core.api import RowsOfPage, ScopedAPIMixin
from core.errors import Conflict
from core.fields import StrictCharField, StrictPrimaryKeyRelatedField, UniqueListField
from core.rows import ListRows
from core.workdays import working_days_between
from networks.models import Organisation
from networks.roles import CASEWORK_ROLES, Role
from networks.selectors import (
    active_memberships,
    network_by_slug_for,
    network_ids_where,
    role_in,
)
from patients.models import Patient

from . import services
from .models import OUTCOME_MAX_LENGTH, PatientFlag, RedFlag, Referral, Urgency
from .selectors import referrals_in_networks_of, referrals_visible_to, service_directory

# Care home staff only for their own home's residents (referrals.rules).
REFERRING_ROLES = CASEWORK_ROLES | {Role.PARTNER_SYSTEM, Role.CARE_HOME_STAFF}


class RedFlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = RedFlag
        fields = ["code", "label", "category", "routes_to", "default_urgency", "description"]


class RedFlagViewSet(ScopedAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The red-flag catalogue (flags in use), and the service each routes to."""

    serializer_class = RedFlagSerializer
    pagination_class = None
    queryset = RedFlag.objects.filter(active=True).order_by("category", "label")


class ReferrablePatientField(StrictPrimaryKeyRelatedField):
    """People in the networks where the caller may refer (a partner system included)."""

    def get_queryset(self):
        user = self.context["request"].user
        return Patient.objects.filter(network_id__in=list(active_memberships(user)))


class RedFlagCodeField(serializers.SlugRelatedField):
    default_error_messages = {"does_not_exist": "Unknown red flag {value}."}

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=RedFlag.objects.filter(active=True), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return self.get_queryset().get(code=data)
        except RedFlag.DoesNotExist:
            raise serializers.ValidationError(f"Unknown red flag {data!r}.") from None


class ReferralSerializer(serializers.ModelSerializer):
    patient = ReferrablePatientField(required=False)
    nhs_number = StrictCharField(
        write_only=True,
        required=False,
        max_length=14,
        help_text="Instead of `patient`: the person's NHS number, with `network`.",
    )
    network = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    network_slug = StrictCharField(
        write_only=True,
        required=False,
        source="network_slug_in",
        help_text="With `nhs_number`: the network's slug.",
    )
    service = StrictCharField(
        max_length=30,
        help_text="Any active service code of the person's network "
        "(`GET /api/v1/networks/{slug}/services/`).",
    )
    reason = StrictCharField(max_length=4000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    red_flags = UniqueListField(
        child=RedFlagCodeField(),
        required=False,
        write_only=True,
        max_length=20,
        help_text="Red-flag codes noticed; each raises a referral to the service that owns it.",
    )
    flags = serializers.SerializerMethodField(help_text="Codes of the red flags on this referral.")
    referred_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    triaged_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    decline_reason = serializers.ChoiceField(
        choices=Referral.DeclineReason.choices,
        read_only=True,
        allow_blank=True,
        help_text="Blank unless declined.",
    )
    source_organisation = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        help_text="Code of the referring organisation when the referrer is outside the network.",
    )
    waited_working_days = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "id",
            "patient",
            "nhs_number",
            "network",
            "network_slug",
            "service",
            "reason",
            "urgency",
            "red_flags",
            "flags",
            "status",
            "origin",
            "referred_by",
            "source_organisation",
            "source_contact",
            "created_at",
            "triaged_at",
            "triaged_by",
            "decline_reason",
            "decline_note",
            "closed_at",
            "outcome",
            "waited_working_days",
        ]
        read_only_fields = [
            "status",
            "origin",
            "created_at",
            "triaged_at",
            "decline_note",
            "closed_at",
            "outcome",
        ]
        validators = []  # one open referral per person and service: the service says 409

    def get_flags(self, referral) -> list[str]:
        return [f.flag.code for f in referral.flags.all()]

    def get_waited_working_days(self, referral) -> int:
        end = referral.triaged_at or referral.closed_at or timezone.now()
        return working_days_between(
            timezone.localdate(referral.created_at), timezone.localdate(end)
        )

    def validate(self, attrs):
        user = self.context["request"].user
        patient = attrs.get("patient")
        number = attrs.pop("nhs_number", None)
        slug = attrs.pop("network_slug_in", None)
        if patient is None and number is None:
            raise serializers.ValidationError(
                {"patient": ["Give the person (id), or nhs_number with network_slug."]}
            )
        if patient is None:
            network = network_by_slug_for(user, slug or "")
            if network is None:
                raise serializers.ValidationError(
                    {"network_slug": ["You are not a member of that network."]}
                )
            digits = nhs_number.normalise(number)
            patient = Patient.objects.filter(network=network, nhs_number=digits).first()
            if patient is None:
                raise serializers.ValidationError(
                    {"nhs_number": ["No person with this NHS number in that network."]}
                )
            attrs["patient"] = patient
        return attrs


_moment = serializers.DateTimeField().to_representation


def _waited(row) -> int:
    """Working days from referral to triage (or closing, or today while it waits)."""
    end = row["triaged_at"] or row["closed_at"] or timezone.now()
    return working_days_between(timezone.localdate(row["created_at"]), timezone.localdate(end))


# The list's rows, from ReferralSerializer's own readable fields (core.rows): where each is
# read from and how it is shown. `id`, `patient_id` and `network_id` come first, for the trail.
REFERRAL_ROWS = ListRows(
    ReferralSerializer,
    first=("id", "patient_id", "network_id"),
    columns={
        "patient": "patient_id",
        "network": "network_id",
        "flags": "flag_codes",
        "referred_by": "referred_by__username",
        "source_organisation": "source_organisation__code",
        "triaged_by": "triaged_by__username",
    },
    show={"created_at": _moment, "triaged_at": _moment, "closed_at": _moment},
    computed={"waited_working_days": _waited},
)


class _Seen(NamedTuple):
    """A person on a listed referral, as the access trail needs them."""

    pk: int
    network_id: int


def referral_list_rows(rows, *, user) -> list[dict]:
    """What ReferralSerializer(many=True) gives for rows of REFERRAL_ROWS.columns, built
    directly: the same fields, order and formats (tests/referrals/test_api.py compares the
    two)."""
    slugs = {nid: m.network.slug for nid, m in active_memberships(user).items()}
    return REFERRAL_ROWS.build(rows, show={"network": slugs.__getitem__})


class ReferralCreatedSerializer(ReferralSerializer):
    """The referral made, and the referrals its red flags raised to other services."""

    flag_referrals = ReferralSerializer(many=True, read_only=True)

    class Meta(ReferralSerializer.Meta):
        fields = [*ReferralSerializer.Meta.fields, "flag_referrals"]


class ReferralFilter(filters.FilterSet):
    patient = filters.NumberFilter(field_name="patient_id")
    service = filters.CharFilter(help_text="A service code.")
    status = filters.ChoiceFilter(choices=Referral.Status.choices)
    network = filters.CharFilter(field_name="network__slug", help_text="Network slug.")
    urgency = filters.ChoiceFilter(choices=Urgency.choices)

    class Meta:
        model = Referral
        fields = ["patient", "service", "status", "network", "urgency"]


class DeclineSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Referral.DeclineReason.choices)
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class CompleteSerializer(serializers.Serializer):
    outcome = StrictCharField(
        max_length=OUTCOME_MAX_LENGTH, help_text="What was done; the referrer is told it."
    )


class ReferralViewSet(
    ScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter

    def get_queryset(self):
        if self.action in ("list", "create"):
            queryset = referrals_visible_to(self.request.user)
        else:  # one referral: find it in my networks, then ask the rules (403, not 404)
            queryset = referrals_in_networks_of(self.request.user)
        return (
            queryset.select_related(
                "network", "patient", "referred_by", "triaged_by", "source_organisation"
            )
            .prefetch_related("flags__flag")
            .order_by("-created_at", "-id")
        )

    def get_object(self):
        referral = super().get_object()
        visible = referrals_visible_to(self.request.user).filter(pk=referral.pk).exists()
        if not visible:
            raise exceptions.PermissionDenied("Your role may not see this referral.")
        return referral

    def list(self, request, *args, **kwargs):
        # Plain rows, the flags' codes in the same query, rather than model instances through
        # the serializer's fields: the same JSON (referral_list_rows), less work per row.
        flag_codes = ArraySubquery(
            PatientFlag.objects.filter(referral=OuterRef("pk"))
            .order_by(*PatientFlag._meta.ordering)
            .values("flag__code")
        )
        queryset = self.filter_queryset(
            referrals_visible_to(request.user).order_by("-created_at", "-id")
        ).annotate(flag_codes=flag_codes)
        page = self.paginate_queryset(RowsOfPage(queryset, REFERRAL_ROWS.columns))
        access_record(
            user=request.user,
            patients=[_Seen(row[1], row[2]) for row in page],
            what="referral_list",
            channel="api",
            path=request.get_full_path(),
        )
        return self.get_paginated_response(referral_list_rows(page, user=request.user))

    def retrieve(self, request, *args, **kwargs):
        referral = self.get_object()
        access_record(
            user=request.user,
            patients=[referral.patient],
            what="referral",
            channel="api",
            path=request.path,
        )
        return Response(self.get_serializer(referral).data)

    @extend_schema(request=ReferralSerializer, responses={201: ReferralCreatedSerializer})
    def create(self, request, *args, **kwargs):
        if not network_ids_where(request.user, REFERRING_ROLES):
            raise exceptions.PermissionDenied("Your role may not make referrals.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        patient = data["patient"]
        user = request.user
        if not user.has_perm("referrals.add_referral", patient):
            raise exceptions.PermissionDenied("Your role may not make referrals.")
        source_organisation = data.get("source_organisation")
        if role_in(user, patient.network_id) == Role.PARTNER_SYSTEM:
            membership = active_memberships(user)[patient.network_id]
            source_organisation = source_organisation or membership.organisation
        try:
            with transaction.atomic():
                raised = services.referral_create(
                    patient=patient,
                    service=data["service"],
                    reason=data["reason"],
                    urgency=data["urgency"],
                    by=user,
                    red_flags=data.get("red_flags", []),
                    source_organisation=source_organisation,
                    source_contact=data.get("source_contact", ""),
                )
        except Conflict as exc:
            existing = exc.record
            if existing is not None and referrals_visible_to(user).filter(pk=existing.pk).exists():
                exc.extra["referral"] = existing.pk
            raise
        body = self.get_serializer(self._reload(raised.referral)).data
        body["flag_referrals"] = self.get_serializer(
            [self._reload(r) for r in raised.flag_referrals], many=True
        ).data
        return Response(body, status=status.HTTP_201_CREATED)

    def _reload(self, referral):
        return (
            referrals_in_networks_of(self.request.user)
            .select_related(
                "network", "patient", "referred_by", "triaged_by", "source_organisation"
            )
            .prefetch_related("flags__flag")
            .get(pk=referral.pk)
        )

    def _triage(self, request, perm: str, write, body=None, **kwargs):
        """Find the referral (404), check the caller may (403), then read the body (400)
        given as a serializer class, its fields passed to `write`."""
        referral = self.get_object()
        if not request.user.has_perm(perm, referral):
            message = (
                "Only the referrer may withdraw a referral."
                if perm.endswith("withdraw_referral")
                else "Only members who serve this service, or the chair, may triage it."
            )
            raise exceptions.PermissionDenied(message)
        if body is not None:
            given = body(data=request.data)
            given.is_valid(raise_exception=True)
            kwargs.update(given.validated_data)
        write(referral=referral, by=request.user, **kwargs)
        referral = self._reload(referral)
        # The response is the whole referral (the person's id and why): to the trail.
        access_record(
            user=request.user,
            patients=[referral.patient],
            what=f"referral_{self.action}",
            channel="api",
            path=request.path,
        )
        return Response(self.get_serializer(referral).data)

    @extend_schema(request=None, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._triage(request, "referrals.triage_referral", services.referral_accept)

    @extend_schema(request=DeclineSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._triage(
            request,
            "referrals.triage_referral",
            services.referral_decline,
            reason=body.validated_data["reason"],
            note=body.validated_data["note"],
        )

    @extend_schema(request=CompleteSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._triage(
            request, "referrals.triage_referral", services.referral_complete, CompleteSerializer
        )

    @extend_schema(request=None, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._triage(request, "referrals.withdraw_referral", services.referral_withdraw)


class NetworkServiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    accepts = serializers.CharField()
    triaged_by = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        help_text="Roles whose members triage its referrals (the chair always may).",
    )
    active = serializers.BooleanField(help_text="Whether it takes new referrals.")


class NetworkServicesView(ScopedAPIMixin, APIView):
    """The network's services: the built-in ones as the network runs them, then its own.
    Any member may read them (a partner system, to know what it may refer to); another
    network is 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=NetworkServiceSerializer(many=True))
    def get(self, request, slug: str):
        network = network_by_slug_for(request.user, slug)
        if network is None:
            raise exceptions.NotFound("Not one of your networks.")
        rows = [
            {
                "code": info.code,
                "label": info.label,
                "accepts": info.accepts,
                "triaged_by": list(info.serving_roles),
                "active": info.active,
            }
            for info in service_directory(network).values()
        ]
        return Response(NetworkServiceSerializer(rows, many=True).data)
