from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from actions.api import TaskSerializer
from audit.models import AccessEvent
from audit.services import access_record, access_refused, break_glass_record
from core.api import ScopedAPIMixin
from core.fields import (
    LIST_MAX,
    IdField,
    StrictCharField,
    StrictPrimaryKeyRelatedField,
    UniqueListField,
)
from core.validators import single_line
from networks.roles import CLINICAL_ROLES
from networks.selectors import network_ids_where
from patients.api import BreakGlassSerializer
from patients.involvement import NOT_INVOLVED_MESSAGE, readable_patients
from referrals.api import RedFlagCodeField, ReferralSerializer
from referrals.selectors import referrals_in_networks_of

from . import services
from .dmd_codes import dmd_code_problem
from .dosage import to_fhir
from .models import (
    Frequency,
    Intervention,
    Medication,
    MedicationReview,
    Supply,
    Visit,
)
from .selectors import (
    clinical_patients,
    medications_visible_to,
    reviews_visible_to,
    seal_visits,
    supplies_visible_to,
    visits_visible_to,
)

User = get_user_model()


@extend_schema_field(OpenApiTypes.INT)
class ClinicalPatientField(StrictPrimaryKeyRelatedField):
    def get_queryset(self):
        return clinical_patients(self.context["request"].user)


class ObservationsSerializer(serializers.Serializer):
    systolic_bp = serializers.IntegerField(
        min_value=50, max_value=300, required=False, allow_null=True, help_text="mmHg"
    )
    diastolic_bp = serializers.IntegerField(
        min_value=20, max_value=200, required=False, allow_null=True, help_text="mmHg"
    )
    pulse = serializers.IntegerField(
        min_value=20, max_value=250, required=False, allow_null=True, help_text="beats per minute"
    )
    respiratory_rate = serializers.IntegerField(
        min_value=4, max_value=70, required=False, allow_null=True, help_text="breaths per minute"
    )
    temperature_c = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        min_value=25,
        max_value=45,
        required=False,
        allow_null=True,
        help_text="°C",
    )
    spo2 = serializers.IntegerField(
        min_value=50,
        max_value=100,
        required=False,
        allow_null=True,
        help_text="oxygen saturation, %",
    )
    on_oxygen = serializers.BooleanField(required=False, default=False)
    spo2_scale = serializers.ChoiceField(choices=[1, 2], required=False, default=1)
    consciousness = serializers.ChoiceField(
        choices=Visit.Consciousness.choices, required=False, allow_blank=True, help_text="ACVPU"
    )

    def validate(self, attrs):
        systolic, diastolic = attrs.get("systolic_bp"), attrs.get("diastolic_bp")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            raise serializers.ValidationError(
                {"diastolic_bp": ["Diastolic must be lower than systolic."]}
            )
        return attrs


class RiskSerializer(serializers.Serializer):
    infection_risk = serializers.BooleanField(required=False, default=False)
    lone_working_risk = serializers.BooleanField(required=False, default=False)
    preference = serializers.ChoiceField(
        choices=Visit.Preference.choices, required=False, default="none"
    )
    recommended = serializers.CharField(read_only=True)


class DoseSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=Decimal("0.01"))
    unit = StrictCharField(
        max_length=20, required=False, default="tablet", validators=[single_line]
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    route = serializers.ChoiceField(choices=Medication.Route.choices, required=False)


class InterventionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Intervention.Kind.choices)
    medicine = StrictCharField(
        max_length=200, required=False, allow_blank=True, default="", validators=[single_line]
    )
    medication = IdField(
        required=False,
        allow_null=True,
        source="medication_id",
        help_text="Id of the medication-list line.",
    )
    note = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")
    dose = DoseSerializer(
        required=False, write_only=True, help_text="For started and dose_changed."
    )
    strength = StrictCharField(
        max_length=60, required=False, allow_blank=True, write_only=True, validators=[single_line]
    )
    form = serializers.ChoiceField(choices=Medication.Form.choices, required=False, write_only=True)


class News2Serializer(serializers.Serializer):
    score = serializers.IntegerField(allow_null=True)
    complete = serializers.BooleanField()
    needs_attention = serializers.BooleanField(help_text="5 or more: an urgent clinical response.")
    missing = serializers.ListField(child=serializers.CharField())


class VisitSerializer(serializers.ModelSerializer):
    patient = ClinicalPatientField()
    network = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    visitor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    joint_visitor = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    # Null (as summary, interventions, news2 and restricted_reason) in a restricted visit read
    # by someone who may not open it; null sent is taken as none.
    observations = ObservationsSerializer(required=False, allow_null=True)
    risk_assessment = RiskSerializer(required=False)
    red_flags = UniqueListField(
        child=RedFlagCodeField(), required=False, max_length=20, write_only=True
    )
    interventions = InterventionSerializer(
        many=True, required=False, allow_null=True, max_length=LIST_MAX
    )
    news2 = serializers.SerializerMethodField()
    news2_acknowledged_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="The clinician who acknowledged the NEWS2 escalation.",
    )
    task = serializers.SerializerMethodField()
    summary = StrictCharField(
        max_length=10000, required=False, allow_blank=True, allow_null=True, default=""
    )
    restricted = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Restricted by its author: only the author, the person's key worker and the "
        "chair read its summary, observations and interventions; others get them null.",
    )
    restricted_reason = StrictCharField(
        max_length=500,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        validators=[single_line],
        help_text="Why it is restricted (required with `restricted`); null to those who may "
        "not read the visit.",
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "patient",
            "network",
            "kind",
            "visitor",
            "joint_visitor",
            "visited_at",
            "risk_assessment",
            "summary",
            "observations",
            "news2",
            "news2_escalation",
            "news2_task",
            "news2_acknowledged_at",
            "news2_acknowledged_by",
            "red_flags",
            "interventions",
            "follow_up_on",
            "task",
            "restricted",
            "restricted_reason",
            "created_at",
        ]
        read_only_fields = [
            "created_at",
            "news2_escalation",
            "news2_task",
            "news2_acknowledged_at",
        ]
        extra_kwargs = {
            "news2_escalation": {
                "help_text": "none; urgent (NEWS2 5-6, or 3 in one parameter): urgent review "
                "within the hour; emergency (7 or more): emergency assessment."
            },
            "news2_task": {"help_text": "The urgent task the escalation raised (once)."},
        }

    def validate(self, attrs):
        if attrs.get("restricted") and not (attrs.get("restricted_reason") or "").strip():
            raise serializers.ValidationError(
                {"restricted_reason": [services.RESTRICT_REASON_REQUIRED]}
            )
        return attrs

    def to_representation(self, visit):
        data = super().to_representation(visit)
        if getattr(visit, "sealed", False):  # medicines.selectors.seal_visits
            for name in SEALED_FIELDS:
                data[name] = None
            data["restricted"] = True
            data["risk_assessment"] = self._risk(visit)
            return data
        data["observations"] = {name: getattr(visit, name) for name in services.OBSERVATIONS}
        if visit.temperature_c is not None:
            data["observations"]["temperature_c"] = str(visit.temperature_c)
        data["risk_assessment"] = self._risk(visit)
        return data

    @staticmethod
    def _risk(visit):
        return {
            "infection_risk": visit.infection_risk,
            "lone_working_risk": visit.lone_working_risk,
            "preference": visit.preference,
            "recommended": visit.recommended_kind,
        }

    @extend_schema_field(News2Serializer(allow_null=True))
    def get_news2(self, visit):
        result = visit.news2()
        return {
            "score": visit.news2_score,
            "complete": visit.news2_complete,
            "needs_attention": visit.news2_needs_attention,
            "missing": list(result.missing),
        }

    @extend_schema_field(TaskSerializer(allow_null=True))
    def get_task(self, visit):
        if visit.follow_up_action_id is None:
            return None
        return TaskSerializer(visit.follow_up_action, context=self.context).data


# What a reader who may not open a restricted visit gets as null (API.md 1.1).
SEALED_FIELDS = ("summary", "observations", "news2", "interventions", "restricted_reason")


class VisitCreatedSerializer(VisitSerializer):
    referrals = ReferralSerializer(
        many=True, read_only=True, help_text="Referrals its red flags raised."
    )

    class Meta(VisitSerializer.Meta):
        fields = [*VisitSerializer.Meta.fields, "referrals"]


class PatientFilter(filters.FilterSet):
    patient = filters.NumberFilter(field_name="patient_id")


def _intervention(data) -> dict:
    """The serializer's `medication_id` (its source name) as the service's `medication`."""
    data = dict(data)
    data["medication"] = data.pop("medication_id", None)
    return data


class ClinicalViewMixin(ScopedAPIMixin):
    def check_clinical(self, request):
        if not network_ids_where(request.user, CLINICAL_ROLES):
            raise exceptions.PermissionDenied("Your role may not see visits or medicines.")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.check_clinical(request)

    def readable(self, queryset):
        """A list's rows: only of people whose clinical detail the caller reads (involved,
        or the glass broken; patients.involvement), in the list's one query."""
        return queryset.filter(patient__in=readable_patients(self.request.user))

    def opened(self, row, what: str):
        """One row: 403 naming the glass to break when the caller is not involved."""
        if not self.request.user.has_perm("patients.view_clinical", row.patient):
            access_refused(
                user=self.request.user,
                patient_ref=str(row.patient_id),
                patient=row.patient,
                what=what,
                channel="api",
                outcome=AccessEvent.Outcome.DENIED,
                path=self.request.path,
            )
            raise exceptions.PermissionDenied(NOT_INVOLVED_MESSAGE.format(id=row.patient_id))
        return row

    def may_change(self, patient):
        """A write of clinical detail: 403 for a member not involved in the person's care."""
        if not self.request.user.has_perm("medicines.change_medicines", patient):
            raise exceptions.PermissionDenied(NOT_INVOLVED_MESSAGE.format(id=patient.pk))

    def audit(self, rows, what):
        access_record(
            user=self.request.user,
            patients=[r.patient for r in rows],
            what=what,
            channel="api",
            path=self.request.get_full_path(),
        )


class VisitViewSet(
    ClinicalViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = VisitSerializer
    filterset_class = PatientFilter

    def get_queryset(self):
        return (
            visits_visible_to(self.request.user)
            .select_related(
                "network",
                "patient",
                "visitor",
                "joint_visitor",
                "news2_acknowledged_by",
                "follow_up_action__network",
                "follow_up_action__assignee",
                "follow_up_action__created_by",
                "follow_up_action__done_by",
            )
            .prefetch_related("interventions")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.readable(self.filter_queryset(self.get_queryset())))
        self.audit(page, "visit_list")
        seal_visits(request.user, page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        visit = self.opened(self.get_object(), "visit")
        self.audit([visit], "visit")
        seal_visits(request.user, [visit])
        return Response(self.get_serializer(visit).data)

    @extend_schema(
        summary="Break the glass to read a restricted visit.",
        description="A coded reason and a reason in words: the grant opens every entry of "
        "the person for BREAK_GLASS_HOURS, is recorded in the access trail as `break_glass`, "
        "and the network's IG lead and the visit's author are told at once. Roles that may "
        "not read clinical detail at all (the PIC, managers) 403; a visit outside your "
        "networks 404.",
        request=BreakGlassSerializer,
        responses={200: VisitSerializer},
    )
    @action(detail=True, methods=["post"], url_path="break-glass")
    def break_glass(self, request, pk=None):
        visit = self.get_object()
        if not request.user.has_perm("patients.break_glass", visit.patient):
            raise exceptions.PermissionDenied("Your role may not break the glass.")
        body = BreakGlassSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            break_glass_record(
                by=request.user,
                patient=visit.patient,
                reason_code=body.validated_data["reason_code"],
                reason=body.validated_data["reason"],
                channel="api",
                path=request.get_full_path(),
                entry_kind="visit",
                entry_id=visit.pk,
                entry_author_id=visit.visitor_id,
            )
        seal_visits(request.user, [visit])
        return Response(self.get_serializer(visit).data)

    @extend_schema(request=VisitSerializer, responses={201: VisitCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        patient = data["patient"]
        if not request.user.has_perm("medicines.add_visit", patient):
            raise exceptions.PermissionDenied("Your role may not log visits.")
        risk = dict(data.get("risk_assessment") or {})
        with transaction.atomic():
            logged = services.visit_log(
                patient=patient,
                by=request.user,
                kind=data["kind"],
                visited_at=data["visited_at"],
                summary=data.get("summary") or "",
                observations=dict(data.get("observations") or {}),
                risk=risk,
                joint_visitor=data.get("joint_visitor"),
                red_flags=data.get("red_flags", []),
                interventions=[_intervention(i) for i in data.get("interventions") or []],
                follow_up_on=data.get("follow_up_on"),
                restricted=data.get("restricted", False),
                restricted_reason=data.get("restricted_reason") or "",
            )
        visit = self.get_queryset().get(pk=logged.visit.pk)
        body = VisitSerializer(visit, context=self.get_serializer_context()).data

        referrals = (
            referrals_in_networks_of(request.user)
            .filter(pk__in=[r.pk for r in logged.referrals])
            .select_related(
                "network", "patient", "referred_by", "triaged_by", "source_organisation"
            )
            .prefetch_related("flags__flag")
        )
        body["referrals"] = ReferralSerializer(
            referrals, many=True, context=self.get_serializer_context()
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class MedicationSerializer(serializers.ModelSerializer):
    patient = ClinicalPatientField()
    dose = serializers.CharField(source="dose_display", read_only=True)
    dosage = serializers.SerializerMethodField(
        help_text="The dose as a FHIR R4 Dosage (UK Core dose syntax), from the dose fields."
    )

    class Meta:
        model = Medication
        fields = [
            "id",
            "patient",
            "name",
            "dmd_code",
            "form",
            "strength",
            "dose_amount",
            "dose_unit",
            "frequency",
            "route",
            "dose",
            "dosage",
            "started_on",
            "stopped_on",
            "stop_reason",
            "prescriber",
            "compliance_aid",
            "created_at",
        ]
        read_only_fields = ["created_at", "stopped_on", "stop_reason"]
        extra_kwargs = {"dmd_code": {"help_text": "A VMP, AMP or VTM code of the loaded dm+d."}}

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_dosage(self, medication) -> dict:
        return to_fhir(medication).model_dump(mode="json", exclude_none=True)

    def validate_dmd_code(self, value: str) -> str:
        problem = dmd_code_problem(value) if value.isdigit() else ""
        if problem:
            raise serializers.ValidationError(problem)
        return value


class MedicationFilter(PatientFilter):
    active = filters.BooleanFilter(field_name="stopped_on", lookup_expr="isnull")


class MedicationViewSet(
    ClinicalViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The reconciled medication list. Changes at visits go through /visits/ interventions."""

    serializer_class = MedicationSerializer
    filterset_class = MedicationFilter

    def get_queryset(self):
        return medications_visible_to(self.request.user).select_related("patient")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.readable(self.filter_queryset(self.get_queryset())))
        self.audit(page, "medication_list")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        medication = self.opened(self.get_object(), "medication")
        self.audit([medication], "medication")
        return Response(self.get_serializer(medication).data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        patient = data.pop("patient")
        self.may_change(patient)
        serializer.instance = services.medication_add(patient=patient, by=self.request.user, **data)


class SupplySerializer(serializers.ModelSerializer):
    patient = ClinicalPatientField()

    class Meta:
        model = Supply
        fields = [
            "id",
            "patient",
            "medicine",
            "medication",
            "dispensed_on",
            "quantity",
            "source",
            "created_at",
        ]
        read_only_fields = ["medication", "source", "created_at"]
        validators = []


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    summary = serializers.CharField()
    working = serializers.ListField(child=serializers.CharField())


class SuppliesAddedSerializer(serializers.Serializer):
    added = SupplySerializer(many=True)
    skipped = serializers.IntegerField(help_text="Rows already in the history.")
    findings = FindingSerializer(
        many=True, help_text="Red flags derived from the history, with the working."
    )
    referrals = ReferralSerializer(many=True)


class SupplyUploadSerializer(serializers.Serializer):
    patient = ClinicalPatientField()
    file = serializers.FileField(help_text=services.SUPPLY_CSV_HELP, allow_empty_file=True)


class SupplyViewSet(
    ClinicalViewMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Dispensing history; each addition re-derives the red flags."""

    serializer_class = SupplySerializer
    filterset_class = PatientFilter

    def get_queryset(self):
        return supplies_visible_to(self.request.user).select_related("patient")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.readable(self.filter_queryset(self.get_queryset())))
        self.audit(page, "supply_list")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _respond(self, result):
        context = self.get_serializer_context()
        return Response(
            {
                "added": SupplySerializer(result.supplies, many=True, context=context).data,
                "skipped": result.skipped,
                "findings": [
                    {"code": f.code, "summary": f.summary, "working": list(f.working)}
                    for f in result.findings
                ],
                "referrals": ReferralSerializer(result.referrals, many=True, context=context).data,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={201: SuppliesAddedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        patient = data.pop("patient")
        if not request.user.has_perm("medicines.change_medicines", patient):
            raise exceptions.PermissionDenied("Your role may not record dispensing.")
        return self._respond(services.supplies_add(patient=patient, by=request.user, rows=[data]))

    @extend_schema(
        description=(
            "Add dispensings from a CSV file. "
            f"{services.SUPPLY_CSV_HELP} A larger file is refused (400) whole, never cut "
            'short; a file that cannot be read gives 400 `{"file": ["Line N: ...", ...]}` '
            "naming each bad line. Nothing is saved unless every row is valid."
        ),
        request={"multipart/form-data": SupplyUploadSerializer},
        responses={201: SuppliesAddedSerializer},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request):
        body = SupplyUploadSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        patient = body.validated_data["patient"]
        if not request.user.has_perm("medicines.change_medicines", patient):
            raise exceptions.PermissionDenied("Your role may not record dispensing.")
        rows = services.read_supplies_csv(body.validated_data["file"])  # 400 naming the line
        return self._respond(
            services.supplies_add(
                patient=patient, by=request.user, rows=rows, source=Supply.Source.CSV
            )
        )


class ReviewSerializer(serializers.ModelSerializer):
    patient = ClinicalPatientField()
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = MedicationReview
        fields = [
            "id",
            "patient",
            "visit",
            "reviewed_on",
            "reviewer",
            "outcome",
            "agreed_actions",
            "created_at",
        ]
        read_only_fields = ["visit", "created_at"]


class ReviewViewSet(
    ClinicalViewMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = ReviewSerializer
    filterset_class = PatientFilter

    def get_queryset(self):
        return reviews_visible_to(self.request.user).select_related("patient", "reviewer")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.readable(self.filter_queryset(self.get_queryset())))
        self.audit(page, "review_list")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        patient = data.pop("patient")
        self.may_change(patient)
        serializer.instance = services.medication_review_record(
            patient=patient, by=self.request.user, **data
        )
