"""The evaluation (issue #19): `GET /api/v1/reports/evaluation/?network=&from=&to=`, the MDT's
own estimate beside measured admissions before and after, and beside a matched comparison
group (reports/evaluation.py has the figures and how they are made)."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ScopedAPIMixin
from core.replica import reads_from_replica

from .api import PERIOD, resolve_scope
from .evaluation import evaluation


def _left_out(name: str):
    return inline_serializer(
        name,
        {"reason": serializers.CharField(), "people": serializers.IntegerField()},
        many=True,
    )


def _ratio_fields() -> dict:
    return {
        "rate_ratio": serializers.FloatField(allow_null=True),
        "ci95": serializers.ListField(
            child=serializers.FloatField(), allow_null=True, help_text="[low, high], 95%."
        ),
        "reason": serializers.CharField(
            allow_null=True, help_text="Why there is no ratio (e.g. no admissions on one side)."
        ),
        "caveats": serializers.ListField(child=serializers.CharField()),
    }


_CAVEATS = serializers.ListField(child=serializers.CharField())
EVALUATION = inline_serializer(
    "Evaluation",
    {
        "network": serializers.SlugField(),
        "from": serializers.CharField(help_text="YYYY-MM"),
        "to": serializers.CharField(help_text="YYYY-MM"),
        "today": serializers.DateField(help_text="Follow-up runs to this day."),
        "estimate": inline_serializer(
            "EvaluationEstimate",
            {
                "yes": serializers.IntegerField(),
                "no": serializers.IntegerField(),
                "unsure": serializers.IntegerField(),
                "not_answered": serializers.IntegerField(),
                "discharges": serializers.IntegerField(),
                "caveats": _CAVEATS,
            },
        ),
        "before_after": inline_serializer(
            "EvaluationBeforeAfter",
            {
                "discharged": serializers.IntegerField(),
                "people": serializers.IntegerField(help_text="Followed long enough: counted."),
                "left_out": _left_out("EvaluationBeforeAfterLeftOut"),
                "window_days": serializers.IntegerField(),
                "min_follow_days": serializers.IntegerField(),
                "person_days": serializers.IntegerField(help_text="Each side (equal)."),
                "admissions_before": serializers.IntegerField(),
                "admissions_after": serializers.IntegerField(),
                **_ratio_fields(),
            },
        ),
        "comparison": inline_serializer(
            "EvaluationComparison",
            {
                "method": serializers.CharField(),
                "window_days": serializers.IntegerField(),
                "min_follow_days": serializers.IntegerField(),
                "caseload": inline_serializer(
                    "EvaluationCaseload",
                    {
                        "people": serializers.IntegerField(),
                        "followed": serializers.IntegerField(),
                        "matched": serializers.IntegerField(),
                        "unmatched": serializers.IntegerField(),
                        "left_out": _left_out("EvaluationCaseloadLeftOut"),
                        "person_days": serializers.IntegerField(),
                        "admissions": serializers.IntegerField(),
                    },
                ),
                "comparison_group": inline_serializer(
                    "EvaluationComparisonGroup",
                    {
                        "people": serializers.IntegerField(),
                        "eligible": serializers.IntegerField(),
                        "matched": serializers.IntegerField(),
                        "left_out": _left_out("EvaluationComparisonLeftOut"),
                        "person_days": serializers.IntegerField(),
                        "admissions": serializers.IntegerField(),
                    },
                ),
                **_ratio_fields(),
            },
        ),
        "caveats": _CAVEATS,
    },
)

DESCRIPTION = (
    "For one network and period (whole months, Europe/London; the last twelve by default): "
    "(a) `estimate`: the discharges in the period by the MDT's answer to 'have we avoided an "
    "admission?'. (b) `before_after`: the people discharged in the period (their first "
    "discharge), each followed for w = min(EVALUATION_WINDOW_DAYS, days since discharge) days; "
    "people followed for fewer than EVALUATION_MIN_FOLLOW_DAYS are left out and counted. "
    "Emergency admissions in the w days before the episode opened against the w days after it "
    "closed; the rate ratio after/before with its 95% interval (log method). (c) `comparison`: "
    "people whose episode opened in the period against people referred to the MDT in the "
    "period and declined or withdrawn (and not on the caseload from 365 days before the "
    "referral to the end of follow-up), both followed for w days after the index day; exact "
    "1:1 matching without replacement on age band, frailty band (latest eFI or CFS on or "
    "before the index) and prior emergency admissions (365 days); the rate ratio "
    "caseload/comparison over matched people. With no admissions on a side there is no ratio, "
    "and `reason` says why. `caveats` are plain sentences to show beside the figures; no "
    "person is named. The chair, integrated manager, manager or commissioner of the network; "
    "other roles 403; a network you are not in 404; a bad period 400."
)


class EvaluationView(ScopedAPIMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The MDT's estimate beside measured admissions and a matched comparison.",
        description=DESCRIPTION,
        parameters=[
            OpenApiParameter("network", OpenApiTypes.STR, required=True, description="Slug."),
            *PERIOD,
        ],
        responses={200: EVALUATION},
    )
    @reads_from_replica
    def get(self, request):
        params = request.query_params
        slug = params.get("network", "")
        if not slug:
            raise ValidationError({"network": ["Give the network's slug."]})
        scope = resolve_scope(request.user, [slug], params.get("from", ""), params.get("to", ""))
        today = timezone.localdate()
        figures = evaluation(scope.network_ids[0], scope.first, scope.last, today)
        return Response(
            {
                "network": slug,
                "from": f"{scope.first:%Y-%m}",
                "to": f"{scope.last:%Y-%m}",
                "today": today,
                **figures,
            }
        )
