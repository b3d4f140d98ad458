"""Retention: the personal data of tickets closed long ago is purged, and old entries of the
audit log of agents' views are deleted. Runs daily in the worker (schedule
"privacy-retention") and on demand with `manage.py retention_purge`.

Batched and idempotent: each batch of tickets is one transaction that redacts them and sets
their `purged_at`, so a purged ticket leaves the partial index the next batch reads and is
never processed again; a run killed half-way loses at most its current batch, which the next
run purges. Two runs at once skip each other's locked rows (PostgreSQL).

A closed ticket counts as closed since its last update: every change (a note, a status
change) moves `updated_at`, so this never purges earlier than "N days after closing".
Published questions and reviews are left alone: they are on the shop's pages until their
author asks for erasure.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Ticket, TicketView
from .redaction import tickets_redact

BATCH_SIZE = 1000
AUDIT_BATCH_SIZE = 10_000


@dataclass
class RetentionResult:
    days: int
    audit_days: int
    dry_run: bool = False
    tickets: int = 0
    messages: int = 0
    emails: int = 0
    attachments: int = 0
    batches: int = 0
    audit_entries: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def retention_candidates(*, now: datetime, days: int):
    """Closed tickets untouched for `days`, not purged yet, not published content; read
    through the partial index on closed, unpurged tickets, longest untouched first."""
    return (
        Ticket.objects.filter(
            status=Ticket.Status.CLOSED,
            purged_at__isnull=True,
            updated_at__lt=now - timedelta(days=days),
        )
        .exclude(moderation=Ticket.Moderation.PUBLISHED)
        .order_by("updated_at", "id")
    )


def _batch_ids(candidates, batch_size: int) -> list[int]:
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    return list(candidates.values_list("pk", flat=True)[:batch_size])


def tickets_purge(
    *,
    now: datetime,
    days: int,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
    result: RetentionResult,
) -> RetentionResult:
    candidates = retention_candidates(now=now, days=days)
    while max_batches is None or result.batches < max_batches:
        with transaction.atomic():
            ids = _batch_ids(candidates, batch_size)
            if not ids:
                break
            counts = tickets_redact(tickets=Ticket.objects.filter(pk__in=ids), now=now)
        result.batches += 1
        result.tickets += counts["tickets"]
        result.messages += counts["messages"]
        result.emails += counts["emails"]
        result.attachments += counts["attachments"]
        if len(ids) < batch_size:
            break
    return result


def audit_log_purge(*, now: datetime, days: int, batch_size: int = AUDIT_BATCH_SIZE) -> int:
    """Delete entries of the views log older than `days`, oldest first, in batches."""
    old = TicketView.objects.filter(viewed_at__lt=now - timedelta(days=days)).order_by(
        "viewed_at", "id"
    )
    deleted = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += TicketView.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < batch_size:
            return deleted


def retention_purge(
    *,
    now: datetime,
    days: int | None = None,
    audit_days: int | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
) -> RetentionResult:
    """Purge the closed tickets past the retention period and the old audit entries; 0 days
    turns either off. A dry run counts what would go and changes nothing."""
    days = settings.RETENTION_CLOSED_TICKET_DAYS if days is None else days
    audit_days = settings.AUDIT_LOG_RETENTION_DAYS if audit_days is None else audit_days
    result = RetentionResult(days=days, audit_days=audit_days, dry_run=dry_run)
    if dry_run:
        if days:
            result.tickets = retention_candidates(now=now, days=days).count()
        if audit_days:
            cutoff = now - timedelta(days=audit_days)
            result.audit_entries = TicketView.objects.filter(viewed_at__lt=cutoff).count()
        return result
    if days:
        tickets_purge(
            now=now, days=days, batch_size=batch_size, max_batches=max_batches, result=result
        )
    if audit_days:
        result.audit_entries = audit_log_purge(now=now, days=audit_days)
    return result


def retention_task() -> dict:
    """The daily schedule's entry point (django-q2)."""
    return retention_purge(now=timezone.now()).as_dict()
