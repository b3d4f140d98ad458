"""The clock lifecycle of DESIGN.md's metrics table, in one place.

The tickets services call one function per thing that happened to a ticket (created, agent
replied, customer wrote, status changed, moderation or report decided, "not answered"); each
decides which clocks start, pause, resume or stop. Per-ticket work loads that ticket's few
clocks; the sweep (sla.sweep) is the set-based part.
"""

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q, QuerySet

from helpdesk.outbox import outbox_enqueue

from .business_time import add_business_time, business_time_between
from .calendars import BusinessCalendar
from .fetch import calendar_snapshot, policies_snapshot
from .models import Calendar, Clock, Event, Metric
from .policies import PolicySnapshot, TicketFacts, policy_for, promise

M = Metric
RUNNING, PAUSED, STOPPED = Clock.State.RUNNING, Clock.State.PAUSED, Clock.State.STOPPED
ACTIVE_STATUSES = ("open", "pending")
DONE_STATUSES = ("solved", "closed")
# Metrics that stop waiting while the ticket waits on the customer.
PAUSE_ON_PENDING = (M.ANSWER, M.RESOLUTION)
CUSTOMER_WAIT_METRICS = (M.FIRST_RESPONSE, M.ANSWER, M.NEXT_RESPONSE, M.RESOLUTION)
START_METRICS = {
    "support": (M.FIRST_RESPONSE, M.ANSWER, M.RESOLUTION),
    "question": (M.MODERATION,),
    "review": (M.MODERATION,),
    "report": (M.REPORT_DECISION,),
}


# Public content always gets a moderation clock, so the built-in 7-day rule (sla.sweep) holds
# "whatever the policy says", even with no policy setting a moderation target.
UNPUBLISHED_LIMIT = timedelta(days=7)
FALLBACK_POLICIES = {
    M.MODERATION: PolicySnapshot(
        id=None,
        order=0,
        kinds=frozenset(),
        queues=frozenset(),
        priorities=frozenset(),
        calendar_id=None,
        calendar=None,
        targets={M.MODERATION: int(UNPUBLISHED_LIMIT.total_seconds() // 60)},
        warn_percent=75,
    )
}


# --- the lifecycle: one function per thing that happens to a ticket -----------------------


def sla_ticket_created(
    *,
    facts: TicketFacts,
    now: datetime,
    queue_calendar: Calendar | None = None,
    new_ticket: bool = False,
) -> list[Clock]:
    """The kind's first clocks; `new_ticket`: the caller created the ticket in this
    transaction, so it has none yet (one query fewer)."""
    return clocks_start(
        facts=facts,
        metrics=START_METRICS[facts.kind],
        now=now,
        queue_calendar=queue_calendar,
        new_ticket=new_ticket,
    )


def sla_agent_replied(*, ticket_id: int, generic: bool, now: datetime) -> None:
    """Any public agent reply is a response; only a reply that is not generic is an answer."""
    metrics = [M.FIRST_RESPONSE, M.NEXT_RESPONSE]
    if not generic:
        metrics.append(M.ANSWER)
    clocks_stop(ticket_id=ticket_id, metrics=metrics, now=now)


def sla_customer_replied(
    *,
    facts: TicketFacts,
    agent_replied_before: bool,
    now: datetime,
    queue_calendar: Calendar | None = None,
) -> None:
    """A requester's message after an agent reply starts a next_response cycle."""
    if not agent_replied_before:
        return
    running = Clock.objects.filter(
        ticket_id=facts.id, metric=M.NEXT_RESPONSE, state=RUNNING
    ).exists()
    if not running:
        clocks_start(facts=facts, metrics=[M.NEXT_RESPONSE], now=now, queue_calendar=queue_calendar)


def sla_status_changed(*, ticket_id: int, old: str, new: str, now: datetime) -> None:
    if old == new:
        return
    if old in DONE_STATUSES and new in ACTIVE_STATUSES:
        # Reopened: resolution resumes; the time it spent solved does not count.
        clocks_resume(ticket_id=ticket_id, metrics=[M.RESOLUTION], now=now, from_stopped=True)
    if new == "pending":
        clocks_pause(ticket_id=ticket_id, metrics=PAUSE_ON_PENDING, now=now)
    elif new == "open" and old == "pending":
        clocks_resume(ticket_id=ticket_id, metrics=PAUSE_ON_PENDING, now=now)
    elif new in DONE_STATUSES:
        clocks_stop(ticket_id=ticket_id, metrics=CUSTOMER_WAIT_METRICS, now=now)


def sla_moderation_decided(
    *,
    facts: TicketFacts,
    published: bool,
    now: datetime,
    queue_calendar: Calendar | None = None,
) -> None:
    """A decision stops moderation; a published question starts waiting for its answer."""
    clocks_stop(ticket_id=facts.id, metrics=[M.MODERATION], now=now)
    if published and facts.kind == "question":
        clocks_start(facts=facts, metrics=[M.ANSWER], now=now, queue_calendar=queue_calendar)


def sla_content_resubmitted(
    *, facts: TicketFacts, now: datetime, queue_calendar: Calendar | None = None
) -> list[Clock]:
    """Edited content back in moderation: a new moderation cycle with a new promise; the
    7-day rule counts from the resubmission."""
    clocks_stop(ticket_id=facts.id, metrics=[M.MODERATION], now=now)
    return clocks_start(
        facts=facts,
        metrics=[M.MODERATION],
        now=now,
        queue_calendar=queue_calendar,
        new_cycle=True,
    )


def sla_report_decided(*, ticket_id: int, now: datetime) -> None:
    clocks_stop(ticket_id=ticket_id, metrics=[M.REPORT_DECISION], now=now)


def sla_not_answered(*, ticket_id: int, now: datetime, message_id: int | None = None) -> Event:
    """The requester says the reply did not answer: the answer clock runs again from its
    original start (the time in between counts) and a not_answered event is raised."""
    clock_rerun(ticket_id=ticket_id, metric=M.ANSWER, now=now)
    previous = Event.objects.filter(ticket_id=ticket_id, kind=Event.Kind.NOT_ANSWERED).count()
    return event_record(
        ticket_id=ticket_id,
        kind=Event.Kind.NOT_ANSWERED,
        level=previous + 1,
        subject_key=f"message:{message_id}" if message_id else "",
        metric=M.ANSWER,
        now=now,
    )


# --- clock operations ---------------------------------------------------------------------


def clocks_start(
    *,
    facts: TicketFacts,
    metrics: Iterable[str],
    now: datetime,
    queue_calendar: Calendar | None = None,
    policies: Sequence[PolicySnapshot] | None = None,
    new_cycle: bool = False,
    new_ticket: bool = False,
) -> list[Clock]:
    """Start the metrics' clocks from the first matching policy; a metric already started is
    left alone, except next_response (or any metric with `new_cycle`), which starts a new
    cycle. A ticket created in this transaction (`new_ticket`) has no clocks to look up."""
    metrics = list(metrics)
    if not metrics:
        return []
    policies = policies_snapshot() if policies is None else policies
    cycles = (
        {}
        if new_ticket
        else dict(
            Clock.objects.filter(ticket_id=facts.id, metric__in=metrics)
            .values_list("metric")
            .annotate(last=Max("cycle"))
        )
    )
    snapshots: dict[int, BusinessCalendar | None] = {}
    clocks = []
    for metric in metrics:
        if metric in cycles and metric != M.NEXT_RESPONSE and not new_cycle:
            continue
        policy = policy_for(policies, facts, metric) or FALLBACK_POLICIES.get(metric)
        if policy is None:
            continue
        policy = _on_queue_calendar(policy, queue_calendar, snapshots)
        p = promise(policy, metric, now)
        clocks.append(
            Clock(
                ticket_id=facts.id,
                metric=metric,
                cycle=cycles.get(metric, 0) + 1,
                policy_id=policy.id,
                calendar_id=policy.calendar_id,
                target_minutes=p.target_minutes,
                warn_percent=policy.warn_percent,
                state=RUNNING,
                started_at=now,
                due_at=p.due_at,
                warn_at=p.warn_at,
            )
        )
    return Clock.objects.bulk_create(clocks)


def _on_queue_calendar(
    policy: PolicySnapshot,
    queue_calendar: Calendar | None,
    snapshots: dict[int, BusinessCalendar | None],
) -> PolicySnapshot:
    """A policy without a calendar follows the hours of the ticket's queue, if any
    (`snapshots` caches each queue calendar's pure form for the caller's loop)."""
    if policy.calendar is not None or queue_calendar is None:
        return policy
    if queue_calendar.pk not in snapshots:
        snapshots[queue_calendar.pk] = calendar_snapshot(queue_calendar)
    return replace(policy, calendar=snapshots[queue_calendar.pk], calendar_id=queue_calendar.pk)


def _ticket_clocks(ticket_id: int, metrics: Iterable[str], states: Iterable[str]) -> list[Clock]:
    return list(
        Clock.objects.select_related("calendar")
        .filter(ticket_id=ticket_id, metric__in=list(metrics), state__in=list(states))
        .order_by("id")
    )


@transaction.atomic
def clocks_stop(*, ticket_id: int, metrics: Iterable[str], now: datetime) -> list[Clock]:
    """Stop running or paused clocks. A clock stopped after its due time counts as breached,
    with its breach event, even when no sweep saw it running late."""
    clocks = _ticket_clocks(ticket_id, metrics, (RUNNING, PAUSED))
    late = []
    for clock in clocks:
        end = clock.paused_at if clock.state == PAUSED else now
        if not clock.breached and end > clock.due_at:
            clock.breached = True
            clock.breached_at = clock.due_at
            late.append(clock)
        clock.state = STOPPED
        clock.stopped_at = now
        clock.paused_at = None
    Clock.objects.bulk_update(
        clocks, ["state", "stopped_at", "paused_at", "breached", "breached_at"]
    )
    _breach_events(late, now)
    return clocks


def clocks_stop_all(*, ticket_ids: QuerySet, now: datetime) -> int:
    """Stop every running or paused clock of these tickets (`ticket_ids`: a queryset of
    ticket ids), as `clocks_stop` does one ticket's, in four statements whatever their
    number: a clock stopped after its due time counts as breached, with its breach event.
    Returns the number of clocks stopped."""
    clocks = Clock.objects.filter(ticket_id__in=ticket_ids, state__in=(RUNNING, PAUSED))
    late = clocks.filter(
        Q(state=RUNNING, due_at__lt=now) | Q(state=PAUSED, paused_at__gt=F("due_at")),
        breached=False,
    )
    select, params = late.values_list("ticket_id", "id", "metric").query.sql_with_params()
    with connection.cursor() as cursor:
        # WHERE true: SQLite reads an upsert after INSERT ... SELECT only with a WHERE.
        cursor.execute(
            f"INSERT INTO {Event._meta.db_table} "
            "(ticket_id, clock_id, kind, level, metric, subject_key, created_at, detail) "
            f"SELECT ticket_id, id, %s, 1, metric, '', %s, '{{}}' FROM ({select}) late "
            "WHERE true ON CONFLICT DO NOTHING",
            [Event.Kind.BREACH, now, *params],
        )
    late.update(breached=True, breached_at=F("due_at"))
    return clocks.update(state=STOPPED, stopped_at=now, paused_at=None)


def _breach_events(clocks: Sequence[Clock], now: datetime) -> None:
    if clocks:
        Event.objects.bulk_create(
            [
                Event(
                    ticket_id=c.ticket_id,
                    clock=c,
                    kind=Event.Kind.BREACH,
                    level=1,
                    metric=c.metric,
                    created_at=now,
                )
                for c in clocks
            ],
            ignore_conflicts=True,
        )


@transaction.atomic
def clocks_pause(*, ticket_id: int, metrics: Iterable[str], now: datetime) -> list[Clock]:
    clocks = _ticket_clocks(ticket_id, metrics, (RUNNING,))
    for clock in clocks:
        clock.state = PAUSED
        clock.paused_at = now
    Clock.objects.bulk_update(clocks, ["state", "paused_at"])
    return clocks


@transaction.atomic
def clocks_resume(
    *, ticket_id: int, metrics: Iterable[str], now: datetime, from_stopped: bool = False
) -> list[Clock]:
    """Resume paused (or, on reopen, stopped) clocks: due and warn times move later by the
    business time spent paused, so that time does not count against the target."""
    states = (PAUSED, STOPPED) if from_stopped else (PAUSED,)
    clocks = _ticket_clocks(ticket_id, metrics, states)
    if from_stopped:
        # Only the latest cycle of a metric can be resumed.
        latest: dict[str, Clock] = {}
        for clock in clocks:
            latest[clock.metric] = clock
        clocks = list(latest.values())
    for clock in clocks:
        since = clock.paused_at if clock.state == PAUSED else clock.stopped_at
        calendar = calendar_snapshot(clock.calendar)
        if since is not None and not clock.breached:
            paused = business_time_between(calendar, since, now)
            clock.paused_seconds += paused.total_seconds()
            if paused > timedelta(0):
                clock.due_at = add_business_time(calendar, clock.due_at, paused)
                if clock.warned_at is None:
                    clock.warn_at = add_business_time(calendar, clock.warn_at, paused)
        clock.state = RUNNING
        clock.paused_at = None
        clock.stopped_at = None
    Clock.objects.bulk_update(
        clocks, ["state", "paused_at", "stopped_at", "due_at", "warn_at", "paused_seconds"]
    )
    return clocks


@transaction.atomic
def clock_rerun(*, ticket_id: int, metric: str, now: datetime) -> Clock | None:
    """Run a stopped clock again from its original start: its due time does not move."""
    clock = Clock.objects.filter(ticket_id=ticket_id, metric=metric).order_by("-cycle").first()
    if clock is None or clock.state != STOPPED:
        return clock
    clock.state = RUNNING
    clock.stopped_at = None
    clock.save(update_fields=["state", "stopped_at"])
    return clock


def events_hand_over(*, now: datetime) -> None:
    """After commit, queue the task that acts on new events (settings.SLA_EVENTS_TASK, named
    by its dotted path so `sla` stays unaware of the escalation code), so a generic reply or a
    "not answered" escalates at once rather than at the next per-minute sweep."""
    task = getattr(settings, "SLA_EVENTS_TASK", "")
    if task:
        outbox_enqueue(func=task, now=now)


def event_record(
    *,
    ticket_id: int,
    kind: str,
    now: datetime,
    level: int = 1,
    clock_id: int | None = None,
    metric: str = "",
    subject_key: str = "",
    detail: dict | None = None,
) -> Event:
    """Record an event once: a second call with the same key returns the first event."""
    Event.objects.bulk_create(
        [
            Event(
                ticket_id=ticket_id,
                clock_id=clock_id,
                kind=kind,
                level=level,
                metric=metric,
                subject_key=subject_key,
                created_at=now,
                detail=detail or {},
            )
        ],
        ignore_conflicts=True,
    )
    events_hand_over(now=now)
    lookup = {"ticket_id": ticket_id, "kind": kind, "level": level}
    if clock_id is not None:
        lookup["clock_id"] = clock_id
    else:
        lookup.update(clock__isnull=True, subject_key=subject_key)
    return Event.objects.get(**lookup)


@transaction.atomic
def clocks_recompute(
    *,
    facts: Sequence[TicketFacts],
    queue_calendars: dict[int, Calendar | None],
    policies: Sequence[PolicySnapshot],
) -> int:
    """Re-baseline the running and paused clocks of these tickets on the current policies.

    Each clock keeps its start and the business time it spent paused; its target, calendar,
    due and warn times come from the policy that matches the ticket now. Clocks whose metric
    no policy covers any more are left as they are. Returns the number of clocks changed.
    """
    by_id = {f.id: f for f in facts}
    clocks = list(
        Clock.objects.filter(ticket_id__in=list(by_id), state__in=(RUNNING, PAUSED)).order_by("id")
    )
    snapshots: dict[int, BusinessCalendar | None] = {}
    changed = []
    for clock in clocks:
        ticket = by_id[clock.ticket_id]
        policy = policy_for(policies, ticket, clock.metric)
        if policy is None:
            continue
        policy = _on_queue_calendar(policy, queue_calendars.get(ticket.id), snapshots)
        p = promise(policy, clock.metric, clock.started_at, timedelta(seconds=clock.paused_seconds))
        due, warn_at = p.due_at, p.warn_at
        new = (policy.id, policy.calendar_id, policy.targets[clock.metric], policy.warn_percent)
        old = (clock.policy_id, clock.calendar_id, clock.target_minutes, clock.warn_percent)
        if new == old and (due, warn_at) == (clock.due_at, clock.warn_at):
            continue
        clock.policy_id, clock.calendar_id, clock.target_minutes, clock.warn_percent = new
        if not clock.breached:
            clock.due_at = due
        if clock.warned_at is None:
            clock.warn_at = warn_at
        changed.append(clock)
    Clock.objects.bulk_update(
        changed, ["policy", "calendar", "target_minutes", "warn_percent", "due_at", "warn_at"]
    )
    return len(changed)
