from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ScopedAPIMixin

from .models import Network
from .roles import Role
from .selectors import active_memberships, networks_visible_to


class TerminologySerializer(serializers.Serializer):
    network = serializers.CharField()
    meeting = serializers.CharField()
    chair = serializers.CharField()


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "13:00:00"}
)
class WallClockTimeField(serializers.TimeField):
    """A local time of day without an offset. (OpenAPI's `format: time` is RFC 3339's
    full-time, which requires one.)"""


class NetworkSerializer(serializers.ModelSerializer):
    terminology = TerminologySerializer(read_only=True)
    meeting_time = WallClockTimeField(
        required=False, help_text="Local time (Europe/London) the meetings start."
    )
    gp_practices = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Network
        fields = [
            "slug",
            "name",
            "terminology",
            "cadence",
            "vocabulary",
            "meeting_weekdays",
            "meeting_time",
            "bank_holidays",
            "gp_practices",
            "involvement_required",
        ]
        read_only_fields = ["involvement_required"]


class NetworkViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The networks the caller is an active member of."""

    serializer_class = NetworkSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self):
        return networks_visible_to(self.request.user).prefetch_related("gp_practices")


class MeNetworkSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    role_label = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    networks = MeNetworkSerializer(many=True)


class MeView(ScopedAPIMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        memberships = sorted(
            active_memberships(request.user).values(), key=lambda m: m.network.slug
        )
        data = {
            "username": request.user.get_username(),
            "name": request.user.get_full_name(),
            "networks": [
                {
                    "slug": m.network.slug,
                    "name": m.network.name,
                    "role": m.role,
                    "role_label": m.role_label,
                }
                for m in memberships
            ],
        }
        return Response(MeSerializer(data).data)
