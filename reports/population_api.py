"""Population denominators over the API: GP practices' list sizes imported from a CSV, and a
network's registered population per month (reports/population.py). For the roles that read
reports (chair, integrated manager, manager) of the network."""

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ScopedAPIMixin
from core.csv_upload import CsvProblems
from networks.models import Network
from networks.roles import OVERSIGHT_ROLES, REPORT_ROLES

from . import population
from .api import PERIOD, network_scope, resolve_scope
from .figures import parse_month


class PopulationImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=population.POPULATION_HELP, allow_empty_file=True)
    network = serializers.CharField(
        required=False, help_text="Network slug: needed if you report on several."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check the file and count what it would do; save nothing."
    )


class PopulationImportedSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    dry_run = serializers.BooleanField()


class PopulationErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()


class PopulationErrorsSerializer(serializers.Serializer):
    # A bad row: `errors`. Any other invalid input (e.g. a NUL in a field's name): the API's
    # usual {"field": ["message"]}, so `errors` is not always there.
    errors = PopulationErrorSerializer(many=True, required=False)


class PopulationMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    registered = serializers.IntegerField(
        allow_null=True, help_text="Sum over the practices that reported; null if none did."
    )
    practices_reported = serializers.IntegerField()


class PracticeMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    registered = serializers.IntegerField()


class PracticePopulationSerializer(serializers.Serializer):
    ods_code = serializers.CharField()
    name = serializers.CharField()
    months = PracticeMonthSerializer(many=True)


class NetworkPopulationSerializer(serializers.Serializer):
    network = serializers.CharField()
    first = serializers.CharField(help_text="First month, YYYY-MM.")
    last = serializers.CharField(help_text="Last month, YYYY-MM.")
    practices = serializers.IntegerField(help_text="The network's GP practices now.")
    months = PopulationMonthSerializer(many=True)
    by_practice = PracticePopulationSerializer(many=True)

    def get_fields(self):
        """`from` and `to`, as the dashboard says them (not names a class can declare)."""
        fields = super().get_fields()
        fields["from"] = fields.pop("first")
        fields["to"] = fields.pop("last")
        return fields


def _errors(problems) -> Response:
    """400 {"errors": [{"line", "field", "message"}]}; {field: [messages]} of the body's own
    fields (no line) in the same shape."""
    if isinstance(problems, dict):
        problems = [
            {"line": None, "field": name, "message": str(m)}
            for name, messages in problems.items()
            for m in messages
        ]
    return Response({"errors": problems}, status=400)


def _network(user, slug: str, roles=REPORT_ROLES) -> Network:
    """The network named (404 outside the caller's, 403 where their role does not report, or
    is not among `roles`), or the only one they report on."""
    scope = resolve_scope(user, [slug] if slug else [], "", "", roles=roles)
    if len(scope.network_ids) != 1:
        raise ValidationError({"network": ["Name the network (its slug): you report on several."]})
    return Network.objects.get(pk=scope.network_ids[0])


class PopulationImportView(ScopedAPIMixin, APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Import GP practices' registered list sizes per month from a CSV file.",
        description=(
            f"{population.POPULATION_HELP} A row equal to the figure held counts as "
            "`unchanged`, so the same file imported again changes nothing. Any bad row, or a "
            'file that cannot be read, gives 400 `{"errors": [{"line", "field", "message"}]}` '
            "and nothing is saved; with `dry_run` nothing is saved either. Chairs, integrated "
            "managers and managers of the network."
        ),
        request={"multipart/form-data": PopulationImportSerializer},
        responses={
            200: PopulationImportedSerializer,
            400: PopulationErrorsSerializer,
            404: OpenApiResponse(description="The `network` is not one of the caller's."),
        },
    )
    def post(self, request):
        try:
            # Commissioners read the denominators; the network's own oversight enters them.
            network = _network(request.user, str(request.data.get("network", "")), OVERSIGHT_ROLES)
        except ValidationError as exc:
            return _errors(exc.message_dict)
        body = PopulationImportSerializer(data=request.data)
        if not body.is_valid():
            return _errors(body.errors)
        try:
            rows = population.read_population_csv(body.validated_data["file"])
        except CsvProblems as exc:
            return _errors(
                [{"line": line, "field": "file", "message": m} for line, m in exc.problems]
            )
        dry_run = body.validated_data["dry_run"]
        result = population.population_import(
            network=network, rows=rows, by=request.user, dry_run=dry_run
        )
        if result.errors:
            return _errors(result.errors)
        return Response({**result.counts, "dry_run": dry_run})


class NetworkPopulationView(ScopedAPIMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A network's registered population per month, in total and by GP practice.",
        description=(
            "The sum of the list sizes its GP practices reported for each month of the period "
            "(default: the last twelve months), with how many reported, so a partial month "
            "shows as one. Chairs, integrated managers and managers of the network."
        ),
        parameters=[
            OpenApiParameter("network", OpenApiTypes.STR, required=True, description="Slug."),
            *PERIOD,
        ],
        responses=NetworkPopulationSerializer,
    )
    def get(self, request):
        scope = network_scope(request)
        network_id = scope.network_ids[0]
        totals = population.network_population(network_id, scope.first, scope.last)
        by_practice: dict[str, dict] = {}
        for row in population.practice_populations(network_id, scope.first, scope.last):
            practice = by_practice.setdefault(
                row["ods_code"], {"ods_code": row["ods_code"], "name": row["name"], "months": []}
            )
            practice["months"].append(
                {"month": f"{row['month']:%Y-%m}", "registered": row["registered"]}
            )
        months = []
        for key in scope.months():
            total = totals.get(parse_month(key), {})
            months.append(
                {
                    "month": key,
                    "registered": total.get("registered"),
                    "practices_reported": total.get("practices", 0),
                }
            )
        data = {
            "network": request.query_params["network"],
            "from": f"{scope.first:%Y-%m}",
            "to": f"{scope.last:%Y-%m}",
            "practices": Network.gp_practices.through.objects.filter(network_id=network_id).count(),
            "months": months,
            "by_practice": list(by_practice.values()),
        }
        return Response(NetworkPopulationSerializer(data).data)
