from datetime import UTC, datetime

import pytest

from tickets.models import Message, Ticket
from tickets.services import TicketError, ticket_create, ticket_reply_add, ticket_update

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_customer_reply_reopens_a_pending_ticket(customer, agent):
    ticket = ticket_create(requester=customer, subject="Kettle", body="It leaks.", now=NOW)
    ticket_update(ticket=ticket, actor=agent, status=Ticket.Status.PENDING, now=NOW)

    ticket_reply_add(ticket=ticket, author=customer, body="Still leaking.", public=True, now=NOW)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


@pytest.mark.django_db
def test_customer_cannot_write_internal_notes(customer):
    ticket = ticket_create(requester=customer, subject="Kettle", body="It leaks.", now=NOW)

    message = ticket_reply_add(ticket=ticket, author=customer, body="x", public=False, now=NOW)

    assert message.public is True


@pytest.mark.django_db
def test_other_customer_cannot_reply(customer, other_customer):
    ticket = ticket_create(requester=customer, subject="Kettle", body="It leaks.", now=NOW)

    with pytest.raises(PermissionError):
        ticket_reply_add(ticket=ticket, author=other_customer, body="hi", public=True, now=NOW)


@pytest.mark.django_db
def test_update_records_each_change_as_an_internal_event(customer, agent):
    ticket = ticket_create(requester=customer, subject="Kettle", body="It leaks.", now=NOW)

    ticket_update(
        ticket=ticket, actor=agent, status="pending", priority="high", assignee=agent, now=NOW
    )

    events = list(ticket.messages.values_list("kind", "public", "body"))
    assert events == [
        ("event", False, "Status changed from open to pending."),
        ("event", False, "Priority changed from normal to high."),
        ("event", False, f"Assigned to {agent.display_name}."),
    ]


@pytest.mark.django_db
def test_assigning_a_customer_is_refused(customer, agent, other_customer):
    ticket = ticket_create(requester=customer, subject="Kettle", body="It leaks.", now=NOW)

    with pytest.raises(TicketError):
        ticket_update(ticket=ticket, actor=agent, assignee=other_customer, now=NOW)
    assert Message.objects.count() == 0
