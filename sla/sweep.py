"""The sweep: mark warnings and breaches of running clocks, set-based.

A fixed number of SQL statements whatever the number of tickets, and nothing loaded into
Python. On PostgreSQL each flagged kind is ONE statement,
`WITH marked AS (UPDATE clocks ... RETURNING ...) INSERT INTO events SELECT ... FROM marked
ON CONFLICT DO NOTHING`: the clocks it flags are exactly the clocks it records events for, in
one snapshot, whatever other transactions commit meanwhile (with a separate INSERT ... SELECT
then UPDATE, a clock made late by a transaction committing between the two, e.g. a
clock_rerun, is flagged with no event, for good). SQLite has no data-modifying CTEs, but its
IMMEDIATE transactions keep other writers out, so there the INSERT ... SELECT and the UPDATE
stay two statements.

Breaches go first, so the warning step needs no `due_at > now`: with it the planner read the
due index over every clock due in the future (all open work) instead of the warn index.

The WHERE clauses match the partial indexes over running, not yet warned (resp. breached,
escalated) clocks, so a sweep's cost grows with what is newly late, not with what is open,
and PostgreSQL is told to read them with plain index scans: its column statistics cover
every clock, most of them stopped with due times long past, so it expects about 7 times too
many rows and picks bitmap scans, which never mark the index entries of the row versions a
sweep (or a stopped clock) leaves behind as dead; every later sweep then re-read all of them,
one heap page each, until VACUUM.

Two sweeps at once record each event once (the second one's UPDATE waits for the first's row
locks, then finds the clocks flagged); a sweep killed half-way rolls back, and the next one
finds the same clocks still unmarked.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction

from .models import Clock, Event

CLOCK = Clock._meta.db_table
EVENT = Event._meta.db_table
INSERT_EVENTS = f"""
    INSERT INTO {EVENT}
        (ticket_id, clock_id, kind, level, metric, subject_key, created_at, detail)
    SELECT ticket_id, id, %(kind)s, %(level)s, metric, '', %(now)s, '{{}}'
"""

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
    """Flag the clocks matching `condition` (if `flag_sql`) and record a `kind` event for
    each; the number of events recorded."""
    params = {"kind": kind, "now": now, "level": level, **(params or {})}
    with connection.cursor() as cursor:
        if flag_sql and connection.vendor == "postgresql":
            cursor.execute(
                f"""
                WITH marked AS (
                    UPDATE {CLOCK} SET {flag_sql} WHERE {condition}
                    RETURNING ticket_id, id, metric
                )
                {INSERT_EVENTS} FROM marked
                ON CONFLICT DO NOTHING
                """,
                params,
            )
            return max(cursor.rowcount, 0)
        cursor.execute(
            f"{INSERT_EVENTS} FROM {CLOCK} WHERE {condition} ON CONFLICT DO NOTHING", params
        )
        inserted = cursor.rowcount
        if flag_sql:
            cursor.execute(f"UPDATE {CLOCK} SET {flag_sql} WHERE {condition}", params)
    return max(inserted, 0)


def sweep(*, now: datetime) -> SweepResult:
    """One sweep in one transaction: on PostgreSQL five statements (plan settings, then one
    per kind), elsewhere seven.

    A clock already past due gets its breach but no warning: a warning is a chance to act
    before the breach, not a second alarm after it. Public content still waiting for its
    moderation decision 7 calendar days after submission raises `unpublished_7_days`,
    whatever the policy (every question and review has a moderation clock). A breached clock
    still running at its `escalate_at` (breach plus half the target, set by sla.escalate once
    the breach is handled) raises a level-2 breach, once.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('enable_bitmapscan', 'off', true), "
                    "set_config('enable_seqscan', 'off', true)"
                )
        breaches = _mark(
            kind=Event.Kind.BREACH,
            condition="state = 'running' AND NOT breached AND due_at <= %(now)s",
            flag_sql="breached = true, breached_at = due_at",
            now=now,
        )
        warnings = _mark(
            kind=Event.Kind.WARNING,
            condition="state = 'running' AND warned_at IS NULL AND NOT breached "
            "AND warn_at <= %(now)s",
            flag_sql="warned_at = warn_at",
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
