"""The API of medicines from dm+d: searching the loaded release, and a GP medication list
(a FHIR Bundle) staged for the pharmacist to reconcile (medicines.gp_import, services)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_record
from dmd.selectors import products_matching
from patients.access import open_patient

from . import gp_import, services
from .api import ClinicalViewMixin
from .models import MedicationImport, MedicationImportLine


class DmdProductSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="VPID, APID or VTMID.")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["vmp", "amp", "vtm"])
    form = serializers.CharField(help_text="The VMP's form where the release gives it, or empty.")
    strength = serializers.CharField(help_text="Where the release gives it simply, or empty.")
    vmp_code = serializers.CharField(help_text="An AMP's VMP; empty for others.")


class DmdSearchView(ClinicalViewMixin, APIView):
    """dm+d products whose name has words starting with the query's words (any case), or the
    product with the query as its code: VMPs first, then AMPs, then VTMs, at most 25.
    Reference data: no person's data, so no access event."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", str, required=True, description="Words of the name, or a dm+d code."
            )
        ],
        responses=DmdProductSerializer(many=True),
    )
    def get(self, request):
        q = request.query_params.get("q", "")
        if len(q) > 100:
            raise exceptions.ValidationError({"q": ["At most 100 characters."]})
        return Response(DmdProductSerializer(products_matching(q), many=True).data)


class ImportLineSerializer(serializers.ModelSerializer):
    dose = serializers.CharField(source="dose_display", read_only=True)

    class Meta:
        model = MedicationImportLine
        fields = [
            "id",
            "position",
            "name",
            "dmd_code",
            "status",
            "dose",
            "dose_text",
            "dose_amount",
            "dose_unit",
            "frequency",
            "route",
            "dose_not_held",
            "match",
            "medication",
            "decision",
            "decided_at",
        ]
        read_only_fields = fields


class MedicationImportSerializer(serializers.ModelSerializer):
    lines = ImportLineSerializer(many=True, read_only=True)
    reconcile_url = serializers.SerializerMethodField(
        help_text="The page where the pharmacist decides each line."
    )

    class Meta:
        model = MedicationImport
        fields = ["id", "patient", "channel", "created_at", "lines", "reconcile_url"]
        read_only_fields = fields

    def get_reconcile_url(self, staged) -> str:
        return reverse("medicines:gp_import", args=[staged.patient_id, staged.pk])


class FhirJSONParser(JSONParser):
    media_type = "application/fhir+json"


class MedicationImportView(ClinicalViewMixin, generics.GenericAPIView):
    """A GP medication list for one person, staged for reconciliation."""

    serializer_class = MedicationImportSerializer
    parser_classes = [JSONParser, FhirJSONParser]

    def initial(self, request, *args, **kwargs):
        request._request.body  # noqa: B018 - the Bundle's text as sent, kept before DRF parses it
        super().initial(request, *args, **kwargs)

    @extend_schema(
        summary="Stage a GP medication list (a FHIR Bundle of MedicationStatements).",
        description=(
            gp_import.HELP
            + " Each statement becomes a line matched to the reconciled list by dm+d code "
            "(new, same, differs, not_coded); nothing on the list changes until the "
            "pharmacist decides each line on the reconcile page. A statement about another "
            "person (another NHS number) refuses the whole Bundle; nothing is saved."
        ),
        request={
            "application/fhir+json": OpenApiTypes.OBJECT,
            "application/json": OpenApiTypes.OBJECT,
        },
        responses={201: MedicationImportSerializer},
    )
    def post(self, request, pk: int):
        patient = open_patient(
            user=request.user, pk=pk, what="medication_import", channel="api", path=request.path
        )
        self.may_change(patient)
        try:
            source_text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.ValidationError({"bundle": ["The Bundle is not UTF-8 text."]}) from exc
        staged = services.medication_import_stage(
            patient=patient,
            by=request.user,
            source_text=source_text,
            channel=MedicationImport.Channel.API,
        )
        staged = MedicationImport.objects.prefetch_related("lines").get(pk=staged.pk)
        access_record(
            user=request.user,
            patients=[patient],
            what="medication_import",
            channel="api",
            path=request.get_full_path(),
        )
        return Response(MedicationImportSerializer(staged).data, status=status.HTTP_201_CREATED)
