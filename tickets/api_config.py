"""Configuration endpoints (managers): calendars, queues and SLA policies.

Calendars and policies are the SLA engine's models; their validation is the engine's own
(sla.calendars), reported here as 400s that name the field. Nothing is half-saved: a
request is validated whole before anything is written.
"""

from datetime import date

from django.db.models import ProtectedError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from sla.calendars import CalendarError, parse_hours, validate_country, validate_timezone
from sla.models import Calendar, Metric, Policy

from .models import Queue, Ticket
from .permissions import IsManager
from .serializers import ErrorSerializer, StrictInputMixin

MAX_TARGET_MINUTES = 366 * 24 * 60


def _calendar_error(exc: CalendarError, field: str) -> serializers.ValidationError:
    return serializers.ValidationError({field: [f"{exc.field}: {exc.message}"]})


class CalendarSerializer(StrictInputMixin, serializers.ModelSerializer):
    hours = serializers.JSONField(
        help_text='Weekly hours, e.g. {"mon": [["09:00", "17:00"]], "sun": []}; a day left '
        'out has no hours; an interval ending before it starts ("22:00"-"06:00") runs '
        "overnight."
    )
    holidays = serializers.ListField(
        child=serializers.DateField(), required=False, help_text="Custom dates, YYYY-MM-DD."
    )
    country = serializers.CharField(
        required=False, allow_blank=True, max_length=8, help_text="ISO code for public holidays."
    )
    subdivision = serializers.CharField(required=False, allow_blank=True, max_length=16)

    class Meta:
        model = Calendar
        fields = ["id", "name", "timezone", "hours", "holidays", "country", "subdivision"]

    def validate_timezone(self, value: str) -> str:
        try:
            return validate_timezone(value)
        except CalendarError as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate_hours(self, value):
        try:
            parse_hours(value)
        except CalendarError as exc:
            raise _calendar_error(exc, "hours") from None
        return value

    def validate_holidays(self, value: list[date]) -> list[str]:
        return sorted({d.isoformat() for d in value})

    def validate(self, attrs):
        country = attrs.get("country", getattr(self.instance, "country", ""))
        subdivision = attrs.get("subdivision", getattr(self.instance, "subdivision", ""))
        try:
            code, subdiv = validate_country(country or None, subdivision or None)
        except CalendarError as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from None
        if "country" in attrs or "subdivision" in attrs:
            attrs["country"], attrs["subdivision"] = code or "", subdiv or ""
        return attrs


class QueueSerializer(StrictInputMixin, serializers.ModelSerializer):
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=Calendar.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Queue
        fields = ["slug", "name", "description", "calendar"]


def _choices_list(choices, help_text: str):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices), required=False, help_text=help_text
    )


class PolicySerializer(StrictInputMixin, serializers.ModelSerializer):
    kinds = _choices_list(Ticket.Kind.choices, "Empty: every kind.")
    queues = serializers.ListField(
        child=serializers.SlugField(max_length=50), required=False, help_text="Queue slugs."
    )
    priorities = _choices_list(Ticket.Priority.choices, "Empty: every priority.")
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=Calendar.objects.all(), allow_null=True, required=False
    )
    targets = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_TARGET_MINUTES),
        allow_empty=False,
        help_text="Metric → minutes of business time.",
    )
    warn_percent = serializers.IntegerField(min_value=1, max_value=99, required=False)

    class Meta:
        model = Policy
        fields = [
            "id",
            "name",
            "order",
            "kinds",
            "queues",
            "priorities",
            "calendar",
            "targets",
            "warn_percent",
        ]

    def validate_targets(self, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(Metric.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown metric {', '.join(unknown)}; use {', '.join(Metric.values)}."
            )
        return value

    def validate_queues(self, value: list[str]) -> list[str]:
        missing = sorted(
            set(value) - set(Queue.objects.filter(slug__in=value).values_list("slug", flat=True))
        )
        if missing:
            raise serializers.ValidationError(f"Unknown queue {', '.join(missing)}.")
        return sorted(set(value))

    def validate_kinds(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def validate_priorities(self, value: list[str]) -> list[str]:
        return sorted(set(value))


class ProtectedDestroyMixin:
    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError:
            return Response(
                {"detail": "It is in use; change what refers to it first."},
                status=status.HTTP_409_CONFLICT,
            )


_errors = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


@extend_schema_view(
    list=extend_schema(tags=["configuration"]),
    create=extend_schema(tags=["configuration"], responses={201: CalendarSerializer, **_errors}),
    retrieve=extend_schema(tags=["configuration"]),
    update=extend_schema(tags=["configuration"]),
    partial_update=extend_schema(tags=["configuration"]),
    destroy=extend_schema(tags=["configuration"], responses={204: None, 409: ErrorSerializer}),
)
class CalendarViewSet(ProtectedDestroyMixin, viewsets.ModelViewSet):
    lookup_value_regex = r"\d{1,18}"
    queryset = Calendar.objects.order_by("id")
    serializer_class = CalendarSerializer
    permission_classes = [IsManager]


@extend_schema_view(
    list=extend_schema(tags=["configuration"]),
    create=extend_schema(tags=["configuration"], responses={201: QueueSerializer, **_errors}),
    retrieve=extend_schema(tags=["configuration"]),
    update=extend_schema(tags=["configuration"]),
    partial_update=extend_schema(tags=["configuration"]),
    destroy=extend_schema(tags=["configuration"], responses={204: None, 409: ErrorSerializer}),
)
class QueueViewSet(ProtectedDestroyMixin, viewsets.ModelViewSet):
    queryset = Queue.objects.select_related("calendar").order_by("slug")
    serializer_class = QueueSerializer
    permission_classes = [IsManager]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]{1,50}"


@extend_schema_view(
    list=extend_schema(tags=["configuration"]),
    create=extend_schema(tags=["configuration"], responses={201: PolicySerializer, **_errors}),
    retrieve=extend_schema(tags=["configuration"]),
    update=extend_schema(tags=["configuration"]),
    partial_update=extend_schema(tags=["configuration"]),
    destroy=extend_schema(tags=["configuration"], responses={204: None, 409: ErrorSerializer}),
)
class PolicyViewSet(ProtectedDestroyMixin, viewsets.ModelViewSet):
    lookup_value_regex = r"\d{1,18}"
    queryset = Policy.objects.order_by("order", "id")
    serializer_class = PolicySerializer
    permission_classes = [IsManager]


def config_router():
    from rest_framework.routers import SimpleRouter

    router = SimpleRouter()
    router.register("calendars", CalendarViewSet, basename="api-calendar")
    router.register("queues", QueueViewSet, basename="api-queue")
    router.register("sla-policies", PolicyViewSet, basename="api-sla-policy")
    return router
