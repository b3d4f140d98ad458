"""Retention: closed tickets past the period lose their personal data, in batches, once; old
audit-log entries go; the command and the daily schedule run the same service."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from tests.factories import MessageFactory, TicketFactory, UserFactory
from tests.privacy.conftest import T0
from tickets import retention
from tickets.email.models import EmailAttachment, EmailRecord
from tickets.models import Message, Ticket, TicketView
from tickets.redaction import REDACTED
from tickets.retention import retention_purge, retention_task
from tickets.services import ticket_update

DAY = timedelta(days=1)
NOW = T0 + 800 * DAY  # 2028-05-10: past the default 730 days


def close(ticket, agent, at=T0 + DAY):
    with time_machine.travel(at, tick=False):
        return ticket_update(ticket=ticket, actor=agent, status="closed", now=at)


def test_closed_tickets_past_the_period_are_purged_and_nothing_else(world):
    close(world.open_ticket, world.agent)
    close(world.email_ticket, world.agent)
    close(world.others_ticket, world.agent, at=NOW - 100 * DAY)  # closed recently
    attachment = EmailAttachment.objects.get()
    path = attachment.file.name

    result = retention_purge(now=NOW)

    assert (result.tickets, result.messages, result.emails, result.attachments) == (2, 3, 1, 1)
    purged = Ticket.objects.filter(purged_at=NOW)
    assert set(purged.values_list("pk", flat=True)) == {world.open_ticket.pk, world.email_ticket.pk}
    assert set(purged.values_list("subject", flat=True)) == {REDACTED}
    assert set(purged.values_list("requester", flat=True)) == {world.customer.pk}  # kept
    assert {m.body for m in Message.objects.filter(ticket__in=purged, kind="reply")} == {REDACTED}
    assert EmailRecord.objects.get(direction="in").from_address == ""
    assert not default_storage.exists(path)
    # Solved, open, recently closed and published tickets keep everything
    untouched = Ticket.objects.exclude(pk__in=purged)
    assert REDACTED not in set(untouched.values_list("subject", flat=True))
    assert set(untouched.values_list("purged_at", flat=True)) == {None}
    # The account itself is not touched
    world.customer.refresh_from_db()
    assert world.customer.email == "carla@example.com"


def test_published_content_stays_even_when_closed(world):
    close(world.review, world.agent)

    assert retention_purge(now=NOW).tickets == 0
    world.review.refresh_from_db()
    assert world.review.body != REDACTED


def test_the_period_counts_from_the_last_update(world):
    close(world.open_ticket, world.agent, at=NOW - 730 * DAY + timedelta(seconds=1))

    assert retention_purge(now=NOW).tickets == 0
    assert retention_purge(now=NOW + timedelta(seconds=2)).tickets == 1


def test_a_second_run_finds_nothing_to_do(world):
    close(world.open_ticket, world.agent)
    retention_purge(now=NOW)

    with CaptureQueriesContext(connection) as queries:
        again = retention_purge(now=NOW + DAY)

    assert (again.tickets, again.batches) == (0, 0)
    assert Ticket.objects.get(pk=world.open_ticket.pk).purged_at == NOW
    statements = [q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2  # one empty batch read, one audit-log read


def test_batches_and_their_statements_do_not_grow_with_the_batch(db):
    customer = UserFactory(username="old")
    tickets = TicketFactory.create_batch(
        5, requester=customer, status="closed", created_at=T0, updated_at=T0
    )
    for ticket in tickets:
        MessageFactory(ticket=ticket, created_at=T0)

    with CaptureQueriesContext(connection) as queries:
        result = retention_purge(now=NOW, batch_size=2, audit_days=0)

    assert (result.tickets, result.messages, result.batches) == (5, 5, 3)
    per_batch = [q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(per_batch) == 3 * 13, [q["sql"][:60] for q in per_batch]


@pytest.mark.parametrize("n", [5, 200])
def test_a_batch_is_a_fixed_number_of_statements(db, n):
    customer = UserFactory(username="old")
    for ticket in TicketFactory.create_batch(
        n, requester=customer, status="closed", created_at=T0, updated_at=T0
    ):
        MessageFactory(ticket=ticket, created_at=T0)

    with CaptureQueriesContext(connection) as queries:
        result = retention_purge(now=NOW, audit_days=0)

    assert result.tickets == n
    # one batch: its ids, the attachments' file names and 11 UPDATEs
    statements = [q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 13


def test_a_run_killed_half_way_leaves_whole_batches_and_the_next_run_finishes(db, monkeypatch):
    customer = UserFactory(username="old")
    TicketFactory.create_batch(4, requester=customer, status="closed", created_at=T0, updated_at=T0)
    real = retention.tickets_redact
    calls = []

    def dies_on_the_second_batch(**kwargs):
        calls.append(1)
        counts = real(**kwargs)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the worker killed mid-transaction
        return counts

    monkeypatch.setattr(retention, "tickets_redact", dies_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        retention_purge(now=NOW, batch_size=2)

    assert Ticket.objects.filter(purged_at__isnull=False).count() == 2  # the first batch only
    assert Ticket.objects.filter(purged_at__isnull=True, subject=REDACTED).count() == 0
    monkeypatch.setattr(retention, "tickets_redact", real)
    assert retention_purge(now=NOW, batch_size=2).tickets == 2
    assert Ticket.objects.filter(purged_at__isnull=True).count() == 0


def test_a_dry_run_counts_and_changes_nothing(world):
    close(world.open_ticket, world.agent)
    TicketView.objects.create(
        user=world.agent, ticket=world.open_ticket, viewed_at=T0, channel="web", page="agent_ticket"
    )

    result = retention_purge(now=NOW, dry_run=True)

    assert (result.tickets, result.audit_entries, result.dry_run) == (1, 1, True)
    assert Ticket.objects.filter(purged_at__isnull=False).count() == 0
    assert TicketView.objects.count() == 1


def test_zero_days_turns_retention_off(world, settings):
    settings.RETENTION_CLOSED_TICKET_DAYS = 0
    settings.AUDIT_LOG_RETENTION_DAYS = 0
    close(world.open_ticket, world.agent)
    TicketView.objects.create(
        user=world.agent, ticket=world.open_ticket, viewed_at=T0, channel="web", page="agent_ticket"
    )

    result = retention_purge(now=NOW + 3650 * DAY)

    assert (result.tickets, result.audit_entries) == (0, 0)
    assert TicketView.objects.count() == 1


def test_audit_log_entries_older_than_their_period_are_deleted(world, settings):
    settings.AUDIT_LOG_RETENTION_DAYS = 365
    for age in (400, 366, 364, 1):
        TicketView.objects.create(
            user=world.agent,
            ticket=world.open_ticket,
            viewed_at=NOW - age * DAY,
            channel="web",
            page="agent_ticket",
        )

    assert retention.audit_log_purge(now=NOW, days=365, batch_size=1) == 2
    assert sorted(
        (NOW - v).days for v in TicketView.objects.values_list("viewed_at", flat=True)
    ) == [
        1,
        364,
    ]


def test_the_command_prints_what_it_did(world):
    close(world.open_ticket, world.agent)
    out = StringIO()

    with time_machine.travel(NOW, tick=False):
        call_command("retention_purge", "--dry-run", stdout=out)
        call_command("retention_purge", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "Closed tickets untouched for 730 days: 1 would be purged."
    assert lines[1] == "Audit-log entries older than 365 days: 0 would be deleted."
    assert lines[3] == (
        "Closed tickets untouched for 730 days: 1 were purged in 1 batch (3 messages, "
        "0 e-mails, 0 attachments)."
    )
    assert lines[4] == "Audit-log entries older than 365 days: 0 were deleted."
    assert lines[5].startswith("Done in ")


def test_the_command_says_when_retention_is_off(db, settings):
    settings.RETENTION_CLOSED_TICKET_DAYS = 0
    out = StringIO()

    call_command("retention_purge", stdout=out)

    assert out.getvalue().splitlines()[0] == (
        "Ticket retention is off (RETENTION_CLOSED_TICKET_DAYS=0)."
    )


def test_the_daily_schedule_runs_the_same_service(world):
    schedule = Schedule.objects.get(name="privacy-retention")
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "tickets.retention.retention_task",
        "D",
        -1,
    )
    assert schedule.next_run.hour == 3
    close(world.open_ticket, world.agent)

    with time_machine.travel(NOW, tick=False):
        summary = retention_task()

    assert summary["tickets"] == 1
    assert summary["days"] == 730
