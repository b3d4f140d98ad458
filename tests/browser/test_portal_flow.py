"""End to end in a real browser: a customer asks, an agent answers, htmx does the swaps."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from helpdesk.models import User
from tests.browser.conftest import log_in
from tests.factories import QueueFactory, TicketFactory, UserFactory
from tickets import services
from tickets.models import Queue, Ticket

# The live server needs committed rows, hence transaction=True. serialized_rollback puts the
# data migrations' rows (the default SLA policy) back before each test, and keeps the flush
# afterwards from re-creating content types under new ids, which would break the next
# serialized test (the sweep tests use the same setting).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_customer_asks_agent_answers_customer_sees_the_reply(new_page):
    # Given a customer, an agent and a queue
    UserFactory(username="carla", first_name="Carla", last_name="Diaz", role="customer")
    UserFactory(username="alice", first_name="Alice", last_name="Martin", role="agent")
    QueueFactory(slug="appliances", name="Appliances")

    # When the customer signs in and opens a ticket through the form
    customer = new_page()
    log_in(customer, "carla")
    expect(customer).to_have_url(re.compile(r"/tickets/$"))
    customer.get_by_role("link", name="New ticket").first.click()
    customer.get_by_label("Subject").fill("Kettle leaks from the base")
    customer.get_by_label("Description").fill("Since Monday water drips under the kettle.")
    customer.get_by_label("Topic").select_option("appliances")
    customer.get_by_role("button", name="Submit ticket").click()

    # Then it is created and listed under "My tickets"
    ticket = Ticket.objects.get()
    expect(customer.locator(".flash")).to_have_text(f"Ticket #{ticket.pk} created.")
    expect(customer).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    # with the promise of the answer clock, at once
    expect(customer.locator("#sla .promise")).to_contain_text("We aim to answer by")
    customer.get_by_role("link", name="My tickets", exact=True).click()
    expect(customer.locator("table")).to_contain_text("Kettle leaks from the base")
    # and the times are shown in the browser's zone, reported through the tz cookie
    title = customer.locator("td time").first.get_attribute("title")
    assert title.endswith((" CET", " CEST"))

    # When an agent, in another browser context, opens the queue and the ticket
    agent = new_page()
    log_in(agent, "alice")
    expect(agent).to_have_url(re.compile(r"/agent/$"))
    agent.get_by_role("link", name="Kettle leaks from the base").click()
    expect(agent.locator("#ticket-header")).to_contain_text("Kettle leaks from the base")
    expect(agent.locator("#sla")).to_contain_text("First response")
    expect(agent.locator("#sla")).to_contain_text(re.compile(r"due in 3 h 5\d min"))
    agent.evaluate("window.__noReload = true")

    # and sends a public reply, then an internal note, then sets the status to pending
    agent.get_by_label("Reply").fill("Please send a photo of the base.")
    agent.get_by_role("button", name="Send reply").click()
    expect(agent.locator("#conversation")).to_contain_text("Please send a photo of the base.")
    expect(agent.get_by_label("Reply")).to_have_value("")
    # as fast as a person who knows the page: the status and the priority are picked while
    # the note is still on its way, waiting for nothing
    agent.get_by_label("Reply").fill("Same batch as ticket 12, check the seal.")
    agent.get_by_role("button", name="Add internal note").click()
    agent.get_by_label("Status").select_option("pending")
    agent.get_by_label("Priority").select_option("high")
    expect(agent.locator("#conversation .entry-note")).to_contain_text("Internal note")
    expect(agent.locator("#conversation")).to_contain_text("Status changed from open to pending.")
    expect(agent.locator("#conversation")).to_contain_text("Priority changed from normal to high.")
    expect(agent.locator("#ticket-header .badge-status-pending")).to_have_text("Pending")
    expect(agent.locator("#ticket-header .badge-priority-high")).to_have_text("High")
    expect(agent.get_by_label("Status")).to_have_value("pending")
    expect(agent.get_by_label("Priority")).to_have_value("high")

    # Then none of it reloaded the page
    assert agent.evaluate("window.__noReload") is True
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert ticket.priority == Ticket.Priority.HIGH

    # When the customer reloads the ticket
    customer.goto(f"/tickets/{ticket.pk}/")

    # Then they see the reply and the status, never the internal note
    conversation = customer.locator("#conversation")
    expect(conversation).to_contain_text("Please send a photo of the base.")
    expect(customer.locator("#ticket-header .badge-status-pending")).to_have_text("Pending")
    expect(conversation).not_to_contain_text("check the seal")
    expect(customer.locator("body")).not_to_contain_text("Internal note")
    assert customer.errors == []
    assert agent.errors == []


def test_signup_page_creates_an_account_and_signs_in(new_page):
    page = new_page()
    page.goto("/login/")
    page.get_by_role("link", name="Create an account").click()

    page.get_by_label("Username").fill("nina")
    page.get_by_label("Email").fill("nina@example.com")
    page.get_by_label("Password", exact=True).fill("plum-tree-river-7")
    page.get_by_label("Password confirmation").fill("plum-tree-river-7")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/tickets/$"))
    expect(page.locator(".flash")).to_contain_text("Welcome, nina!")
    expect(page.get_by_role("heading", name="No tickets yet")).to_be_visible()
    assert User.objects.get(username="nina").role == User.Role.CUSTOMER
    assert page.errors == []


@pytest.mark.skipif(
    not os.environ.get("HELPDESK_SCREENSHOTS"),
    reason="set HELPDESK_SCREENSHOTS=1 to refresh docs/screenshots/",
)
def test_screenshots_of_the_ticket_pages(new_page):
    ticket = _demo_ticket()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    agent = new_page()
    log_in(agent, "alice")
    agent.goto(f"/agent/tickets/{ticket.pk}/")
    agent.wait_for_timeout(150)
    agent.screenshot(path=str(SCREENSHOTS / "agent-ticket.png"))

    customer = new_page()
    log_in(customer, "carla")
    customer.goto(f"/tickets/{ticket.pk}/")
    customer.wait_for_timeout(150)
    customer.screenshot(path=str(SCREENSHOTS / "customer-ticket.png"))

    extra = os.environ.get("HELPDESK_SCREENSHOTS_EXTRA")
    if extra:  # more pages, for a look while working on the CSS
        _more_tickets()
        for path, name in [("/agent/", "agent-queue"), ("/tickets/", "my-tickets")]:
            page = agent if path.startswith("/agent") else customer
            page.goto(path)
            page.screenshot(path=f"{extra}/{name}.png")
        customer.goto("/tickets/new/")
        customer.screenshot(path=f"{extra}/ticket-new.png")
        agent.emulate_media(color_scheme="dark")
        agent.goto(f"/agent/tickets/{ticket.pk}/")
        agent.screenshot(path=f"{extra}/agent-ticket-dark.png")
        agent.goto("/agent/")
        agent.screenshot(path=f"{extra}/agent-queue-dark.png")
        anonymous = new_page()
        anonymous.goto("/login/")
        anonymous.screenshot(path=f"{extra}/login.png")


def _demo_ticket() -> Ticket:
    """A ticket with a conversation that looks like real work, built through the services."""
    now = timezone.now()
    carla = UserFactory(
        username="carla", first_name="Carla", last_name="Diaz", email="carla.diaz@example.com"
    )
    alice = UserFactory(username="alice", first_name="Alice", last_name="Martin", role="agent")
    UserFactory(username="bram", first_name="Bram", last_name="Visser", role="agent")
    appliances = QueueFactory(slug="appliances", name="Appliances")
    QueueFactory(slug="billing", name="Billing")
    other = services.ticket_create(
        requester=carla,
        subject="Invoice shows the wrong address",
        body="My invoice has my old address.",
        now=now - timedelta(days=20),
    )
    services.ticket_update(ticket=other, actor=alice, status="solved", now=now - timedelta(days=19))
    ticket = services.ticket_create(
        requester=carla,
        subject="Kettle leaks from the base after two weeks",
        body=(
            "Hello,\n\nSince Monday water drips from under my kettle (model KT-200, bought "
            "on 3 February). It only happens when it is more than half full.\n\n"
            "Is this covered by the warranty? The manual is at https://example.com/kt-200.pdf"
        ),
        queue=appliances,
        priority="high",
        now=now - timedelta(hours=5),
    )
    services.ticket_update(ticket=ticket, actor=alice, assignee=alice, now=now - timedelta(hours=4))
    services.ticket_reply_add(
        ticket=ticket,
        author=alice,
        body=(
            "Hi Carla,\n\nSorry about the leak. A leak at the base when the kettle is more "
            "than half full usually means the seal around the heating plate has shifted. "
            "That is covered by the 2-year warranty.\n\nCould you send a photo of the base "
            "so we can confirm the batch number?"
        ),
        public=True,
        now=now - timedelta(hours=3, minutes=40),
    )
    services.ticket_reply_add(
        ticket=ticket,
        author=alice,
        body="Third KT-200 seal leak this week, all batch 2406. Flagged to quality.",
        public=False,
        now=now - timedelta(hours=3, minutes=35),
    )
    services.ticket_update(
        ticket=ticket, actor=alice, status="pending", now=now - timedelta(hours=3, minutes=35)
    )
    services.ticket_reply_add(
        ticket=ticket,
        author=carla,
        body="Here it is: the sticker says batch 2406. Thanks for the quick answer!",
        public=True,
        now=now - timedelta(minutes=25),
    )
    return ticket


def _more_tickets() -> None:
    now = timezone.now()
    agents = list(User.objects.filter(role="agent"))
    queues = list(Queue.objects.all())
    rows = [
        ("Order 5531 never arrived", "urgent", "open", "support"),
        ("Is the KT-200 lid dishwasher safe?", "normal", "open", "question"),
        ("Listing sells counterfeit chargers", "high", "open", "report"),
        ("Refund for a returned toaster", "normal", "pending", "support"),
        ("Two stars: handle got loose", "low", "open", "review"),
        ("Cannot change my delivery address", "normal", "open", "support"),
        ("Charged twice for one order", "high", "pending", "support"),
        ("Blender makes a burning smell", "urgent", "open", "support"),
    ]
    for i, (subject, priority, status, kind) in enumerate(rows):
        customer = UserFactory(
            username=f"customer{i}",
            first_name=["Ines", "Tom", "Yara", "Piet", "Lena", "Omar", "Sofia", "Jun"][i],
            last_name=["Berg", "Novak", "Haddad", "Smit", "Weber", "Aziz", "Rossi", "Park"][i],
        )
        TicketFactory(
            requester=customer,
            subject=subject,
            priority=priority,
            status=status,
            kind=kind,
            queue=queues[i % len(queues)] if i % 3 else None,
            assignee=agents[i % len(agents)] if i % 2 else None,
            created_at=now - timedelta(hours=3 * i + 1),
            updated_at=now - timedelta(minutes=17 * i + 3),
            sla_due_at=now + timedelta(minutes=[-50, 25, 140, 300, 900][i % 5]) if i < 6 else None,
        )
