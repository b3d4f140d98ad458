from datetime import UTC, datetime

import pytest

from sla.models import Clock, Event
from tickets.services import ticket_create, ticket_reply_add

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUESTION = "Does the KET-200 kettle work on 230 V in the UK, and does it need an adapter?"
GENERIC = (
    "Thank you for contacting us. We have forwarded your request to the relevant department. "
    "We value your feedback."
)
SPECIFIC = "Yes, it runs on 220-240 V, 50 Hz, so 230 V in the UK is fine; it has a UK plug."


@pytest.fixture
def ticket(customer):
    return ticket_create(requester=customer, subject="Voltage", body=QUESTION, now=T0)


@pytest.mark.django_db
def test_agent_sees_the_verdict_while_typing_without_sending(client, agent, ticket):
    client.force_login(agent)

    generic = client.post(
        f"/agent/tickets/{ticket.pk}/check/", {"body": GENERIC}, HTTP_HX_REQUEST="true"
    )
    specific = client.post(
        f"/agent/tickets/{ticket.pk}/check/", {"body": SPECIFIC}, HTTP_HX_REQUEST="true"
    )
    page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()

    body = generic.content.decode()
    assert "This reply looks generic" in body
    assert "Mostly stock phrases: &#x27;thank you for contacting us&#x27;" in body
    assert "Looks like an answer to the question." in specific.content.decode()
    assert ticket.messages.count() == 0
    assert f'hx-post="/agent/tickets/{ticket.pk}/check/"' in page
    assert 'hx-trigger="keyup changed delay:700ms from:#id_body' in page


@pytest.mark.django_db
def test_checking_is_for_agents(client, customer, ticket):
    client.force_login(customer)

    assert client.post(f"/agent/tickets/{ticket.pk}/check/", {"body": GENERIC}).status_code == 404


@pytest.mark.django_db
def test_sent_generic_reply_shows_its_reasons_to_agents_not_to_the_customer(
    client, agent, customer, ticket
):
    ticket_reply_add(ticket=ticket, author=agent, body=GENERIC, public=True, now=T0)

    client.force_login(agent)
    agent_page = client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    client.force_login(customer)
    customer_page = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "Generic reply" in agent_page
    assert 'class="generic-reasons"' in agent_page
    assert "Generic reply" not in customer_page
    assert "generic-reasons" not in customer_page
    assert "Mostly stock phrases" not in customer_page
    assert "This did not answer my question" in customer_page


@pytest.mark.django_db
def test_customer_says_a_reply_did_not_answer(client, agent, customer, ticket):
    reply = ticket_reply_add(ticket=ticket, author=agent, body=SPECIFIC, public=True, now=T0)
    assert Clock.objects.get(ticket=ticket, metric="answer").state == "stopped"
    client.force_login(customer)

    response = client.post(
        f"/tickets/{ticket.pk}/not-answered/", {"message": str(reply.pk)}, follow=True
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your question is back with the team" in page
    assert "You told us this did not answer your question." in page
    assert Clock.objects.get(ticket=ticket, metric="answer").state == "running"
    assert Event.objects.filter(kind="not_answered", subject_key=f"message:{reply.pk}").count() == 1
    client.force_login(agent)
    assert (
        "The requester said this did not answer the question."
        in client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    )


@pytest.mark.django_db
def test_not_answered_by_someone_else_is_a_404(client, other_customer, agent, ticket):
    reply = ticket_reply_add(ticket=ticket, author=agent, body=SPECIFIC, public=True, now=T0)
    client.force_login(other_customer)

    response = client.post(f"/tickets/{ticket.pk}/not-answered/", {"message": str(reply.pk)})

    assert response.status_code == 404
    assert not Event.objects.filter(kind="not_answered").exists()
