from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from audit.models import AccessEvent, BreakGlass
from audit.selectors import access_events_for_patient, glass_broken_patient_ids
from audit.services import access_record
from core import nhs_number
from core.api import RowsOfPage, ScopedAPIMixin
from core.csv_upload import CsvProblems
from core.fields import StrictCharField
from core.rows import ListRows
from networks.models import Membership, Network, Organisation
from networks.roles import RECORD_ROLES, Role
from networks.selectors import active_memberships, network_by_slug_for, network_ids_where

from . import services
from .access import open_patient
from .frailty import SCALE_UNKNOWN
from .involvement import clinical_access, clinical_patient_ids
from .models import FrailtyAssessment, FrailtyScale, Goal, Patient
from .restricted import seal_clinical_notes
from .selectors import (
    NOT_THE_NETWORKS,
    latest_frailty_scores,
    organisation_of_network,
    patient_list,
    patient_search,
    patients_auditable_by,
    patients_in_user_networks,
)


class NhsNumberField(StrictCharField):
    """10 digits; spaces (or hyphens) allowed on input; modulus-11 checked."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 14)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        from django.core.exceptions import ValidationError

        try:
            return nhs_number.validate(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


# Shown with the clinical fields, to the roles that see them.
NOTES_RESTRICTION = ("clinical_notes_restricted", "clinical_notes_restricted_by")


class PatientSerializer(serializers.ModelSerializer):
    nhs_number = NhsNumberField()
    nhs_number_display = serializers.CharField(read_only=True)
    network = serializers.SlugRelatedField(slug_field="slug", queryset=Network.objects.all())
    gp_practice = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Organisation.objects.filter(kind=Organisation.Kind.GP_PRACTICE),
        required=False,
        allow_null=True,
        help_text="ODS code of one of the network's GP practices.",
        error_messages={"does_not_exist": NOT_THE_NETWORKS["gp_practice"]},
    )
    care_home = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Organisation.objects.filter(kind=Organisation.Kind.CARE_HOME),
        required=False,
        allow_null=True,
        help_text="Code of one of the care homes the network supports.",
        error_messages={"does_not_exist": NOT_THE_NETWORKS["care_home"]},
    )
    key_worker = serializers.SerializerMethodField()
    consent_recorded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    clinical_notes_restricted = serializers.BooleanField(
        read_only=True,
        help_text="Clinical: the notes are restricted; `clinical_notes` is then null to all "
        "but the member who restricted them, the key worker, the chair and whoever broke "
        "the glass on the person.",
    )
    clinical_notes_restricted_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Patient
        fields = [
            "id",
            "nhs_number",
            "nhs_number_display",
            "given_name",
            "family_name",
            "date_of_birth",
            "network",
            "gp_practice",
            "care_home",
            "address",
            "postcode",
            "phone",
            "key_worker",
            "notes_for_visitors",
            "social_needs",
            "what_matters",
            "frailty",
            "caseload_reason",
            "clinical_notes",
            "clinical_notes_restricted",
            "clinical_notes_restricted_by",
            "care_needs",
            "consent_mdt",
            "consent_sharing",
            "consent_best_interest_by",
            "consent_best_interest_on",
            "consent_recorded_by",
            "consent_recorded_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["consent_recorded_at", "created_at", "updated_at"]
        # Sent with the clinical fields, only to those who read them (to_representation).
        omitted_for_some = NOTES_RESTRICTION
        # Uniqueness is the database's job; the service turns a duplicate into 409.
        validators = []
        extra_kwargs = {
            "frailty": {
                "help_text": "Clinical: omitted for roles that may not see clinical details."
            },
            "caseload_reason": {"help_text": "Clinical: why the person is on the caseload."},
            "clinical_notes": {
                "help_text": "Clinical; null when restricted and you may not read them "
                "(null sent is taken as empty).",
                "allow_null": True,
            },
            "consent_sharing": {
                "help_text": "Consent to share with the voluntary sector: a referral to the "
                "`pic` service needs `given` or `best_interest`. Changing it to `refused` "
                "withdraws open `pic` referrals and closes the PIC's open tasks."
            },
            "consent_mdt": {
                "help_text": "Consent to discussion at the MDT: `refused` takes the person off "
                "agendas of meetings not yet held, and none may add them."
            },
            "consent_best_interest_by": {
                "help_text": "Who took the best-interests decision (name and role): required "
                "while either consent is `best_interest`."
            },
            "consent_best_interest_on": {
                "help_text": "When the best-interests decision was taken (default today)."
            },
        }

    def get_key_worker(self, patient) -> str | None:
        kw = patient.key_worker
        return kw.user.get_username() if kw else None

    def validate_clinical_notes(self, value):
        return value or ""

    def validate_network(self, network):
        user = self.context["request"].user
        if network_by_slug_for(user, network.slug) is None:
            raise serializers.ValidationError(
                f"You are not a member of a network '{network.slug}'."
            )
        if self.instance is not None and network.pk != self.instance.network_id:
            raise serializers.ValidationError("A person cannot be moved to another network here.")
        return network

    def validate(self, attrs):
        attrs = super().validate(attrs)
        network = attrs.get("network") or getattr(self.instance, "network", None)
        if network is not None:
            errors = {}
            for field in ("gp_practice", "care_home"):
                organisation = attrs.get(field)
                unchanged = self.instance is not None and (
                    getattr(self.instance, f"{field}_id") == getattr(organisation, "pk", None)
                )
                if (
                    organisation is not None
                    and not unchanged
                    and not organisation_of_network(network, organisation)
                ):
                    errors[field] = [NOT_THE_NETWORKS[field]]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs

    def to_internal_value(self, data):
        # Unknown slugs must read the same as slugs of networks the caller is not in.
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict) and "network" in detail and isinstance(data, dict):
                detail["network"] = [f"You are not a member of a network '{data.get('network')}'."]
            raise

    def to_representation(self, patient):
        data = super().to_representation(patient)
        user = self.context["request"].user
        if not user.has_perm("patients.view_clinical", patient):
            for field in (*services.CLINICAL_FIELDS, *NOTES_RESTRICTION):
                data.pop(field, None)
        elif seal_clinical_notes(user, patient).clinical_notes_sealed:
            data["clinical_notes"] = None
        return data


class GoalSerializer(serializers.ModelSerializer):
    agreed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    outcome_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Goal
        fields = [
            "id",
            "description",
            "agreed_on",
            "agreed_by",
            "outcome",
            "outcome_on",
            "outcome_by",
            "outcome_note",
        ]
        read_only_fields = fields


class FrailtyScoreSerializer(serializers.Serializer):
    """A person's latest score on one frailty scale."""

    score = serializers.SerializerMethodField(
        help_text='eFI: a decimal 0 to 1 (as a string, "0.19"); CFS: a whole number 1 to 9.'
    )
    assessed_on = serializers.DateField()
    band = serializers.CharField(help_text='The score\'s band, such as "Mild frailty".')

    @extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
    def get_score(self, assessment) -> str | int | None:
        return _score(assessment)


def _score(assessment: FrailtyAssessment) -> str | int | None:
    score = assessment.score
    return str(score) if isinstance(score, Decimal) else score


class FrailtyAssessmentSerializer(serializers.ModelSerializer):
    """A frailty assessment as recorded: `score` on its `scale`, and the frailty level it
    sets (`frailty`: fit, mild, moderate or severe)."""

    score = serializers.SerializerMethodField()
    band = serializers.CharField(read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = FrailtyAssessment
        fields = ["id", "scale", "score", "band", "frailty", "assessed_on", "recorded_by"]
        read_only_fields = fields

    @extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
    def get_score(self, assessment) -> str | int | None:
        return _score(assessment)


class FrailtyRecordSerializer(serializers.Serializer):
    """A scored assessment to record. The score's range depends on the scale, and the
    service checks it (patients.frailty)."""

    scale = serializers.ChoiceField(
        choices=FrailtyScale.choices,
        error_messages={"invalid_choice": SCALE_UNKNOWN},
        help_text="efi (electronic Frailty Index) or cfs (Clinical Frailty Scale).",
    )
    score = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        help_text="eFI: a decimal 0 to 1 with at most two places; CFS: a whole number 1 to 9.",
    )
    assessed_on = serializers.DateField(help_text="Not in the future, not before 1900.")


class PatientDetailSerializer(PatientSerializer):
    """One person's record, with the goals agreed with them ("what matters to me") and
    their outcomes: social, so the PIC sees them too; and (clinical roles) the latest eFI
    and CFS scores."""

    goals = serializers.SerializerMethodField()
    efi = serializers.SerializerMethodField(
        help_text="Clinical: the latest eFI score; null if none, or for roles that may not see it."
    )
    cfs = serializers.SerializerMethodField(
        help_text="Clinical: the latest CFS score; null if none, or for roles that may not see it."
    )
    clinical_access = serializers.SerializerMethodField(
        help_text=(
            "Why the clinical fields are or are not here: `full` (involved in the person's "
            "care, or the network opens everyone to its clinical members), `break_glass` (a "
            "live grant), `not_involved` (left out: POST .../break-glass/ to open them) or "
            "`role` (the caller's role reads no clinical detail)."
        )
    )

    class Meta(PatientSerializer.Meta):
        fields = [*PatientSerializer.Meta.fields, "goals", "efi", "cfs", "clinical_access"]

    def get_clinical_access(self, patient) -> str:
        return clinical_access(self.context["request"].user, patient)

    @extend_schema_field(GoalSerializer(many=True))
    def get_goals(self, patient) -> list:
        goals = patient.goals.select_related("agreed_by", "outcome_by")
        return GoalSerializer(goals, many=True).data

    def _latest(self, patient, scale: str) -> dict | None:
        if not self.context["request"].user.has_perm("patients.view_clinical", patient):
            return None  # clinical: not read at all for the roles that may not see it
        if not hasattr(patient, "_latest_frailty"):
            patient._latest_frailty = latest_frailty_scores([patient.pk]).get(patient.pk, {})
        assessment = patient._latest_frailty.get(scale)
        return FrailtyScoreSerializer(assessment).data if assessment else None

    @extend_schema_field(FrailtyScoreSerializer(allow_null=True))
    def get_efi(self, patient) -> dict | None:
        return self._latest(patient, FrailtyScale.EFI)

    @extend_schema_field(FrailtyScoreSerializer(allow_null=True))
    def get_cfs(self, patient) -> dict | None:
        return self._latest(patient, FrailtyScale.CFS)


NO_BREAK_GLASS = "Your role may not read clinical detail, so it may not break the glass."


class BreakGlassSerializer(serializers.Serializer):
    """Why a member not involved in the person's care must read their clinical detail now."""

    reason_code = serializers.ChoiceField(
        choices=BreakGlass.Reason.choices,
        error_messages={"invalid_choice": "Choose why you need to break the glass."},
    )
    reason = StrictCharField(
        max_length=2000, help_text="In your own words: why you need this person's record now."
    )


class _Seen(NamedTuple):
    """A person shown in a list, as the access trail needs them."""

    pk: int
    network_id: int


_moment = serializers.DateTimeField().to_representation

# The list's rows, from PatientSerializer's own fields (core.rows): where each is read from
# and how it is shown. `id` and `network_id` come first, for the access trail.
PATIENT_ROWS = ListRows(
    PatientSerializer,
    first=("id", "network_id"),
    columns={
        "nhs_number_display": "nhs_number",
        "network": "network_id",
        "gp_practice": "row_gp_practice",
        "care_home": "row_care_home",
        "key_worker": "row_key_worker",
        "consent_recorded_by": "row_consent_recorded_by",
        "clinical_notes_restricted_by": "row_notes_restricted_by",
    },
    show={
        "nhs_number_display": nhs_number.display,
        "date_of_birth": date.isoformat,
        "care_needs": list,
        "consent_recorded_at": _moment,
        "consent_best_interest_on": date.isoformat,
        "created_at": _moment,
        "updated_at": _moment,
    },
)


def _username(column: str) -> Subquery:
    users = get_user_model().objects.filter(pk=OuterRef(column))
    return Subquery(users.values("username")[:1])


def _code(column: str) -> Subquery:
    return Subquery(Organisation.objects.filter(pk=OuterRef(column)).values("code")[:1])


# The list's related columns (PATIENT_ROWS: row_*) as scalar subqueries, not joins: with five
# LEFT JOINs PostgreSQL spent ~8 ms planning the page's query, which ran in 0.4 ms.
PATIENT_ROW_COLUMNS = {
    "row_gp_practice": _code("gp_practice_id"),
    "row_care_home": _code("care_home_id"),
    "row_key_worker": Subquery(
        Membership.objects.filter(pk=OuterRef("key_worker_id")).values("user__username")[:1]
    ),
    "row_consent_recorded_by": _username("consent_recorded_by_id"),
    "row_notes_restricted_by": _username("clinical_notes_restricted_by_id"),
}


def patient_list_rows(rows, *, user) -> list[dict]:
    """What PatientSerializer(many=True) gives for rows of PATIENT_ROWS.columns, built
    directly: the same fields, order and formats (tests/patients/test_api.py compares the
    two), with the clinical-field decision (patients.involvement) taken for the page's people
    at once, not once a row."""
    rows = list(rows)
    slugs = {nid: m.network.slug for nid, m in active_memberships(user).items()}
    opened = clinical_patient_ids(user, [_Seen(row[0], row[1]) for row in rows])
    hidden = frozenset((*services.CLINICAL_FIELDS, *NOTES_RESTRICTION))
    built = PATIENT_ROWS.build(
        rows,
        show={"network": slugs.__getitem__},
        omit=lambda row: frozenset() if row["id"] in opened else hidden,
    )
    # Restricted clinical notes the user may not read: null (patients.restricted), decided by
    # the usernames the rows carry and one query for break-glass grants, when any is met.
    sealed = [
        (row, person)
        for row, person in zip(rows, built, strict=True)
        if person.get("clinical_notes_restricted")
        and user.get_username()
        not in (person.get("clinical_notes_restricted_by"), person.get("key_worker"))
        and row[1] not in network_ids_where(user, {Role.CHAIR})
    ]
    broken = glass_broken_patient_ids(user, [row[0] for row, _ in sealed]) if sealed else set()
    for row, person in sealed:
        if row[0] not in broken:
            person["clinical_notes"] = None
    return built


class PatientFilter(filters.FilterSet):
    network = filters.CharFilter(field_name="network__slug", help_text="Network slug.")
    q = filters.CharFilter(method="search", help_text="Name or NHS number (spaces allowed).")

    class Meta:
        model = Patient
        fields = ["network", "q"]

    def search(self, queryset, name, value):

        return patient_search(queryset, value)


class PatientImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=services.IMPORT_HELP, allow_empty_file=True)
    network = serializers.CharField(
        required=False, help_text="Network slug: needed if you are a member of several."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check the file and count what it would do; save nothing."
    )


class PatientImportedSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()


class ImportErrorsSerializer(serializers.Serializer):
    # A bad row: `errors`. Any other invalid input (e.g. a NUL in a field's name): the API's
    # usual {"field": ["message"]}, so `errors` is not always there.
    errors = ImportErrorSerializer(many=True, required=False)


def import_network(user, slug: str | None) -> Network:
    """The network a file of people goes into: the one named, or the caller's only one."""
    if slug:
        network = network_by_slug_for(user, slug)
        if network is None:
            raise exceptions.ValidationError(
                {"network": [f"You are not a member of a network '{slug}'."]}
            )
        return network
    memberships = list(active_memberships(user).values())
    if len(memberships) != 1:
        raise exceptions.ValidationError(
            {"network": ["Name the network (its slug): you are a member of several."]}
        )
    return memberships[0].network


def _import_errors(problems) -> Response:
    """400 {"errors": [{"line", "field", "message"}]}; a {field: [messages]} of the body's
    own fields (no line) is given the same shape."""
    if isinstance(problems, dict):
        problems = [
            {"line": None, "field": field, "message": str(m)}
            for field, messages in problems.items()
            for m in messages
        ]
    return Response({"errors": problems}, status=400)


class AccessEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessEvent
        fields = ["at", "username", "role", "what", "channel", "outcome"]


CONSENT_FIELDS = services.CONSENT_FIELDS


@extend_schema_view(
    list=extend_schema(summary="People in the caller's networks; search by name or NHS number."),
    retrieve=extend_schema(summary="A person's record (clinical fields only for clinical roles)."),
)
class PatientViewSet(
    ScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PatientSerializer
    filterset_class = PatientFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def handle_exception(self, exc):
        """The import answers every invalid request in its own shape (ImportErrors), the
        checks every API view makes first (e.g. a NUL character in a field's name) too."""
        invalid = isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict)
        if self.action == "import_csv" and invalid:
            return _import_errors(exc.detail)
        return super().handle_exception(exc)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PatientDetailSerializer
        return super().get_serializer_class()

    def get_queryset(self):
        return patient_list(self.request.user).select_related(
            "key_worker__user", "consent_recorded_by"
        )

    def get_object(self):
        what = "detail" if self.request.method == "GET" else "edit"
        return open_patient(
            user=self.request.user,
            pk=self.kwargs["pk"],
            what=what,
            channel="api",
            path=self.request.path,
        )

    def list(self, request, *args, **kwargs):
        if not network_ids_where(request.user, RECORD_ROLES):
            raise exceptions.PermissionDenied("Your role may not open people's records.")
        # Plain rows rather than model instances through the serializer's fields: the same
        # JSON (patient_list_rows), a fraction of the work per row.
        queryset = self.filter_queryset(patient_list(request.user))
        page = self.paginate_queryset(
            RowsOfPage(queryset, PATIENT_ROWS.columns, PATIENT_ROW_COLUMNS)
        )
        what = "search" if request.query_params.get("q") else "list"
        access_record(
            user=request.user,
            patients=[_Seen(row[0], row[1]) for row in page],
            what=what,
            channel="api",
            path=request.get_full_path(),
        )
        return self.get_paginated_response(patient_list_rows(page, user=request.user))

    def retrieve(self, request, *args, **kwargs):
        patient = self.get_object()
        access_record(
            user=request.user, patients=[patient], what="detail", channel="api", path=request.path
        )
        return Response(self.get_serializer(patient).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        network = data.pop("network")
        if not request.user.has_perm("patients.add_patient", network):
            raise exceptions.PermissionDenied("Your role may not add people.")
        patient = self._save(
            services.patient_create,
            data,
            network=network,
            clinical_allowed=request.user.has_perm("patients.change_clinical", network),
        )
        return Response(self.get_serializer(patient).data, status=201)

    def partial_update(self, request, *args, **kwargs):
        patient = self.get_object()
        if not request.user.has_perm("patients.change_patient", patient):
            raise exceptions.PermissionDenied("Your role may not change people's records.")
        serializer = self.get_serializer(patient, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("network", None)
        if any(f in data for f in CONSENT_FIELDS) and not request.user.has_perm(
            "patients.record_consent", patient
        ):
            raise exceptions.PermissionDenied("Your role may not record consent.")
        patient = self._save(
            services.patient_update,
            data,
            patient=patient,
            clinical_allowed=request.user.has_perm("patients.change_clinical", patient),
        )
        # The response is the whole record, as a read is.
        access_record(
            user=request.user, patients=[patient], what="edit", channel="api", path=request.path
        )
        return Response(self.get_serializer(patient).data)

    def _save(self, write, data: dict, **kwargs) -> Patient:
        """Write the record and, when consent fields came with it, record who gave which
        consent and when, all in one transaction."""
        consent = {f: data.pop(f) for f in CONSENT_FIELDS if f in data}
        with transaction.atomic():
            patient = write(by=self.request.user, **kwargs, **data)
            if consent:
                current = {f: getattr(patient, f) for f in CONSENT_FIELDS}
                services.patient_record_consent(
                    patient=patient, by=self.request.user, **{**current, **consent}
                )
        return patient

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        summary="Add or update the network's people from a CSV file (matched by NHS number).",
        description=(
            f"{services.IMPORT_HELP} A row that changes nothing counts as `unchanged`, so the "
            "same file imported again changes nothing. Any bad row, or a file that cannot be "
            'read, gives 400 `{"errors": [{"line", "field", "message"}]}` and nothing is '
            "saved; with `dry_run` nothing is saved either."
        ),
        request={"multipart/form-data": PatientImportSerializer},
        responses={200: PatientImportedSerializer, 400: ImportErrorsSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=PatientImportSerializer,
    )
    def import_csv(self, request):
        try:
            network = import_network(request.user, request.data.get("network"))
        except exceptions.ValidationError as exc:
            return _import_errors(exc.detail)
        if not request.user.has_perm("patients.add_patient", network):
            raise exceptions.PermissionDenied("Your role may not add people.")
        body = PatientImportSerializer(data=request.data)
        if not body.is_valid():
            return _import_errors(body.errors)
        try:
            rows = services.read_patients_csv(body.validated_data["file"])
        except CsvProblems as exc:
            return _import_errors(
                [{"line": line, "field": "file", "message": m} for line, m in exc.problems]
            )
        dry_run = body.validated_data["dry_run"]
        result = services.patients_import(
            network=network, rows=rows, by=request.user, dry_run=dry_run
        )
        if result.errors:
            return _import_errors(result.errors)
        access_record(
            user=request.user,
            patients=[r.patient for r in result.rows if r.patient and r.patient.pk],
            what="import_check" if dry_run else "import",
            channel="api",
            path=request.path,
        )
        return Response(result.counts)

    @extend_schema(
        summary="Record a frailty assessment: an eFI or CFS score (clinical roles).",
        request=FrailtyRecordSerializer,
        responses={201: FrailtyAssessmentSerializer},
    )
    @action(detail=True, methods=["post"], url_path="frailty", serializer_class=None)
    def frailty(self, request, pk=None):
        patient = open_patient(
            user=request.user, pk=pk, what="frailty", channel="api", path=request.path
        )
        if not request.user.has_perm("patients.change_clinical", patient):
            raise exceptions.PermissionDenied("Your role may not record frailty.")
        serializer = FrailtyRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = services.frailty_record(
            patient=patient, by=request.user, **serializer.validated_data
        )
        access_record(
            user=request.user, patients=[patient], what="frailty", channel="api", path=request.path
        )
        return Response(FrailtyAssessmentSerializer(assessment).data, status=201)

    @extend_schema(
        summary="Break the glass: open the clinical detail of a person you are not involved with.",
        description=(
            "For roles that read clinical detail (not the PIC, managers, the IG lead, care home "
            "staff or partner systems: 403). A coded reason and a reason given (else 400, "
            "nothing saved); the grant lasts `BREAK_GLASS_HOURS`, is recorded in the person's "
            "access log as `break_glass`, and the network's IG lead is told at once. The "
            "response is the whole record, as a read is."
        ),
        request=BreakGlassSerializer,
        responses={200: PatientDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="break-glass", serializer_class=None)
    def break_glass(self, request, pk=None):
        patient = open_patient(
            user=request.user, pk=pk, what="break_glass", channel="api", path=request.path
        )
        if not request.user.has_perm("patients.break_glass", patient):
            raise exceptions.PermissionDenied(NO_BREAK_GLASS)
        body = BreakGlassSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.patient_break_glass(
            patient=patient,
            by=request.user,
            channel="api",
            path=request.path,
            **body.validated_data,
        )
        context = self.get_serializer_context()
        return Response(PatientDetailSerializer(patient, context=context).data)

    @extend_schema(
        summary="Who looked at this record (chair, integrated manager, manager).",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: AccessEventSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], url_path="access-log", serializer_class=None)
    def access_log(self, request, pk=None):
        patient = (
            patients_auditable_by(request.user).filter(pk=pk).first() if str(pk).isdigit() else None
        )
        if patient is None:
            if str(pk).isdigit() and patients_in_user_networks(request.user).filter(pk=pk).exists():
                raise exceptions.PermissionDenied(
                    "Only the chair and managers may see the access log."
                )
            raise exceptions.NotFound()
        page = self.paginate_queryset(access_events_for_patient(patient))
        access_record(
            user=request.user,
            patients=[patient],
            what="access_log",
            channel="api",
            path=request.get_full_path(),
        )
        return self.get_paginated_response(AccessEventSerializer(page, many=True).data)
