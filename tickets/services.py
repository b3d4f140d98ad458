"""Writes: every change to tickets and messages goes through these functions.

Views and API classes parse input and call one of these; the SLA engine is driven from here
with explicit calls, never from signals.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import OuterRef, Subquery

from helpdesk.models import User
from sla import services as sla
from sla.models import Clock, Event
from sla.policies import TicketFacts
from sla.replies import reply_assess, reply_flag_not_answered, reply_record

from . import selectors
from .email.outbound import email_reply_queue
from .models import Message, Queue, Ticket

PRIORITY_ORDER = [p.value for p in Ticket.Priority]


class TicketError(Exception):
    """A request that conflicts with the ticket's state (HTTP 409)."""


def ticket_facts(ticket: Ticket) -> TicketFacts:
    return TicketFacts(
        id=ticket.pk,
        kind=ticket.kind,
        queue=ticket.queue.slug if ticket.queue_id else None,
        priority=ticket.priority,
    )


def _queue_calendar(ticket: Ticket):
    return ticket.queue.calendar if ticket.queue_id and ticket.queue.calendar_id else None


def ticket_sla_due_refresh(*, ticket_ids: list[int] | None = None) -> int:
    """Copy the earliest running due time of each ticket's clocks onto the ticket, in one
    UPDATE (all tickets when `ticket_ids` is None, e.g. after `sla_recompute`)."""
    earliest = (
        Clock.objects.filter(ticket=OuterRef("pk"), state=Clock.State.RUNNING)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    tickets = (
        Ticket.objects.all() if ticket_ids is None else Ticket.objects.filter(pk__in=ticket_ids)
    )
    return tickets.update(sla_due_at=Subquery(earliest))


@transaction.atomic
def ticket_create(
    *,
    requester: User,
    subject: str,
    body: str,
    now: datetime,
    queue: Queue | None = None,
    priority: str = Ticket.Priority.NORMAL,
    channel: str = Message.Channel.WEB,
) -> Ticket:
    """Open a support ticket and start its SLA clocks (`ticket.started_clocks`)."""
    ticket = Ticket.objects.create(
        kind=Ticket.Kind.SUPPORT,
        requester=requester,
        subject=subject,
        body=body,
        queue=queue,
        priority=priority,
        channel=channel,
        status=Ticket.Status.OPEN,
        created_at=now,
        updated_at=now,
    )
    clocks = sla.sla_ticket_created(
        facts=ticket_facts(ticket),
        now=now,
        queue_calendar=_queue_calendar(ticket),
        new_ticket=True,
    )
    running = [c.due_at for c in clocks if c.state == Clock.State.RUNNING]
    if running:
        ticket.sla_due_at = min(running)
        ticket.save(update_fields=["sla_due_at"])
    # Shown with the new ticket (tickets.serializers) without reading them back; started
    # together, they are in Clock's order (started_at, id) already.
    ticket.started_clocks = clocks
    return ticket


def _event(*, ticket: Ticket, actor: User | None, text: str, now: datetime) -> Message:
    return Message.objects.create(
        ticket=ticket,
        author=actor,
        body=text,
        public=False,
        kind=Message.Kind.EVENT,
        channel=Message.Channel.WEB,
        created_at=now,
    )


@transaction.atomic
def ticket_reply_add(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    public: bool,
    now: datetime,
    channel: str = Message.Channel.WEB,
) -> Message:
    """Add a reply or an internal note.

    Only agents write internal notes. A requester's message on a pending or solved ticket
    opens it again: the customer is waiting once more.
    """
    is_requester = author.pk == ticket.requester_id
    if not author.is_agent:
        if not is_requester:
            raise PermissionError("Only the requester or an agent can write on this ticket.")
        public = True
    if ticket.status == Ticket.Status.CLOSED and not author.is_agent:
        raise TicketError("This ticket is closed; please open a new one.")
    question, earlier_replies = selectors.ticket_conversation_for_quality(ticket)
    agent_reply = public and author.is_agent and not is_requester
    assessed = None
    if agent_reply:
        assessed = reply_assess(
            ticket_id=ticket.pk,
            question=question,
            reply=body,
            previous_replies=[m.body for m in earlier_replies],
            now=now,
        )
    message = Message.objects.create(
        ticket=ticket,
        author=author,
        body=body,
        public=public,
        channel=channel,
        created_at=now,
        generic=bool(assessed and assessed[0].generic),
        generic_reasons=assessed[0].reasons if assessed and assessed[0].generic else [],
    )
    if assessed is not None:
        _reply_quality_record(
            ticket=ticket,
            message=message,
            question=question,
            assessed=assessed,
            earlier_replies=earlier_replies,
            now=now,
        )
    fields = ["updated_at"]
    if is_requester and not author.is_agent:
        old_status = ticket.status
        if ticket.status in (Ticket.Status.PENDING, Ticket.Status.SOLVED):
            ticket.status = Ticket.Status.OPEN
            fields.append("status")
            sla.sla_status_changed(ticket_id=ticket.pk, old=old_status, new=ticket.status, now=now)
        sla.sla_customer_replied(
            facts=ticket_facts(ticket),
            agent_replied_before=bool(earlier_replies),
            now=now,
            queue_calendar=_queue_calendar(ticket),
        )
    elif public:
        sla.sla_agent_replied(ticket_id=ticket.pk, generic=message.generic, now=now)
    ticket.updated_at = now
    ticket.save(update_fields=fields)
    ticket_sla_due_refresh(ticket_ids=[ticket.pk])
    if public and author.is_agent and ticket.channel == Message.Channel.EMAIL:
        email_reply_queue(message=message)
    return message


def _reply_quality_record(
    *,
    ticket: Ticket,
    message: Message,
    question: str,
    assessed: tuple,
    earlier_replies: list[Message],
    now: datetime,
) -> None:
    """Keep the sent reply's fingerprint; a generic one raises a generic_reply event, one
    level higher for each generic reply in a row on the ticket."""
    assessment, fingerprint, candidates = assessed
    reply_record(
        message_id=message.pk,
        ticket_id=ticket.pk,
        author_id=message.author_id,
        question=question,
        fingerprint=fingerprint,
        candidates=candidates,
        assessment=assessment,
        now=now,
    )
    if not assessment.generic:
        return
    in_a_row = 1
    for earlier in reversed(earlier_replies):
        if not earlier.generic:
            break
        in_a_row += 1
    sla.event_record(
        ticket_id=ticket.pk,
        kind=Event.Kind.GENERIC_REPLY,
        level=in_a_row,
        subject_key=f"message:{message.pk}",
        metric="answer",
        detail={"message": message.pk, "score": assessment.score, "reasons": assessment.reasons},
        now=now,
    )


@transaction.atomic
def ticket_not_answered(
    *,
    ticket: Ticket,
    requester: User,
    now: datetime,
    message: Message | None = None,
    comment: str = "",
) -> Ticket:
    """The requester says an agent's reply did not answer the question.

    The answer clock runs again from its original start (the time in between counts), the
    ticket goes back to open, a not_answered event is raised, and the reply is counted
    against its author and its template.
    """
    if requester.pk != ticket.requester_id:
        raise PermissionError("Only the requester can say a reply did not answer.")
    _question, replies = selectors.ticket_conversation_for_quality(ticket)
    if message is None:
        message = replies[-1] if replies else None
    elif message not in replies:
        raise TicketError("That is not an agent's reply on this ticket.")
    if message is None:
        raise TicketError("No agent has replied yet: there is nothing to flag.")
    reply_flag_not_answered(message_id=message.pk)
    sla.sla_not_answered(ticket_id=ticket.pk, now=now, message_id=message.pk)
    old_status = ticket.status
    if ticket.status != Ticket.Status.OPEN:
        ticket.status = Ticket.Status.OPEN
        sla.sla_status_changed(ticket_id=ticket.pk, old=old_status, new=ticket.status, now=now)
    ticket.updated_at = now
    ticket.save(update_fields=["status", "updated_at"])
    text = (
        f"The requester says the reply of {message.created_at:%Y-%m-%d %H:%M} UTC did not answer."
    )
    _event(ticket=ticket, actor=requester, text=text, now=now)
    if comment:
        Message.objects.create(
            ticket=ticket,
            author=requester,
            body=comment,
            public=True,
            created_at=now,
            channel=Message.Channel.WEB,
        )
    ticket_sla_due_refresh(ticket_ids=[ticket.pk])
    ticket.refresh_from_db(fields=["sla_due_at"])
    return ticket


def reply_check(*, ticket: Ticket, body: str, now: datetime):
    """The verdict on a draft, without sending anything."""
    question, replies = selectors.ticket_conversation_for_quality(ticket)
    assessment, _fingerprint, _candidates = reply_assess(
        ticket_id=ticket.pk,
        question=question,
        reply=body,
        previous_replies=[m.body for m in replies],
        now=now,
    )
    return assessment


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    now: datetime,
    status: str | None = None,
    priority: str | None = None,
    assignee: User | None = None,
    unassign: bool = False,
    queue: Queue | None = None,
    clear_queue: bool = False,
) -> Ticket:
    """Change the working fields of a ticket; each change is written to its history."""
    if not actor.is_agent:
        raise PermissionError("Only agents change a ticket's status, priority or assignee.")
    if assignee is not None and not assignee.is_agent:
        raise TicketError(f"{assignee.username} is not an agent.")
    changes: list[str] = []
    fields: set[str] = set()
    old_status = ticket.status
    if status is not None and status != ticket.status:
        changes.append(f"Status changed from {ticket.status} to {status}.")
        ticket.status = status
        fields.add("status")
    if priority is not None and priority != ticket.priority:
        changes.append(f"Priority changed from {ticket.priority} to {priority}.")
        ticket.priority = priority
        fields.add("priority")
    if unassign and ticket.assignee_id is not None:
        changes.append("Unassigned.")
        ticket.assignee = None
        fields.add("assignee")
    elif assignee is not None and assignee.pk != ticket.assignee_id:
        changes.append(f"Assigned to {assignee.display_name}.")
        ticket.assignee = assignee
        fields.add("assignee")
    if clear_queue and ticket.queue_id is not None:
        changes.append("Removed from its queue.")
        ticket.queue = None
        fields.add("queue")
    elif queue is not None and queue.pk != ticket.queue_id:
        changes.append(f"Moved to queue {queue.name}.")
        ticket.queue = queue
        fields.add("queue")
    if not fields:
        return ticket
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])
    for text in changes:
        _event(ticket=ticket, actor=actor, text=text, now=now)
    if "status" in fields:
        sla.sla_status_changed(ticket_id=ticket.pk, old=old_status, new=ticket.status, now=now)
        ticket_sla_due_refresh(ticket_ids=[ticket.pk])
        ticket.refresh_from_db(fields=["sla_due_at"])
    return ticket


def user_signup(*, username: str, email: str, password: str) -> User:
    return User.objects.create_user(
        username=username, email=email, password=password, role=User.Role.CUSTOMER
    )


def user_create(*, username: str, email: str, password: str, role: str) -> User:
    """Managers get into the admin (is_staff), where they configure calendars and policies."""
    return User.objects.create_user(
        username=username,
        email=email,
        password=password,
        role=role,
        is_staff=role == User.Role.MANAGER,
    )
