from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedAPIMixin

from .models import Notification
from .selectors import notifications_for
from .services import notification_mark_read


class NotificationSerializer(serializers.ModelSerializer):
    network = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "network",
            "patient",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields


class NotificationViewSet(ScopedAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own notifications, newest first."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        return notifications_for(self.request.user).select_related("network")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = notification_mark_read(notification=self.get_object(), by=request.user)
        return Response(self.get_serializer(notification).data)
