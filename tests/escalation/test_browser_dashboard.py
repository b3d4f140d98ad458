"""The managers' dashboard in a real browser: figures, SVG charts, the live list refreshing
without a reload, CSV links, acknowledging an escalation; and docs/screenshots/dashboard.png."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation.models import Escalation
from escalation.services import events_process
from sla.services import sla_ticket_created
from sla.sweep import sweep
from tests.browser.conftest import log_in
from tests.factories import ProductFactory, QueueFactory, TicketFactory, UserFactory
from tickets.services import ticket_create, ticket_facts, ticket_reply_add, ticket_update

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TEMPLATE = "Thank you for contacting us. We are looking into it and will get back to you soon."
ANSWERS = [
    "The {thing} stops because its thermal fuse tripped; a replacement {thing} ships today.",
    "Your {thing} order was charged twice; the second charge is refunded within 3 days.",
    "Reset the {thing} by holding the power button 10 seconds, then pair it again.",
]
THINGS = ["kettle", "toaster", "blender", "headset", "router", "lamp", "scale", "fan"]


def build_demo(now):
    agents = [
        UserFactory(username=name, role="agent", first_name=first, last_name=last)
        for name, first, last in [
            ("alice", "Alice", "Moreau"),
            ("bob", "Bob", "Nowak"),
            ("chen", "Chen", "Wei"),
        ]
    ]
    UserFactory(username="max", role="manager", first_name="Max", last_name="Berger")
    queues = [
        QueueFactory(slug="billing", name="Billing"),
        QueueFactory(slug="devices", name="Devices"),
    ]
    customer = UserFactory(username="carla", role="customer")
    n = 0
    for day in range(14, 0, -1):
        for k in range(4):
            n += 1
            start = now - timedelta(days=day, hours=k * 3)
            thing = THINGS[n % len(THINGS)]
            agent = agents[n % 3]
            ticket = ticket_create(
                requester=customer,
                subject=f"My {thing} does not work ({n})",
                body=f"The {thing} stopped working after two weeks. What can I do?",
                queue=queues[n % 2],
                now=start,
            )
            ticket_update(ticket=ticket, actor=agent, assignee=agent, now=start)
            first = start + timedelta(minutes=20 + 9 * (n % 7))
            if agent.username == "chen" or n % 5 == 0:
                ticket_reply_add(ticket=ticket, author=agent, body=TEMPLATE, public=True, now=first)
                first += timedelta(hours=3 + n % 4)
            ticket_reply_add(
                ticket=ticket,
                author=agent,
                body=ANSWERS[n % 3].format(thing=thing),
                public=True,
                now=first + timedelta(minutes=15),
            )
    for k in range(5):
        ticket = ticket_create(
            requester=customer,
            subject=f"Refund still missing ({k})",
            body="Where is it?",
            queue=queues[0],
            now=now - timedelta(hours=3 + k * 2),
        )
        if k % 2:
            ticket_update(ticket=ticket, actor=agents[0], assignee=agents[0], now=ticket.created_at)
    ticket_create(
        requester=customer,
        subject="Screen flickers",
        body="Since the update.",
        now=now - timedelta(minutes=190),
    )
    product = ProductFactory(sku="kettle-2000", name="Kettle 2000")
    for days in (0.2, 0.5, 1.5, 2.5, 3.2, 4.1, 5.5, 8, 9):
        question = TicketFactory(
            kind="question",
            requester=customer,
            product=product,
            moderation="pending",
            created_at=now - timedelta(days=days),
        )
        sla_ticket_created(facts=ticket_facts(question), now=question.created_at)
    sweep(now=now)
    events_process(now=now)


def test_dashboard_figures_charts_live_list_and_acknowledge(new_page):
    now = timezone.now()
    build_demo(now)
    page = new_page()
    log_in(page, "max")

    page.goto("/manager/dashboard/?days=30")

    expect(page.get_by_role("heading", name="SLA dashboard")).to_be_visible()
    expect(
        page.get_by_role(
            "img", name="Median time to first reply against median time to answer, by day"
        )
    ).to_be_visible()
    expect(
        page.get_by_role(
            "img", name="Moderation backlog by days waited; the last bar is past the 7-day mark"
        )
    ).to_be_visible()
    metrics = page.locator("#t-metrics").locator("xpath=../..").locator("tbody tr").first
    expect(metrics).to_contain_text("First response")
    expect(page.locator("#live")).to_contain_text("Refund still missing")
    expect(page.get_by_role("link", name="CSV").first).to_have_attribute("download", "")

    # Something breaches while the page is open: the live list shows it without a reload.
    late = ticket_create(
        requester=UserFactory(username="dora"),
        subject="Kettle leaks",
        body="Water everywhere.",
        now=now - timedelta(hours=5),
    )
    sweep(now=timezone.now())
    with page.expect_response(lambda r: "/manager/dashboard/live/" in r.url):
        page.evaluate("htmx.trigger('#live', 'refresh')")
    expect(page.locator("#live")).to_contain_text(f"#{late.pk} Kettle leaks")

    if os.environ.get("HELPDESK_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 900})
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    page.goto("/agent/escalations/")
    open_before = Escalation.objects.filter(acknowledged_at__isnull=True).count()
    page.get_by_role("button", name="Acknowledge").first.click()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(min(open_before, 50) - 1)
    assert Escalation.objects.filter(acknowledged_at__isnull=True).count() == open_before - 1
    expect(page.locator("#notification-bell .bell-count")).to_be_visible()
    assert page.errors == []
