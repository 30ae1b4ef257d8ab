from django.contrib.auth import get_user_model
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.services import Seen, access_record
from core.api import ScopedAPIMixin
from core.errors import Conflict
from core.fields import StrictPrimaryKeyRelatedField
from networks.roles import CASEWORK_ROLES, Role
from networks.selectors import network_ids_where
from patients.selectors import patients_visible_to

from . import services
from .models import Action
from .selectors import actions_for_me, actions_in_networks_of, actions_visible_to
from .services import NO_SUCH_ASSIGNEE

User = get_user_model()


class VisiblePatientField(StrictPrimaryKeyRelatedField):
    def get_queryset(self):
        return patients_visible_to(self.context["request"].user)


class TaskSerializer(serializers.ModelSerializer):
    EDITABLE = ("title", "details", "due_on", "assignee", "assignee_role")

    patient = VisiblePatientField()
    network = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Username of a member of the person's network who does casework.",
        # One message whether the username exists or not (no enumeration of accounts).
        error_messages={"does_not_exist": NO_SUCH_ASSIGNEE, "invalid": NO_SUCH_ASSIGNEE},
    )
    assignee_role = serializers.ChoiceField(
        choices=Role.choices,
        required=False,
        allow_blank=True,
        help_text="A role queue in the person's network (instead of a named assignee): a role "
        "that does casework, not `manager`, `ig_lead` or `partner_system`.",
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    done_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    claimed_from_role = serializers.ChoiceField(
        choices=Role.choices,
        read_only=True,
        allow_blank=True,
        help_text="The role queue this task was claimed from (blank if never claimed).",
    )

    class Meta:
        model = Action
        fields = [
            "id",
            "patient",
            "network",
            "title",
            "details",
            "assignee",
            "assignee_role",
            "due_on",
            "status",
            "source",
            "claimed_from_role",
            "claimed_at",
            "created_by",
            "created_at",
            "done_at",
            "done_by",
            "done_note",
        ]
        read_only_fields = [
            "done_note",
            "status",
            "source",
            "claimed_at",
            "created_at",
            "done_at",
        ]

    def validate_due_on(self, value):
        if value < timezone.localdate():
            raise serializers.ValidationError("The due date cannot be in the past.")
        return value

    def validate(self, attrs):
        if bool(attrs.get("assignee")) == bool(attrs.get("assignee_role")):
            raise serializers.ValidationError(
                {"assignee": ["Give either a member (assignee) or a role (assignee_role)."]}
            )
        return attrs


class TaskUpdateSerializer(TaskSerializer):
    """PATCH: any of title, due date, details, and a new owner (a member or a role queue)."""

    patient = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(TaskSerializer.Meta):
        read_only_fields = [
            f for f in TaskSerializer.Meta.fields if f not in TaskSerializer.EDITABLE
        ]

    def validate(self, attrs):
        if attrs.get("assignee") and attrs.get("assignee_role"):
            raise serializers.ValidationError(
                {"assignee": ["Give either a member (assignee) or a role (assignee_role)."]}
            )
        return attrs


class DoneSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="What was done (optional).",
    )


class TaskFilter(filters.FilterSet):
    mine = filters.BooleanFilter(
        method="filter_mine",
        help_text="Mine: by name, by my role, or covering for a colleague who is away today.",
    )
    status = filters.ChoiceFilter(choices=Action.Status.choices)
    patient = filters.NumberFilter(field_name="patient_id")

    class Meta:
        model = Action
        fields = ["mine", "status", "patient"]

    def filter_mine(self, queryset, name, value):
        condition = actions_for_me(self.request.user)
        return queryset.filter(condition) if value else queryset.exclude(condition)


class TaskViewSet(
    ScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        if self.action == "partial_update":
            return TaskUpdateSerializer
        return TaskSerializer

    def get_queryset(self):
        if self.action in ("list", "create"):
            queryset = actions_visible_to(self.request.user)
        else:  # one task: find it in my networks, then ask the rules (403, not 404)
            queryset = actions_in_networks_of(self.request.user)
        return queryset.select_related("network", "assignee", "created_by", "done_by")

    def get_object(self):
        task = super().get_object()
        if not self.request.user.has_perm("actions.view_action", task):
            raise exceptions.PermissionDenied("Your role may not see this task.")
        return task

    def _seen(self, tasks, what: str) -> None:
        """The people the tasks are about, to the access trail (one INSERT)."""
        access_record(
            user=self.request.user,
            patients=[Seen(t.patient_id, t.network_id) for t in tasks],
            what=what,
            channel="api",
            path=self.request.get_full_path(),
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self._seen(page, "task_list")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        task = self.get_object()
        self._seen([task], "task")
        return Response(self.get_serializer(task).data)

    def create(self, request, *args, **kwargs):
        if not network_ids_where(request.user, CASEWORK_ROLES):
            raise exceptions.PermissionDenied("Your role may not add tasks.")
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        patient = data.pop("patient")
        if not self.request.user.has_perm("actions.add_action", patient):
            raise exceptions.PermissionDenied("Your role may not add tasks.")
        try:
            serializer.instance = services.action_create(
                by=self.request.user, patient=patient, **data
            )
        except Conflict as exc:
            self._name_existing(exc)
            raise

    def _name_existing(self, exc: Conflict) -> None:
        """A 409 names the identical open task only to a caller who may read it."""
        existing = exc.record
        if existing is not None and self.request.user.has_perm("actions.view_action", existing):
            exc.extra["id"] = existing.pk

    @extend_schema(
        description="Edit an open task (title, due date, details) or reassign it to a member "
        "(`assignee`) or a role queue (`assignee_role`) of the person's network who does "
        "casework. 409 if the task is done, or if it would repeat another open task (that "
        "task's `id` is given)."
    )
    def partial_update(self, request, *args, **kwargs):
        task = self.get_object()
        if not request.user.has_perm("actions.change_action", task):
            raise exceptions.PermissionDenied("Your role may not change this task.")
        serializer = self.get_serializer(task, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        changes = {k: data[k] for k in ("title", "due_on", "details") if k in data}
        if data.get("assignee"):
            changes["assignee"] = data["assignee"]
        elif data.get("assignee_role"):
            changes["assignee_role"] = data["assignee_role"]
        try:
            task = services.action_update(action=task, by=request.user, **changes)
        except Conflict as exc:
            self._name_existing(exc)
            raise
        task = self.get_queryset().get(pk=task.pk)
        self._seen([task], "task_change")
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)

    @extend_schema(request=DoneSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        task = self.get_object()
        if not request.user.has_perm("actions.complete_action", task):
            raise exceptions.PermissionDenied(
                "Only the assignee, the role or the care team may do this."
            )
        body = DoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.action_mark_done(
            action=task, by=request.user, note=body.validated_data.get("note", "")
        )
        self._seen([task], "task_done")
        return Response(self.get_serializer(task).data)

    @extend_schema(
        request=None,
        responses=TaskSerializer,
        description="Take a task from your role's queue: it becomes yours by name. 409 if "
        "someone has claimed it already.",
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        task = self.get_object()
        if task.assignee_role and not request.user.has_perm("actions.claim_action", task):
            raise exceptions.PermissionDenied("Only a member of the task's role can claim it.")
        task = services.action_claim(action=task, by=request.user)
        self._seen([task], "task_claim")
        return Response(self.get_serializer(task).data)
