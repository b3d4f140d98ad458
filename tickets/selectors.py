"""Reads: what a given user may see, with the joins each page needs in a fixed number of queries."""

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from helpdesk.models import User
from sla.models import Clock

from .models import Message, Ticket

ACTIVE_STATUSES = (Ticket.Status.OPEN, Ticket.Status.PENDING)


def ticket_visible_to(user: User) -> QuerySet[Ticket]:
    """Customers see their own tickets; agents and managers see all."""
    qs = Ticket.objects.select_related("queue", "requester", "assignee", "product")
    if user.is_agent:
        return qs
    return qs.filter(requester=user)


CLOCK_API_FIELDS = [
    *("ticket_id", "metric", "state", "breached", "started_at", "due_at", "warn_at"),
    *("stopped_at", "breached_at"),
]
# A ticket's own columns the API renders, then those of its queue, product and requester.
TICKET_OWN_FIELDS = [
    *("id", "kind", "subject", "body", "status", "priority", "requester_id", "assignee_id"),
    *("created_at", "updated_at", "moderation", "outcome", "rating", "target_url", "reason"),
    "channel",
]
TICKET_ROW_FIELDS = [*TICKET_OWN_FIELDS, "queue__slug", "product__sku", "requester__username"]


def ticket_rows_for_api(queryset: QuerySet[Ticket]) -> QuerySet:
    """The rows the API renders (tickets.serializers.ticket_data), as values(): a page of 25
    costs half as much as model instances with their related rows."""
    return queryset.select_related(None).values(*TICKET_ROW_FIELDS)


def clocks_for_api(ticket_ids: list[int]) -> dict[int, list[dict]]:
    """The tickets' clocks, every cycle, oldest first, in one query."""
    by_ticket: dict[int, list[dict]] = {pk: [] for pk in ticket_ids}
    for clock in Clock.objects.filter(ticket_id__in=ticket_ids).values(*CLOCK_API_FIELDS):
        by_ticket[clock["ticket_id"]].append(clock)
    return by_ticket


def ticket_get_for(*, user: User, ticket_id: int) -> Ticket:
    """The ticket, or 404 — never 403 — when the user may not see it."""
    try:
        return ticket_visible_to(user).get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such ticket.") from None


def message_list_for(*, user: User, ticket: Ticket) -> QuerySet[Message]:
    qs = ticket.messages.select_related("author", "fingerprint")
    if not user.is_agent:
        qs = qs.filter(public=True)
    return qs


def queue_counts(qs: QuerySet[Ticket]) -> dict[str, int]:
    """Counts for the agent queue's tabs, in one query."""
    return qs.aggregate(
        open=Count("id", filter=Q(status=Ticket.Status.OPEN)),
        pending=Count("id", filter=Q(status=Ticket.Status.PENDING)),
        solved=Count("id", filter=Q(status=Ticket.Status.SOLVED)),
        unassigned=Count("id", filter=Q(assignee__isnull=True, status__in=ACTIVE_STATUSES)),
    )


PRIORITY_RANK = Case(
    When(priority=Ticket.Priority.URGENT, then=Value(0)),
    When(priority=Ticket.Priority.HIGH, then=Value(1)),
    When(priority=Ticket.Priority.NORMAL, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def ticket_order_by_due(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The agent queue's order, for pages and the API alike.

    The earliest SLA due time first (`sla_due_at`, kept by the services from the running
    clocks); tickets without a running clock after them, urgent first, then the longest
    waiting.
    """
    return qs.order_by(F("sla_due_at").asc(nulls_last=True), PRIORITY_RANK, "created_at", "id")


def ticket_conversation_for_quality(ticket: Ticket) -> tuple[str, list[Message]]:
    """What reply quality reads, in one query: everything the customer has asked (subject,
    body and their public messages) and the public replies agents have sent, oldest first."""
    customer_texts: list[str] = []
    agent_replies: list[Message] = []
    for message in ticket.messages.filter(public=True, kind=Message.Kind.REPLY).order_by(
        "created_at", "id"
    ):
        if message.author_id == ticket.requester_id:
            customer_texts.append(message.body)
        else:
            agent_replies.append(message)
    return "\n\n".join([ticket.subject, ticket.body, *customer_texts]), agent_replies
