"""The ticket and clock serializers write their output out by hand for speed: it must stay
exactly what DRF's declared fields render, for every kind of ticket and in any zone."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework import serializers

from tests.factories import ProductFactory, QueueFactory
from tickets.models import Ticket
from tickets.moderation import question_submit, review_submit
from tickets.reports import ReportInput, report_submit
from tickets.serializers import ClockSerializer, TicketSerializer
from tickets.services import ticket_create, ticket_reply_add, ticket_update

T0 = datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=UTC)  # the night Paris moves to summer time


def drf_rendering(ticket: Ticket) -> dict:
    """What the declared fields give through DRF's generic walk."""
    serializer = TicketSerializer(ticket)
    data = serializers.ModelSerializer.to_representation(serializer, ticket)
    data["sla"] = [
        serializers.Serializer.to_representation(ClockSerializer(c), c) for c in ticket.clocks.all()
    ]
    return dict(data)


@pytest.fixture
def tickets(customer, agent):
    queue = QueueFactory(slug="billing")
    product = ProductFactory(sku="KET-200")
    with time_machine.travel(T0, tick=False):
        support = ticket_create(
            requester=customer, subject="Kettle", body="Leaks.", queue=queue, now=T0
        )
        ticket_reply_add(ticket=support, author=agent, body="Descale it.", public=True, now=T0)
        ticket_update(ticket=support, actor=agent, assignee=agent, status="pending", now=T0)
        question = question_submit(author=customer, product=product, body="1.7 l?", now=T0)
        review = review_submit(
            author=customer, product=product, rating=2, title="Meh", body="Loud.", now=T0
        )
        report = report_submit(
            reporter=customer,
            item=ReportInput(
                target_url="https://shop.example/listing/7",
                reason="counterfeit",
                explanation="Fake logo.",
            ),
            good_faith=True,
            now=T0 + timedelta(minutes=1),
        )
    ids = [support.pk, question.pk, review.pk, report.pk]
    return list(
        Ticket.objects.filter(pk__in=ids)
        .select_related("queue", "product", "requester", "assignee")
        .prefetch_related("clocks")
        .order_by("pk")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("zone", [None, "Europe/Paris", "America/Sao_Paulo"])
def test_the_written_out_rendering_is_drfs(tickets, zone):
    if zone:
        timezone.activate(zone)
    try:
        for ticket in tickets:
            assert TicketSerializer(ticket).data == drf_rendering(ticket)
    finally:
        timezone.deactivate()
    kinds = {t.kind: t for t in tickets}
    assert set(kinds) == {"support", "question", "review", "report"}
    assert TicketSerializer(kinds["support"]).data["queue"] == "billing"
    assert TicketSerializer(kinds["review"]).data["product"] == "KET-200"
    assert TicketSerializer(kinds["review"]).data["rating"] == 2
    if zone:
        timezone.activate(zone)
    try:
        started = TicketSerializer(kinds["support"]).data["sla"][0]["started_at"]
    finally:
        timezone.deactivate()
    assert (
        started
        == {
            None: "2026-03-29T00:30:15.123456Z",
            "Europe/Paris": "2026-03-29T01:30:15.123456+01:00",
            "America/Sao_Paulo": "2026-03-28T21:30:15.123456-03:00",
        }[zone]
    )


@pytest.mark.django_db
def test_the_list_renders_rows_as_the_serializer_renders_tickets(tickets, api_client, agent):
    listed = api_client(agent).get("/api/v1/tickets/?ordering=created_at").json()["results"]

    assert [row["id"] for row in listed] == [t.pk for t in tickets]
    assert listed == [TicketSerializer(t).data for t in tickets]
    assert [len(row["sla"]) for row in listed] == [len(t.clocks.all()) for t in tickets]
