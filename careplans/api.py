"""`GET|PUT /api/v1/patients/{id}/care-plan/` (API.md 1.1, Patients). Routed by the shell
(icn/api_urls.py): patients sits on a floor below care plans."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_record
from core.api import ScopedAPIMixin
from networks.roles import Role
from patients.access import open_patient

from . import services
from .models import CarePlan, CarePlanIntervention, CarePlanNeed, Domain
from .selectors import care_plan_for, empty_plan

User = get_user_model()


class CarePlanNeedSerializer(serializers.ModelSerializer):
    domain = serializers.ChoiceField(choices=Domain.choices)

    class Meta:
        model = CarePlanNeed
        fields = ["domain", "description"]


class CarePlanInterventionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False,
        help_text="Send back the id read to edit that intervention (and its task) in place; "
        "without it an intervention with the same wording and owner is kept as it is.",
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Username of a member of the person's network who does casework.",
        error_messages={
            "does_not_exist": services.NO_SUCH_OWNER,
            "invalid": services.NO_SUCH_OWNER,
        },
    )
    owner_role = serializers.ChoiceField(
        choices=Role.choices,
        required=False,
        allow_blank=True,
        help_text="A casework role's queue (instead of a named owner).",
    )
    task = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The task it is worked as (null without an owner).",
    )
    task_status = serializers.CharField(
        source="task.status", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = CarePlanIntervention
        fields = ["id", "description", "owner", "owner_role", "due_on", "task", "task_status"]
        extra_kwargs = {"description": {"validators": []}, "due_on": {"validators": []}}


# A care plan is read in a huddle: more rows than this is not a plan anyone can agree.
MAX_ROWS = 50


class CarePlanSerializer(serializers.ModelSerializer):
    """A person's care plan. A personal independence coordinator reads the social and
    what-matters needs only, and the interventions owned by them or the `pic` role."""

    needs = CarePlanNeedSerializer(many=True, source="shown_needs", max_length=MAX_ROWS)
    interventions = CarePlanInterventionSerializer(
        many=True, source="shown_interventions", max_length=MAX_ROWS
    )
    updated_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    version = serializers.IntegerField(
        min_value=0, help_text="The version read (0: no plan yet); a stale one gives 409."
    )

    class Meta:
        model = CarePlan
        fields = ["needs", "interventions", "review_on", "version", "updated_by", "updated_at"]
        read_only_fields = ["updated_by", "updated_at"]
        extra_kwargs = {"review_on": {"validators": [], "required": False}}


CONFLICT = inline_serializer(
    "CarePlanConflict",
    {
        "detail": serializers.CharField(),
        "current": CarePlanSerializer(help_text="The plan as someone else saved it."),
    },
)


class CarePlanView(ScopedAPIMixin, APIView):
    serializer_class = CarePlanSerializer

    def _patient(self, request, pk, what: str):
        return open_patient(user=request.user, pk=pk, what=what, channel="api", path=request.path)

    def _read(self, request, patient, what: str) -> dict:
        """The plan as the caller may read it, written to the access trail."""
        plan = care_plan_for(request.user, patient) or empty_plan(patient)
        access_record(
            user=request.user, patients=[patient], what=what, channel="api", path=request.path
        )
        return CarePlanSerializer(plan).data

    @extend_schema(summary="A person's care plan (the PIC reads its social parts).")
    def get(self, request, pk: int):
        patient = self._patient(request, pk, "care_plan")
        return Response(self._read(request, patient, "care_plan"))

    @extend_schema(
        summary="Agree or edit a person's care plan (clinical and casework roles, not the PIC).",
        description=(
            "Replaces the needs and interventions. Each intervention with an owner (a member "
            "or a role) is worked as a task on the owner's My work: created once, edited with "
            "the intervention, closed with a note when the intervention is removed."
        ),
        request=CarePlanSerializer,
        responses={200: CarePlanSerializer, 409: CONFLICT},
    )
    def put(self, request, pk: int):
        patient = self._patient(request, pk, "care_plan_edit")
        if not request.user.has_perm("careplans.change_care_plan", patient):
            raise exceptions.PermissionDenied("Your role may not change care plans.")
        serializer = CarePlanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        data["needs"] = data.pop("shown_needs")
        data["interventions"] = data.pop("shown_interventions")
        try:
            services.care_plan_save(by=request.user, patient=patient, data=data, version=version)
        except services.CarePlanConflict as conflict:
            current = self._read(request, patient, "care_plan")
            return Response({"detail": conflict.message, "current": current}, status=409)
        return Response(self._read(request, patient, "care_plan_edit"))
