"""The SLA as people see it: agents every clock, the requester the promise."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tickets.services import ticket_create, ticket_update

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday


@pytest.fixture
def ticket(customer):
    return ticket_create(requester=customer, subject="Kettle", body="It leaks.", now=T0)


@pytest.mark.django_db
def test_agent_sees_each_clock_due_in_and_the_section_polls_itself(client, agent, ticket):
    client.force_login(agent)
    client.cookies["tz"] = "Europe/Bucharest"

    with time_machine.travel(T0 + timedelta(minutes=47, seconds=30), tick=False):
        page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
        section = client.get(f"/tickets/{ticket.pk}/sla/", HTTP_HX_REQUEST="true")

    assert f'hx-get="/tickets/{ticket.pk}/sla/" hx-trigger="every 30s"' in page
    body = section.content.decode()
    assert "<html" not in body
    assert "due in 3 h 12 min" in body  # first response: 4 h target
    assert 'title="Mon 2 Mar 2026, 15:00 EET"' in body  # 13:00 UTC in the viewer's zone
    assert "due in 23 h 12 min" in body  # answer
    assert "due in 2 d 23 h" in body  # resolution


@pytest.mark.django_db
def test_agent_sees_a_breach(client, agent, ticket):
    client.force_login(agent)

    with time_machine.travel(T0 + timedelta(hours=6), tick=False):
        body = client.get(f"/tickets/{ticket.pk}/sla/").content.decode()

    assert "breached 2 h ago" in body
    assert "clock-breached" in body


@pytest.mark.django_db
def test_the_customer_sees_the_promise_in_their_time_zone(client, customer, ticket):
    client.force_login(customer)
    client.cookies["tz"] = "America/New_York"

    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    with time_machine.travel(T0 + timedelta(hours=25), tick=False):
        late = client.get(f"/tickets/{ticket.pk}/sla/").content.decode()

    # The answer clock (24 h) is what the customer waits on: Tue 3 Mar 09:00 UTC = 04:00 EST.
    assert "We aim to answer by <time" in page
    assert "Tue 3 Mar, 04:00" in page
    assert "clock-label" not in page  # no internal clock list for customers
    assert "We promised an answer by" in late
    assert "We are late, sorry" in late


@pytest.mark.django_db
def test_no_promise_while_the_ticket_waits_on_the_customer(client, customer, agent, ticket):
    ticket_update(ticket=ticket, actor=agent, status="pending", now=T0)
    client.force_login(customer)

    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        body = client.get(f"/tickets/{ticket.pk}/sla/").content.decode()

    # first_response still runs: the promise is a reply.
    assert "We aim to reply by" in body


@pytest.mark.django_db
def test_other_customers_get_404_for_the_sla_section(client, other_customer, ticket):
    client.force_login(other_customer)

    assert client.get(f"/tickets/{ticket.pk}/sla/").status_code == 404
