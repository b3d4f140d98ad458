"""The sweep: mark warnings and breaches of running clocks, set-based.

A fixed number of SQL statements whatever the number of tickets, and nothing loaded into
Python: each step is an INSERT ... SELECT of the events (ON CONFLICT DO NOTHING against the
unique constraint on clock, kind and level) followed by an UPDATE of the same clocks, in one
transaction. The WHERE clauses read the partial indexes over running, not yet warned (resp.
breached) clocks, so a sweep's cost grows with what is newly late, not with what is open.
Two sweeps at once record each event once; a sweep killed half-way rolls back, and the next
one finds the same clocks still unmarked.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction

from .models import Clock, Event

CLOCK = Clock._meta.db_table
EVENT = Event._meta.db_table


UNPUBLISHED_LIMIT = timedelta(days=7)


@dataclass(frozen=True)
class SweepResult:
    warnings: int
    breaches: int
    unpublished: int = 0
    escalations: int = 0


def _mark(
    *,
    kind: str,
    condition: str,
    flag_sql: str | None,
    now: datetime,
    params: dict | None = None,
    level: int = 1,
) -> int:
    """Record `kind` events for the clocks matching `condition`, then mark them."""
    params = {"kind": kind, "now": now, "level": level, **(params or {})}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {EVENT}
                (ticket_id, clock_id, kind, level, metric, subject_key, created_at, detail)
            SELECT ticket_id, id, %(kind)s, %(level)s, metric, '', %(now)s, '{{}}'
            FROM {CLOCK}
            WHERE {condition}
            ON CONFLICT DO NOTHING
            """,
            params,
        )
        inserted = cursor.rowcount
        if flag_sql:
            cursor.execute(f"UPDATE {CLOCK} SET {flag_sql} WHERE {condition}", params)
    return max(inserted, 0)


def sweep(*, now: datetime) -> SweepResult:
    """One sweep: seven statements in one transaction.

    A clock already past due gets its breach but no warning: a warning is a chance to act
    before the breach, not a second alarm after it. Public content still waiting for its
    moderation decision 7 calendar days after submission raises `unpublished_7_days`,
    whatever the policy (every question and review has a moderation clock). A breached clock
    still running at its `escalate_at` (breach plus half the target, set by sla.escalate once
    the breach is handled) raises a level-2 breach, once.
    """
    with transaction.atomic():
        warnings = _mark(
            kind=Event.Kind.WARNING,
            condition="state = 'running' AND warned_at IS NULL AND NOT breached "
            "AND warn_at <= %(now)s AND due_at > %(now)s",
            flag_sql="warned_at = warn_at",
            now=now,
        )
        breaches = _mark(
            kind=Event.Kind.BREACH,
            condition="state = 'running' AND NOT breached AND due_at <= %(now)s",
            flag_sql="breached = true, breached_at = due_at",
            now=now,
        )
        unpublished = _mark(
            kind=Event.Kind.UNPUBLISHED_7_DAYS,
            condition="metric = 'moderation' AND state IN ('running', 'paused') "
            "AND started_at <= %(limit)s",
            flag_sql=None,
            now=now,
            params={"limit": now - UNPUBLISHED_LIMIT},
        )
        escalations = _mark(
            kind=Event.Kind.BREACH,
            level=2,
            condition="state = 'running' AND escalated_at IS NULL AND escalate_at IS NOT NULL "
            "AND escalate_at <= %(now)s",
            flag_sql="escalated_at = escalate_at",
            now=now,
        )
    return SweepResult(
        warnings=warnings, breaches=breaches, unpublished=unpublished, escalations=escalations
    )
