"""In a real browser: a customer reports a listing, an agent decides, the customer reads the
statement of reasons under "My reports"."""

import re

import pytest

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import UserFactory
from tickets.models import Report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_customer_reports_agent_decides_customer_sees_the_decision(new_page):
    UserFactory(username="carla", first_name="Carla", role="customer")
    UserFactory(username="alice", first_name="Alice", role="agent")

    customer = new_page()
    log_in(customer, "carla")
    customer.goto("/reports/new/?target=https://shop.example.com/listing/42")
    expect(customer.locator("#report-status")).to_contain_text(
        "You can send 60 more reports this hour (limit 60)."
    )
    expect(customer.get_by_label("Address of the listing or content")).to_have_value(
        "https://shop.example.com/listing/42"
    )
    customer.get_by_label("Reason").select_option("copyright")
    customer.get_by_label("Explanation").fill("The photos are mine, from my blog.")
    customer.get_by_label(re.compile("made in good faith")).check()
    customer.get_by_role("button", name="Send report").click()

    report = Report.objects.get()
    expect(customer.locator(".flash")).to_have_text(f"Report #{report.pk} received.")
    expect(customer.locator("#receipt .promise")).to_contain_text("We aim to decide by")

    agent = new_page()
    log_in(agent, "alice")
    agent.get_by_role("link", name="Reports").click()
    agent.locator("#report-cases").get_by_role("link").first.click()
    agent.get_by_label("Upheld").check()
    agent.get_by_label("Facts and reasons").fill("The blog post predates the listing by a year.")
    agent.get_by_role("button", name="Decide and tell the reporters").click()
    expect(agent.locator(".flash")).to_contain_text("Decided; 1 reporter(s) told.")

    customer.get_by_role("link", name="My reports", exact=True).click()
    expect(customer.locator("table")).to_contain_text("Upheld")
    expect(customer.locator("table")).to_contain_text(
        "Facts: The blog post predates the listing by a year."
    )
    expect(customer.locator("table")).to_contain_text("How to contest")
    assert customer.errors == [] and agent.errors == []
