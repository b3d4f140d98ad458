"""The agent queue's rows are written in Python for speed: they must read exactly as the
template loop they replaced, escaping included."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.template import Context, Template

from tests.factories import QueueFactory, UserFactory
from tickets.models import Ticket
from tickets.services import ticket_create, ticket_update
from tickets.templatetags.helpdesk_tags import queue_rows

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
TEMPLATE_LOOP = (Path(__file__).parents[1] / "data" / "queue_rows_loop.html").read_text()


def squeezed(html: str) -> str:
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html).strip()


@pytest.mark.django_db
def test_queue_rows_read_as_the_template_loop(agent):
    queue = QueueFactory(slug="billing", name="Billing & <orders>")
    customer = UserFactory(username="zoe", first_name="Zoë", last_name="O'Hara <script>")
    with time_machine.travel(T0, tick=False):
        plain = ticket_create(requester=customer, subject="Plain", body="B", now=T0)
        tricky = ticket_create(
            requester=customer, subject='<b>"Bold"</b> & co', body="B", queue=queue, now=T0
        )
        ticket_update(ticket=tricky, actor=agent, assignee=agent, priority="urgent", now=T0)
        closed = ticket_create(requester=customer, subject="Done", body="B", now=T0)
        ticket_update(ticket=closed, actor=agent, status="closed", now=T0)
    page = list(
        Ticket.objects.filter(pk__in=[plain.pk, tricky.pk, closed.pk])
        .select_related("queue", "requester", "assignee")
        .order_by("pk")
    )
    for moment in (T0 + timedelta(minutes=30), T0 + timedelta(days=2)):  # due soon; overdue
        with time_machine.travel(moment, tick=False):
            expected = Template(TEMPLATE_LOOP).render(Context({"page": page}))
            written = queue_rows(page)
        assert squeezed(written) == squeezed(expected)
    assert "&lt;b&gt;&quot;Bold&quot;&lt;/b&gt; &amp; co" in written
    assert "Billing &amp; &lt;orders&gt;" in written
    assert "<script>" not in written
