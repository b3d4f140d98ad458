"""Reply quality in a real browser: the verdict while typing, "did not answer" by the customer."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sla.models import Clock, Event
from tests.browser.conftest import log_in
from tests.factories import UserFactory
from tickets import services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

QUESTION = "Does the KET-200 kettle work on 230 V in the UK, and does it need an adapter?"
GENERIC = (
    "Thank you for contacting us. We have forwarded your request to the relevant department. "
    "We value your feedback."
)


def test_agent_is_warned_while_typing_and_the_customer_says_not_answered(new_page):
    customer_user = UserFactory(username="carla", first_name="Carla", role="customer")
    UserFactory(username="alice", first_name="Alice", role="agent")
    ticket = services.ticket_create(
        requester=customer_user, subject="Voltage", body=QUESTION, now=timezone.now()
    )

    # The agent types a stock reply: the verdict appears without a reload
    agent = new_page()
    log_in(agent, "alice")
    agent.goto(f"/agent/tickets/{ticket.pk}/")
    agent.evaluate("window.__noReload = true")
    agent.get_by_label("Reply").press_sequentially(GENERIC[:60])
    agent.get_by_label("Reply").fill(GENERIC)
    agent.get_by_label("Reply").press("End")
    check = agent.locator("#reply-check")
    expect(check).to_contain_text("This reply looks generic")
    expect(check).to_contain_text("Mostly stock phrases")
    # and sends it anyway: it is recorded, marked for agents, and the answer clock runs on
    agent.get_by_role("button", name="Send reply").click()
    expect(agent.locator("#conversation .generic-reasons")).to_contain_text("stock phrases")
    assert agent.evaluate("window.__noReload") is True
    assert Clock.objects.get(ticket=ticket, metric="answer").state == "running"
    assert Event.objects.filter(ticket=ticket, kind="generic_reply").count() == 1

    # The customer sees the reply, not the verdict, and says it did not answer
    customer = new_page()
    log_in(customer, "carla")
    customer.goto(f"/tickets/{ticket.pk}/")
    expect(customer.locator("#conversation")).to_contain_text("forwarded your request")
    expect(customer.locator("body")).not_to_contain_text("generic")
    customer.get_by_role("button", name="This did not answer my question").click()

    expect(customer.locator(".flash")).to_contain_text("Your question is back with the team")
    expect(customer.locator("#conversation")).to_contain_text(
        "You told us this did not answer your question."
    )
    expect(customer).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    assert Event.objects.filter(ticket=ticket, kind="not_answered").count() == 1
