"""POST /api/v1/subject-access/: the subject access bundle for the network's IG lead."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ScopedAPIMixin

from .selectors import governed_network, subject_access_bundle
from .services import subject_access_request_answer


class SubjectAccessInput(serializers.Serializer):
    network = serializers.SlugField(
        required=False, help_text="Network slug; may be left out when you govern one only."
    )
    nhs_number = serializers.CharField(max_length=20, help_text="10 digits, spaces allowed.")
    reference = serializers.CharField(
        max_length=200,
        help_text="The request's reference, e.g. the date of the person's letter.",
    )


class SubjectAccessView(ScopedAPIMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Everything ICN holds about one person (a subject access request).",
        description="For the network's information governance lead only (other roles 403, "
        "a network you are not in 404). A POST because it records the request (a "
        "`SubjectAccessRequest` row and a `subject_access` event in the access trail) and "
        "keeps the NHS number out of addresses and logs. The bundle lists every table that "
        "holds rows about the person (found by walking the models' relations to the "
        "record, history tables included), each with its columns' labels and its rows; a "
        "choice is `{code, label}`, a link `{id, label|name}`. No one with that NHS number "
        "in the network -> 400 (the request is still recorded, as a `not_found` look), "
        "saying when the record was erased if it was.",
        request=SubjectAccessInput,
        responses={
            200: inline_serializer(
                "SubjectAccessBundle",
                {
                    "format": serializers.CharField(),
                    "generated_at": serializers.DateTimeField(),
                    "request": serializers.DictField(),
                    "network": serializers.DictField(),
                    "person": serializers.DictField(),
                    "tables": serializers.ListField(child=serializers.DictField()),
                },
            ),
            404: OpenApiResponse(
                inline_serializer("SubjectAccessNoNetwork", {"detail": serializers.CharField()}),
                description="The network named is not among the caller's.",
            ),
        },
        examples=[
            OpenApiExample(
                "Request",
                request_only=True,
                value={
                    "network": "thornton-heath",
                    "nhs_number": "999 000 0018",
                    "reference": "Letter of 3 March 2026",
                },
            )
        ],
    )
    def post(self, request):
        data = SubjectAccessInput(data=request.data)
        data.is_valid(raise_exception=True)
        network = governed_network(request.user, data.validated_data.get("network", ""))
        answer = subject_access_request_answer(
            network=network,
            nhs_number=data.validated_data["nhs_number"],
            reference=data.validated_data["reference"],
            channel="api",
            by=request.user,
            path=request.path,
        )
        if answer.patient is None:
            raise ValidationError({"nhs_number": [answer.not_held_message()]})
        return Response(subject_access_bundle(answer.request))
