"""In a real browser: a customer downloads their data and erases their account from "Your
data"; a manager reads in the audit log that an agent opened a ticket."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from helpdesk.models import User
from tests.browser.conftest import VIEWER_ZONE, log_in
from tests.factories import UserFactory
from tests.privacy.conftest import SECRET_WORDS, build_world
from tickets.models import Erasure, Ticket, TicketView
from tickets.redaction import REDACTED

# The live server needs committed rows (see tests/browser/test_portal_flow.py).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def open_page(new_page, live_server):
    """A page whose browser already told the server its time zone, so no page reloads
    itself (app.js) under a click."""
    page = new_page()
    page.context.add_cookies([{"name": "tz", "value": VIEWER_ZONE, "url": live_server.url}])
    return page


def test_a_customer_downloads_their_data_then_erases_their_account(new_page, live_server):
    world = build_world()
    page = open_page(new_page, live_server)
    log_in(page, "carla")

    # "Your data" from the user menu
    page.locator("details.user-menu summary").click()
    page.locator(".user-menu-panel").get_by_role("link", name="Your data").click()
    expect(page).to_have_url(re.compile(r"/account/data/$"))
    expect(page.get_by_role("heading", name="Your data", exact=True)).to_be_visible()
    expect(page.locator(".sidebar .nav-link.active")).to_have_text("Your data")
    expect(page.locator(".privacy-facts")).to_contain_text("carla@example.com")

    # The download: a JSON file named with the day, with everything about her
    with page.expect_download() as info:
        page.get_by_role("link", name="Download my data").click()
    download = info.value
    assert re.fullmatch(r"helpdesk-data-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["account"]["email"] == "carla@example.com"
    assert len(data["tickets"]) == 7
    assert data["emails_you_sent"][0]["attachments"][0]["filename"] == "invoice-carla.txt"

    # A wrong password erases nothing and says why
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_label("I understand that my account").check()
    page.get_by_role("button", name="Erase my account").click()
    expect(page.locator(".errorlist")).to_contain_text("That is not your password.")
    assert not Erasure.objects.exists()
    # (the form comes back with a 400, which the browser reports as a failed load)
    assert [e for e in page.errors if "status of 400" not in e] == []
    page.errors.clear()

    # The right one, with the confirmation, erases the account and logs out
    page.get_by_label("Your password").fill("correct-horse-battery")
    page.get_by_label("I understand that my account").check()
    page.get_by_role("button", name="Erase my account").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator(".flash")).to_contain_text("Your account and the personal data in it")
    customer = User.objects.get(pk=world.customer.pk)
    assert (customer.username, customer.email, customer.is_active) == (
        f"deleted-{customer.pk}",
        "",
        False,
    )
    subjects = set(Ticket.objects.filter(requester=customer).values_list("subject", flat=True))
    assert subjects == {REDACTED}
    assert page.errors == []

    # and the old credentials no longer open anything
    log_in(page, "carla")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator(".alert-error")).to_be_visible()
    assert SECRET_WORDS not in page.content()


def test_a_manager_reads_that_an_agent_opened_a_ticket(new_page, live_server):
    world = build_world()
    UserFactory(username="max", first_name="Max", last_name="Weber", role="manager")

    # The agent opens the customer's ticket from the queue
    agent = open_page(new_page, live_server)
    log_in(agent, "alice")
    agent.goto(f"/agent/tickets/{world.open_ticket.pk}/")
    expect(agent.locator("#ticket-header")).to_contain_text("Refund for")
    assert TicketView.objects.filter(user=world.agent, ticket=world.open_ticket).count() == 1

    # The manager finds the audit log in the navigation and sees the view, in their zone
    manager = open_page(new_page, live_server)
    log_in(manager, "max")
    manager.get_by_role("link", name="Audit log").click()
    expect(manager).to_have_url(re.compile(r"/manager/audit/$"))
    # htmx wires the filters up once the page has loaded; a change before that is a plain
    # change nobody listens to (CI saw it once)
    manager.wait_for_load_state("load")
    table = manager.locator("#audit-table")
    expect(table).to_contain_text("Alice Martin")
    expect(table).to_contain_text(f"#{world.open_ticket.pk}")
    expect(table).to_contain_text("Ticket page")
    expect(table.locator("time").first).to_contain_text(re.compile(r"CES?T$"))

    # Filtered by agent (htmx swaps the log, the address follows)
    manager.get_by_label("Agent").select_option(label="Bob")
    expect(manager.locator("#audit-log")).to_contain_text("Nothing matches these filters.")
    expect(manager).to_have_url(re.compile(r"user=\d+"))
    manager.get_by_label("Agent").select_option(label="Alice Martin")
    expect(table).to_contain_text(f"#{world.open_ticket.pk}")

    # and follows the link to the ticket's own views
    manager.get_by_role("link", name="all views").first.click()
    expect(manager).to_have_url(re.compile(rf"ticket={world.open_ticket.pk}"))
    expect(manager.locator("#audit-table tbody tr")).to_have_count(1)
    assert agent.errors == [] and manager.errors == []


def test_your_data_and_the_audit_log_have_no_serious_accessibility_violations(
    new_page, live_server
):
    from tests.browser.test_accessibility import AXE, Audit

    if not AXE.exists():
        pytest.skip("axe-core is not installed: ./scripts/test installs it with `npm ci`")
    audit = Audit(live_server.url)
    world = build_world()
    UserFactory(username="max", first_name="Max", role="manager")
    TicketView.objects.create(
        user=world.agent,
        ticket=world.open_ticket,
        viewed_at=world.open_ticket.created_at,
        channel="web",
        page="agent_ticket",
    )

    customer = open_page(new_page, live_server)
    log_in(customer, "carla")
    customer.goto("/account/data/")
    audit.check(customer, "your data")
    customer.get_by_role("button", name="Erase my account").click()  # errors shown
    expect(customer.locator(".errorlist").first).to_be_visible()
    audit.check(customer, "your data with the form's errors")

    manager = open_page(new_page, live_server)
    log_in(manager, "max")
    manager.goto("/manager/audit/")
    audit.check(manager, "audit log")
    audit.assert_clean()
