from datetime import timedelta

from rest_framework import serializers

from helpdesk.models import User
from sla.models import Metric
from tickets.models import Queue, Ticket
from tickets.serializers import MAX_ID, StrictInputMixin

from .models import Escalation, NotificationPreference, Rule, Trigger

MAX_PERIOD = timedelta(days=366)


class EscalationSerializer(serializers.ModelSerializer):
    acknowledged_by = serializers.IntegerField(
        source="acknowledged_by_id", allow_null=True, read_only=True
    )

    class Meta:
        model = Escalation
        fields = [
            "id",
            "ticket",
            "trigger",
            "level",
            "created_at",
            "acknowledged_at",
            "metric",
            "acknowledged_by",
            "actions",
        ]
        read_only_fields = fields


def _choices_list(choices, help_text: str):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices), required=False, help_text=help_text
    )


class RuleSerializer(StrictInputMixin, serializers.ModelSerializer):
    trigger = serializers.ChoiceField(choices=Trigger.choices)
    kinds = _choices_list(Ticket.Kind.choices, "Ticket kinds; empty: all.")
    queues = serializers.ListField(
        child=serializers.SlugField(max_length=50), required=False, help_text="Queue slugs."
    )
    priorities = _choices_list(Ticket.Priority.choices, "Empty: all.")
    metrics = _choices_list(Metric.choices, "SLA metrics; empty: all.")
    min_level = serializers.IntegerField(min_value=1, max_value=100, required=False)
    max_level = serializers.IntegerField(
        min_value=1, max_value=100, required=False, allow_null=True
    )
    priority_cap = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    reassign_queue = serializers.SlugRelatedField(
        slug_field="slug", queryset=Queue.objects.all(), required=False, allow_null=True
    )
    reassign_agent = serializers.IntegerField(
        source="reassign_agent_id",
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Rule
        fields = [
            "id",
            "name",
            "active",
            "order",
            "trigger",
            "kinds",
            "queues",
            "priorities",
            "metrics",
            "min_level",
            "max_level",
            "hours",
            "notify_assignee",
            "notify_queue_agents",
            "notify_managers",
            "reassign",
            "reassign_queue",
            "reassign_agent",
            "raise_priority",
            "priority_cap",
            "raise_level",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"order": {"min_value": -1_000_000, "max_value": 1_000_000}}

    def validate_reassign_agent(self, value):
        if value is not None and not User.objects.filter(pk=value, is_active=True).exists():
            raise serializers.ValidationError("No such agent.")
        return value

    def validate(self, attrs):
        merged = {
            "reassign": getattr(self.instance, "reassign", ""),
            "reassign_queue": getattr(self.instance, "reassign_queue", None),
            "reassign_agent_id": getattr(self.instance, "reassign_agent_id", None),
            "min_level": getattr(self.instance, "min_level", 1),
            "max_level": getattr(self.instance, "max_level", None),
            **attrs,
        }
        if merged["reassign"] == Rule.Reassign.QUEUE and merged["reassign_queue"] is None:
            raise serializers.ValidationError({"reassign_queue": ["Name the queue."]})
        if merged["reassign"] == Rule.Reassign.AGENT and merged["reassign_agent_id"] is None:
            raise serializers.ValidationError({"reassign_agent": ["Name the agent."]})
        if merged["max_level"] is not None and merged["max_level"] < merged["min_level"]:
            raise serializers.ValidationError({"max_level": ["Below min_level."]})
        return attrs


class PreferenceSerializer(StrictInputMixin, serializers.Serializer):
    email = serializers.ChoiceField(choices=NotificationPreference.Email.choices)
    email_triggers = serializers.ListField(
        child=serializers.ChoiceField(choices=Trigger.choices),
        required=False,
        default=list,
        help_text="Triggers worth an e-mail; empty: all.",
    )


class PeriodSerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="Default: 30 days before until.")
    until = serializers.DateTimeField(required=False, help_text="Default: now.")

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since >= until:
            raise serializers.ValidationError({"since": ["Must be before until."]})
        if since and until and until - since > MAX_PERIOD:
            raise serializers.ValidationError({"since": ["The period is at most 366 days."]})
        return attrs


class MetricFiguresSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    median_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)


class ReplyRateSerializer(serializers.Serializer):
    name = serializers.CharField()
    replies = serializers.IntegerField()
    generic = serializers.IntegerField()
    generic_rate = serializers.FloatField()
    not_answered = serializers.IntegerField()
    not_answered_rate = serializers.FloatField()


class AgentRateSerializer(ReplyRateSerializer):
    agent = serializers.IntegerField(allow_null=True)


class TemplateRateSerializer(ReplyRateSerializer):
    template = serializers.IntegerField()


class ReplyQualitySerializer(serializers.Serializer):
    median_first_response_seconds = serializers.FloatField(allow_null=True)
    median_answer_seconds = serializers.FloatField(allow_null=True)
    replies = serializers.IntegerField()
    generic_reply_rate = serializers.FloatField()
    not_answered_rate = serializers.FloatField()
    by_agent = AgentRateSerializer(many=True)
    by_template = TemplateRateSerializer(many=True)


class SlaReportSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    metrics = serializers.DictField(child=MetricFiguresSerializer())
    generic_replies = serializers.IntegerField()
    not_answered = serializers.IntegerField()
    moderation_backlog = serializers.IntegerField()
    rejection_rate_by_rating = serializers.DictField(child=serializers.FloatField())
    reply_quality = ReplyQualitySerializer()
