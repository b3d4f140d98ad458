"""Query-string filters of the ticket list.

`breached` reads the SLA clocks (a partial index covers breached ones); `ordering=due_at`
sorts by the earliest running due time the tickets services keep on each ticket.
"""

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from sla.models import Clock

from .models import Ticket
from .selectors import ticket_order_by_due
from .serializers import MAX_ID


def filter_breached(queryset: QuerySet[Ticket], value: bool | None) -> QuerySet[Ticket]:
    """`breached=true`: tickets with a breached clock; `false`: those without."""
    if value is None:
        return queryset
    breached = Exists(Clock.objects.filter(ticket=OuterRef("pk"), breached=True))
    return queryset.filter(breached if value else ~breached)


ORDERINGS = {
    "due_at": ticket_order_by_due,
    "created_at": lambda qs: qs.order_by("created_at", "id"),
    "-created_at": lambda qs: qs.order_by("-created_at", "-id"),
    "updated_at": lambda qs: qs.order_by("updated_at", "id"),
    "-updated_at": lambda qs: qs.order_by("-updated_at", "-id"),
}


class IdFilter(filters.Filter):
    """An id: a positive integer that fits a bigint (anything else is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanFilter(filters.Filter):
    """`true` or `false`, nothing else (Django's NullBooleanField also reads "1", "yes"...)."""

    field_class = forms.TypedChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)


_FORM_CLASSES: dict[type, type] = {}


class TicketFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Ticket.Kind.choices)
    status = filters.ChoiceFilter(choices=Ticket.Status.choices)
    queue = filters.CharFilter(
        field_name="queue__slug", max_length=50, help_text="The queue's slug."
    )
    assignee = IdFilter(field_name="assignee_id", help_text="The assignee's user id.")
    breached = extend_schema_field(
        {"type": "boolean", "description": "Only tickets with (true) or without (false) a breach."}
    )(StrictBooleanFilter(method="apply_breached"))
    moderation = filters.ChoiceFilter(
        choices=Ticket.Moderation.choices,
        null_label="Not moderated",
        help_text="`null` for tickets that are not moderated.",
    )
    ordering = filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS],
        method="order",
        help_text="`due_at`: earliest running due time first. Default: newest first.",
    )

    class Meta:
        model = Ticket
        fields = ["kind", "status", "queue", "assignee", "breached", "moderation"]

    def get_form_class(self):
        """django-filter makes a new form class for every request; these filters' fields
        never change, so one class serves them all (each form still copies its fields)."""
        form_class = _FORM_CLASSES.get(type(self))
        if form_class is None:
            form_class = _FORM_CLASSES[type(self)] = super().get_form_class()
        return form_class

    def apply_breached(self, queryset, name, value):
        return filter_breached(queryset, value)

    def order(self, queryset, name, value):
        return ORDERINGS[value](queryset)
