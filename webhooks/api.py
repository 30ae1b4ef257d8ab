"""`/api/v1/webhooks/` (API.md 1.1 "Webhooks"): a network's chair, or a partner system for
itself, subscribes a URL to events; the secret is shown once; the delivery log."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import Pagination, ScopedAPIMixin
from networks.models import Network
from networks.selectors import network_by_slug_for

from .models import Delivery, EventType, Subscription
from .selectors import deliveries_of, may_use_webhooks, subscriptions_visible_to
from .services import subscription_create, subscription_remove

NOT_ALLOWED = "Only a network's chair, or a partner system, may manage webhooks."


class SubscriptionSerializer(serializers.ModelSerializer):
    network = serializers.SlugRelatedField(slug_field="slug", queryset=Network.objects.none())
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        allow_empty=False,
        max_length=len(EventType.choices),
    )
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "url", "events", "network", "owner", "scope", "created_at"]
        read_only_fields = ["id", "owner", "scope", "created_at"]
        extra_kwargs = {"url": {"validators": []}}  # checked by the service (SSRF guard)

    def to_internal_value(self, data):
        slug = data.get("network") if hasattr(data, "get") else None
        user = self.context["request"].user
        network = network_by_slug_for(user, slug) if isinstance(slug, str) else None
        # Another network (or an unknown one) is simply not among the choices: 400.
        self.fields["network"].queryset = Network.objects.filter(pk=network.pk if network else None)
        return super().to_internal_value(data)


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret (`whsec_...`), shown only now."
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class DeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="event.type", read_only=True)
    occurred_at = serializers.DateTimeField(source="event.occurred_at", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook_id",
            "event",
            "occurred_at",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookViewSet(
    ScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Subscriptions the caller may manage (never their secrets, but once at creation)."""

    serializer_class = SubscriptionSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not may_use_webhooks(request.user):
            raise exceptions.PermissionDenied(NOT_ALLOWED)

    def get_queryset(self):
        return (
            subscriptions_visible_to(self.request.user)
            .select_related("network", "owner")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(request=SubscriptionSerializer, responses={201: SubscriptionCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            subscription = subscription_create(
                network=data["network"], url=data["url"], events=data["events"], by=request.user
            )
        body = SubscriptionCreatedSerializer(subscription, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        subscription_remove(subscription=instance, by=self.request.user)

    @extend_schema(request=None, responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=Pagination)
    def deliveries(self, request, pk=None):
        """The delivery log: each event sent to this subscription, newest first."""
        rows = deliveries_of(self.get_object())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
