"""REST API of escalations, rules, notification preferences and the SLA report."""

from datetime import timedelta

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from tickets.api import ApiView, errors, ticket_id
from tickets.permissions import IsAgent, IsManager

from . import notifications, report, services
from .models import Escalation, Rule
from .serializers import (
    EscalationSerializer,
    PeriodSerializer,
    PreferenceSerializer,
    RuleSerializer,
    SlaReportSerializer,
)

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Id")
DEFAULT_PERIOD = timedelta(days=30)


def _object(model, id: str):
    obj = model.objects.filter(pk=ticket_id(id)).first()
    if obj is None:
        raise Http404("No such object.")
    return obj


class EscalationFilterSerializer(serializers.Serializer):
    acknowledged = serializers.BooleanField(required=False, allow_null=True, default=None)
    trigger = serializers.CharField(required=False, max_length=24)
    ticket = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class EscalationListView(ApiView, generics.ListAPIView):
    serializer_class = EscalationSerializer
    permission_classes = [IsAgent]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Escalation.objects.none()
        params = EscalationFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        queryset = Escalation.objects.order_by("-created_at", "-id")
        if filters.get("acknowledged") is not None:
            queryset = queryset.filter(acknowledged_at__isnull=not filters["acknowledged"])
        if filters.get("trigger"):
            queryset = queryset.filter(trigger=filters["trigger"])
        if filters.get("ticket"):
            queryset = queryset.filter(ticket_id=filters["ticket"])
        return queryset

    @extend_schema(
        operation_id="escalations_list",
        parameters=[EscalationFilterSerializer],
        responses={200: EscalationSerializer(many=True), **errors(400, 401, 403)},
        tags=["escalations"],
        summary="Escalations, newest first (agents and managers)",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class EscalationAcknowledgeView(ApiView):
    permission_classes = [IsAgent]
    serializer_class = EscalationSerializer

    @extend_schema(
        operation_id="escalations_acknowledge",
        request=None,
        parameters=[ID],
        responses={200: EscalationSerializer, **errors(401, 403, 404)},
        tags=["escalations"],
        summary="Acknowledge an escalation (again: keeps the first acknowledgement)",
    )
    def post(self, request, id: str):
        escalation = _object(Escalation, id)
        escalation = services.escalation_acknowledge(
            escalation=escalation, user=request.user, now=timezone.now()
        )
        return Response(EscalationSerializer(escalation).data)


class RuleListView(ApiView, generics.ListAPIView):
    serializer_class = RuleSerializer
    pagination_class = None

    def get_permissions(self):
        return [IsManager()] if self.request.method == "POST" else [IsAgent()]

    def get_queryset(self):
        return Rule.objects.select_related("reassign_queue").order_by("order", "id")

    @extend_schema(
        operation_id="escalation_rules_list",
        responses={200: RuleSerializer(many=True), **errors(400, 401, 403)},
        tags=["escalations"],
        summary="Escalation rules, in the order they apply",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        operation_id="escalation_rules_create",
        request=RuleSerializer,
        responses={201: RuleSerializer, **errors(400, 401, 403)},
        tags=["escalations"],
        summary="Add an escalation rule (managers)",
    )
    def post(self, request):
        serializer = RuleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class RuleDetailView(ApiView):
    serializer_class = RuleSerializer

    def get_permissions(self):
        return [IsAgent()] if self.request.method == "GET" else [IsManager()]

    @extend_schema(
        operation_id="escalation_rules_retrieve",
        parameters=[ID],
        responses={200: RuleSerializer, **errors(401, 403, 404)},
        tags=["escalations"],
    )
    def get(self, request, id: str):
        return Response(RuleSerializer(_object(Rule, id)).data)

    @extend_schema(
        operation_id="escalation_rules_update",
        parameters=[ID],
        request=RuleSerializer,
        responses={200: RuleSerializer, **errors(400, 401, 403, 404)},
        tags=["escalations"],
        summary="Change an escalation rule (managers)",
    )
    def patch(self, request, id: str):
        serializer = RuleSerializer(_object(Rule, id), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)

    @extend_schema(
        operation_id="escalation_rules_delete",
        parameters=[ID],
        request=None,
        responses={204: None, **errors(401, 403, 404)},
        tags=["escalations"],
        summary="Delete an escalation rule (managers)",
    )
    def delete(self, request, id: str):
        _object(Rule, id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreferenceView(ApiView):
    permission_classes = [IsAuthenticated]
    serializer_class = PreferenceSerializer

    def _data(self, user) -> dict:
        email, triggers = notifications.preference_for(user)
        return {"email": email, "email_triggers": triggers}

    @extend_schema(
        operation_id="notification_preferences_retrieve",
        responses={200: PreferenceSerializer, **errors(401)},
        tags=["notifications"],
        summary="How the caller gets escalation notices by e-mail",
    )
    def get(self, request):
        return Response(self._data(request.user))

    @extend_schema(
        operation_id="notification_preferences_update",
        request=PreferenceSerializer,
        responses={200: PreferenceSerializer, **errors(400, 401)},
        tags=["notifications"],
        summary="Each e-mail at once, an hourly digest or none; which triggers",
    )
    def put(self, request):
        serializer = PreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notifications.preference_set(user=request.user, **serializer.validated_data)
        return Response(self._data(request.user))


def period(query_params) -> tuple:
    serializer = PeriodSerializer(data=query_params)
    serializer.is_valid(raise_exception=True)
    until = serializer.validated_data.get("until") or timezone.now()
    since = serializer.validated_data.get("since") or until - DEFAULT_PERIOD
    if since >= until:
        raise serializers.ValidationError({"since": ["Must be before until."]})
    if until - since > timedelta(days=366):
        raise serializers.ValidationError({"since": ["The period is at most 366 days."]})
    return since, until


class SlaReportView(ApiView):
    permission_classes = [IsAgent]
    serializer_class = SlaReportSerializer

    @extend_schema(
        operation_id="sla_report",
        parameters=[PeriodSerializer],
        responses={200: SlaReportSerializer, **errors(400, 401, 403)},
        tags=["escalations"],
        summary="SLA figures over clocks started in [since, until), with reply quality",
    )
    def get(self, request):
        since, until = period(request.query_params)
        data = report.sla_report(since=since, until=until, now=timezone.now())
        return Response(SlaReportSerializer(data).data)
