"""API representations and the validation done at the edge, before anything reaches a service.

Input serializers are strict: an unknown field is a 400 naming it (a typo must not be
silently ignored), and a string PostgreSQL cannot store (NUL, a lone UTF-16 surrogate) is a
400 naming its field, before any other validation echoes the value back.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from helpdesk.models import User

from .models import BODY_MAX, SUBJECT_MAX, Message, Queue, Ticket
from .selectors import TICKET_OWN_FIELDS

MAX_ID = 2**63 - 1  # PostgreSQL bigint; larger ids cannot exist
UNSTORABLE_MESSAGE = "Null characters and unpaired surrogates are not allowed."
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_unstorable(value: Any) -> bool:
    """True when a string, or any key or string inside a JSON value, cannot be stored."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, Mapping):
        return any(is_unstorable(k) or is_unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(is_unstorable(item) for item in value)
    return False


def printable(name: str) -> str:
    """`name` made safe to echo in a UTF-8 response (a lone surrogate cannot be encoded)."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def json_type_error(field: serializers.Field, value: Any) -> str | None:
    """The JSON type a field expects, when `value` is not of it.

    DRF coerces by default (5 becomes "5", "yes" becomes True): a client sending the wrong
    type has a bug, and the contract's types are what the schema says.
    """
    if value is None:
        return None  # allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be a boolean (true or false)."
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "Must be an integer."
    if isinstance(field, serializers.MultipleChoiceField):
        return None
    if isinstance(
        field, serializers.CharField | serializers.ChoiceField | serializers.SlugRelatedField
    ):
        return None if isinstance(value, str) else "Not a valid string."
    return None


class StrictInputMixin:
    # Rejects unknown fields and unstorable strings, naming each offending field. (A comment,
    # not a docstring: the schema would show it as every input serializer's description.)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {field.field_name for field in self._writable_fields}
            errors = {}
            for key, value in data.items():
                if key not in writable:
                    errors[printable(key)] = ["Unknown field."]
                elif is_unstorable(value):
                    errors[key] = [UNSTORABLE_MESSAGE]
                elif (wrong := json_type_error(self.fields[key], value)) is not None:
                    errors[key] = [wrong]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictInputExtension(OpenApiSerializerExtension):
    """Say in the schema what StrictInputMixin enforces: no properties beyond the declared."""

    target_class = StrictInputMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class TextField(serializers.CharField):
    """A customer's text: 1 to max_length characters once trimmed."""

    def __init__(self, *, max_length: int, **kwargs):
        super().__init__(min_length=1, max_length=max_length, **kwargs)


# --- errors (for the schema) -------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every error: a readable `detail`, plus one list of messages per invalid field."""

    detail = serializers.CharField()


# --- users --------------------------------------------------------------------------------


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.ChoiceField(
        source="effective_role", choices=User.Role.choices, read_only=True
    )


class SignupSerializer(StrictInputMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(max_length=4096, write_only=True, trim_whitespace=False)
    email = serializers.EmailField(max_length=254)

    def validate_username(self, value: str) -> str:
        # Case-insensitively: "Carla" must not pass for "carla".
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("A user with that username already exists.")
        return value

    def validate_email(self, value: str) -> str:
        # E-mail intake finds customers by address: one account per address.
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError("An account with this e-mail address already exists.")
        return value

    def validate(self, attrs):
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class UserCreateSerializer(SignupSerializer):
    role = serializers.ChoiceField(choices=User.Role.choices)


class TokenObtainSerializer(StrictInputMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, write_only=True, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


# --- tickets ------------------------------------------------------------------------------


class ClockSerializer(serializers.Serializer):
    """One SLA clock of a ticket."""

    metric = serializers.CharField()
    state = serializers.ChoiceField(choices=["running", "paused", "stopped"])
    breached = serializers.BooleanField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    warn_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, clock) -> dict:
        return clock_data(clock.__dict__, timezone.get_current_timezone())


def clock_data(clock: Mapping[str, Any], zone: tzinfo) -> dict:
    """ClockSerializer's declared fields' output, written out: a ticket list renders hundreds
    of clocks a page, and DRF's field-by-field walk cost more than the page's queries. From a
    row of selectors.CLOCK_API_FIELDS (a model's __dict__ has the same keys)."""
    return {
        "metric": clock["metric"],
        "state": clock["state"],
        "breached": clock["breached"],
        "started_at": api_datetime(clock["started_at"], zone),
        "due_at": api_datetime(clock["due_at"], zone),
        "warn_at": api_datetime(clock["warn_at"], zone),
        "stopped_at": api_datetime(clock["stopped_at"], zone),
        "breached_at": api_datetime(clock["breached_at"], zone),
    }


def api_datetime(value: datetime | None, zone: tzinfo) -> str | None:
    """What DRF's DateTimeField renders: ISO 8601 in the current zone, UTC as `Z`."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class TicketSerializer(serializers.ModelSerializer):
    queue = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    product = serializers.SlugRelatedField(slug_field="sku", read_only=True, allow_null=True)
    requester_username = serializers.CharField(source="requester.username", read_only=True)
    # "" for tickets that are not reports: a plain string, not format "uri".
    target_url = serializers.CharField(read_only=True)
    # The ticket's SLA clocks, every cycle, oldest first. Declared for the schema;
    # to_representation below renders it.
    sla = ClockSerializer(source="clocks", many=True, read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "status",
            "priority",
            "queue",
            "requester",
            "assignee",
            "created_at",
            "updated_at",
            "moderation",
            "outcome",
            "product",
            "rating",
            "target_url",
            "reason",
            "sla",
            "channel",
            "requester_username",
        ]
        read_only_fields = fields

    def to_representation(self, ticket: Ticket) -> dict:
        """The declared fields' output, written out (see ClockSerializer.to_representation);
        tests/tickets/test_serializers.py holds it equal to DRF's own rendering."""
        started = getattr(ticket, "started_clocks", None)  # a ticket just created
        clocks = [c.__dict__ for c in (ticket.clocks.all() if started is None else started)]
        return ticket_data(ticket_row(ticket), clocks, timezone.get_current_timezone())


def ticket_row(ticket: Ticket) -> dict[str, Any]:
    """A ticket as the row selectors.TICKET_ROW_FIELDS reads with values()."""
    return {
        **{name: getattr(ticket, name) for name in TICKET_OWN_FIELDS},
        "queue__slug": ticket.queue.slug if ticket.queue_id else None,
        "product__sku": ticket.product.sku if ticket.product_id else None,
        "requester__username": ticket.requester.username,
    }


def ticket_data(row: Mapping[str, Any], clocks: Iterable[Mapping[str, Any]], zone: tzinfo):
    """TicketSerializer's output from a ticket row and its clocks' rows: the ticket list
    renders values() rows, no model instances (about half the cost of a page)."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "subject": row["subject"],
        "body": row["body"],
        "status": row["status"],
        "priority": row["priority"],
        "queue": row["queue__slug"],
        "requester": row["requester_id"],
        "assignee": row["assignee_id"],
        "created_at": api_datetime(row["created_at"], zone),
        "updated_at": api_datetime(row["updated_at"], zone),
        "moderation": row["moderation"],
        "outcome": row["outcome"],
        "product": row["product__sku"],
        "rating": row["rating"],
        "target_url": row["target_url"],
        "reason": row["reason"],
        "sla": [clock_data(c, zone) for c in clocks],
        "channel": row["channel"],
        "requester_username": row["requester__username"],
    }


class QueueSlugField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Queue.objects.all(), **kwargs)


class AgentField(serializers.PrimaryKeyRelatedField):
    """A user id that must name an agent (or a manager)."""

    default_error_messages = {"not_agent": "User {pk} is not an agent."}

    def __init__(self, **kwargs):
        super().__init__(queryset=User.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and data.isascii() and data.isdigit():
            data = int(data)
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        user = super().to_internal_value(data)
        if not user.is_agent:
            self.fail("not_agent", pk=user.pk)
        return user


class TicketCreateSerializer(StrictInputMixin, serializers.Serializer):
    subject = TextField(max_length=SUBJECT_MAX)
    body = TextField(max_length=BODY_MAX)
    queue = QueueSlugField(required=False)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)


class TicketUpdateSerializer(StrictInputMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    assignee = AgentField(required=False, allow_null=True)
    queue = QueueSlugField(required=False, allow_null=True)


# --- messages -----------------------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer):
    generic = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text="Whether an agent's public reply was judged generic; null for customers, "
        "who never see the verdict.",
    )
    generic_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "author",
            "body",
            "public",
            "created_at",
            "generic",
            "generic_reasons",
            "channel",
            "kind",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.is_agent:
            data["generic"], data["generic_reasons"] = None, []
        return data


class MessageCreateSerializer(StrictInputMixin, serializers.Serializer):
    body = TextField(max_length=BODY_MAX)
    public = serializers.BooleanField(required=False, default=True)

    def validate_public(self, value: bool) -> bool:
        user = self.context["request"].user
        if not value and not user.is_agent:
            raise serializers.ValidationError("Only agents write internal notes.")
        return value


class NotAnsweredSerializer(StrictInputMixin, serializers.Serializer):
    comment = serializers.CharField(
        max_length=BODY_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional: what is still unanswered; added to the conversation.",
    )
    message = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="The agent reply that did not answer; default: the latest.",
    )


class ReplyCheckSerializer(StrictInputMixin, serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    body = TextField(max_length=BODY_MAX)


class ReplyVerdictSerializer(serializers.Serializer):
    generic = serializers.BooleanField()
    score = serializers.FloatField(min_value=0, max_value=1)
    reasons = serializers.ListField(child=serializers.CharField())
