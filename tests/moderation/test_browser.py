"""Point 8, in a real browser: a customer asks, sees the promised decision time; an agent
approves from the keyboard; the customer sees it published with a notification. Then a
review rejected with a reason, which its author reads."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import ProductFactory, UserFactory
from tickets.models import Ticket

# The live server needs committed rows (see tests/browser/test_portal_flow.py).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_ask_see_the_promise_moderate_see_it_published_and_a_rejection_with_reason(new_page):
    UserFactory(username="carla", first_name="Carla", last_name="Diaz", role="customer")
    UserFactory(username="alice", first_name="Alice", last_name="Martin", role="agent")
    ProductFactory(sku="ket-200", name="KET-200 Kettle")

    # A visitor reads the product page without logging in
    customer = new_page()
    customer.goto("/products/ket-200/")
    expect(customer.get_by_role("heading", name="KET-200 Kettle")).to_be_visible()
    expect(customer.get_by_role("link", name="Log in to ask a question")).to_be_visible()

    # The customer logs in and asks a question from the product page
    log_in(customer, "carla")
    customer.goto("/products/ket-200/")
    customer.get_by_label("Your question").fill("Does the KET-200 work on 120 V?")
    customer.get_by_role("button", name="Ask").click()

    # and sees at once that it waits for moderation, with the promised time, in their zone
    expect(customer).to_have_url(re.compile(r"/my/content/\d+/$"))
    question = Ticket.objects.get(kind="question")
    assert customer.url.endswith(f"/my/content/{question.pk}/")
    expect(customer.locator(".flash")).to_contain_text(
        re.compile(r"waits for moderation\. We aim to decide by \w{3} \d+ \w{3}, \d\d:\d\d CES?T")
    )
    promise = customer.locator("#promise")
    expect(promise).to_contain_text("Waiting for moderation. We aim to decide by")
    assert re.search(r"CES?T$", promise.locator("time").inner_text())
    # and can follow it from "My questions and reviews"
    customer.get_by_role("link", name="My questions & reviews").click()
    expect(customer.locator("#my-content")).to_contain_text("Does the KET-200 work on 120 V?")
    expect(customer.locator("#my-content .badge-moderation-pending")).to_have_text("Pending")

    # The customer also writes a review
    customer.goto("/products/ket-200/")
    customer.get_by_label("Rating", exact=True).select_option("2")
    customer.get_by_label("Title").fill("Buy yours at www.example.net instead")
    customer.get_by_label("Your review").fill("Cheaper at www.example.net")
    customer.get_by_role("button", name="Submit review").click()
    expect(customer.locator(".flash")).to_contain_text("your review waits for moderation")
    review = Ticket.objects.get(kind="review")

    # An agent opens the moderation queue: oldest first, and approves from the keyboard
    agent = new_page()
    log_in(agent, "alice")
    agent.get_by_role("link", name="Moderation").click()
    rows = agent.locator("#moderation-queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Does the KET-200 work on 120 V?")
    agent.wait_for_load_state("load")  # the deferred keyboard script has run
    agent.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile("is-current"))
    agent.keyboard.press("a")
    expect(agent.locator(".flash")).to_contain_text(f"#{question.pk} published")

    # and rejects the review with a reason and an explanation
    row = agent.locator(f"#item-{review.pk}")
    row.get_by_label(f"Reason for #{review.pk}").select_option("links")
    row.get_by_label(f"Explanation for #{review.pk}").fill("Reviews cannot link to other shops.")
    row.get_by_role("button", name="Reject").click()
    expect(agent.locator(".flash")).to_contain_text(f"#{review.pk} rejected")
    expect(agent.locator("#moderation-queue")).to_contain_text("Nothing waits for moderation")

    # The customer sees the question published, with the notification
    customer.goto(f"/my/content/{question.pk}/")
    expect(customer.locator("#item-header .badge-moderation-published")).to_have_text("Published")
    expect(customer.locator("#notifications")).to_contain_text(
        "Your question about KET-200 Kettle is published."
    )
    customer.goto("/products/ket-200/")
    expect(customer.locator("#questions")).to_contain_text("Does the KET-200 work on 120 V?")

    # and the rejected review with its reason, explanation and remedies
    customer.goto(f"/my/content/{review.pk}/")
    expect(customer.locator("#item-header .badge-moderation-rejected")).to_have_text("Rejected")
    expect(customer.locator("#decisions")).to_contain_text("Reason: Links or contact details.")
    expect(customer.locator("#decisions")).to_contain_text("Reviews cannot link to other shops.")
    expect(customer.locator("#notifications")).to_contain_text("was not published")
    expect(customer.get_by_role("button", name="Submit again")).to_be_visible()
    expect(customer.get_by_role("button", name="Contest")).to_be_visible()
    assert customer.errors == []
    assert agent.errors == []
