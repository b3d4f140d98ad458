"""Act on SLA events: match the rules, notify, reassign, raise priority, write history.

Idempotent by constraint: each event gets one Escalation row, inserted with ON CONFLICT DO
NOTHING ... RETURNING in the transaction that performs its actions. A second cycle working
at the same moment waits on the unique index, then finds the row there and does nothing; a
cycle that fails half-way rolls back both the row and the actions, and the next one retries.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import reverse

from helpdesk.models import User
from sla.escalate import clocks_escalate_at_set
from sla.fetch import calendar_snapshot
from sla.models import Calendar, Event, Metric
from sla.services import event_record
from tickets.models import Queue, Ticket
from tickets.services import ticket_reply_add, ticket_update

from .models import Escalation, QueueAgent, Rule, Trigger
from .notifications import escalation_notify
from .rules import (
    NOTIFY_ASSIGNEE,
    NOTIFY_MANAGERS,
    NOTIFY_QUEUE_AGENTS,
    EventSnapshot,
    Plan,
    RuleSpec,
    plan_for,
)

log = logging.getLogger(__name__)

# Events older than this are not picked up any more (a worker down for a week has bigger
# problems); it bounds the anti-join that finds unprocessed events.
LOOKBACK = timedelta(days=7)
BATCH_SIZE = 200
MAX_BATCHES = 25
BOT_USERNAME = "escalation"
METRIC_LABELS = dict(Metric.choices)
TRIGGER_LABELS = {**dict(Trigger.choices), "warning": "About to breach"}


class EscalationError(Exception):
    """A request that conflicts with the escalation's state (HTTP 409)."""


def rules_snapshot() -> list[RuleSpec]:
    specs = []
    for rule in Rule.objects.filter(active=True).order_by("order", "id"):
        notify = {
            NOTIFY_ASSIGNEE: rule.notify_assignee,
            NOTIFY_QUEUE_AGENTS: rule.notify_queue_agents,
            NOTIFY_MANAGERS: rule.notify_managers,
        }
        specs.append(
            RuleSpec(
                id=rule.pk,
                name=rule.name,
                trigger=rule.trigger,
                kinds=frozenset(rule.kinds),
                queues=frozenset(rule.queues),
                priorities=frozenset(rule.priorities),
                metrics=frozenset(rule.metrics),
                min_level=rule.min_level,
                max_level=rule.max_level,
                business_hours_only=rule.hours == Rule.Hours.BUSINESS,
                notify=frozenset(k for k, on in notify.items() if on),
                reassign=rule.reassign,
                reassign_queue_id=rule.reassign_queue_id,
                reassign_agent_id=rule.reassign_agent_id,
                raise_priority=rule.raise_priority,
                priority_cap=rule.priority_cap,
                raise_level=rule.raise_level,
            )
        )
    return specs


def escalation_bot() -> User:
    """The actor of automatic changes in a ticket's history; it cannot log in or be
    notified (inactive), and is not offered as an assignee."""
    bot, created = User.objects.get_or_create(
        username=BOT_USERNAME,
        defaults={
            "role": User.Role.AGENT,
            "is_active": False,
            "first_name": "Escalation",
            "last_name": "rules",
        },
    )
    if created:
        bot.set_unusable_password()
        bot.save(update_fields=["password"])
    return bot


def _pending_events(now: datetime, limit: int) -> list[Event]:
    return list(
        Event.objects.select_related("ticket__queue__calendar", "clock__calendar")
        .filter(created_at__gte=now - LOOKBACK, escalation__isnull=True)
        .order_by("created_at", "id")[:limit]
    )


def _claim(event: Event, now: datetime) -> bool:
    """Insert the event's escalation row unless one exists; True when this call did."""
    table = Escalation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table}
                (event_id, ticket_id, clock_id, "trigger", level, metric, created_at,
                 rules, actions)
            VALUES (%s, %s, %s, %s, %s, %s, %s, '[]', '[]')
            ON CONFLICT DO NOTHING
            RETURNING id
            """,
            [event.pk, event.ticket_id, event.clock_id, event.kind, event.level, event.metric, now],
        )
        return cursor.fetchone() is not None


class _Calendars:
    def __init__(self) -> None:
        self._cache: dict[int, object] = {}

    def get(self, calendar: Calendar | None):
        if calendar is None:
            return None
        if calendar.pk not in self._cache:
            self._cache[calendar.pk] = calendar_snapshot(calendar)
        return self._cache[calendar.pk]


def _snapshot(event: Event, calendars: _Calendars) -> EventSnapshot:
    ticket = event.ticket
    calendar = event.clock.calendar if event.clock_id and event.clock.calendar_id else None
    if calendar is None and ticket.queue_id:
        calendar = ticket.queue.calendar
    return EventSnapshot(
        event_id=event.pk,
        kind=event.kind,
        level=event.level,
        metric=event.metric,
        ticket_id=ticket.pk,
        ticket_kind=ticket.kind,
        queue=ticket.queue.slug if ticket.queue_id else None,
        priority=ticket.priority,
        assignee_id=ticket.assignee_id,
        calendar=calendars.get(calendar),
    )


def _agents() -> "Q":
    return Q(is_active=True) & (
        Q(role__in=[User.Role.AGENT, User.Role.MANAGER]) | Q(is_superuser=True)
    )


def queue_agents(queue_id: int | None) -> list[User]:
    """The queue's agents, or every active agent when the queue names none."""
    if queue_id is not None:
        members = list(
            User.objects.filter(
                _agents(),
                pk__in=QueueAgent.objects.filter(queue_id=queue_id).values("user_id"),
            )
        )
        if members:
            return members
    return list(User.objects.filter(_agents(), role=User.Role.AGENT))


def managers() -> list[User]:
    return list(
        User.objects.filter(Q(role=User.Role.MANAGER) | Q(is_superuser=True), is_active=True)
    )


def least_busy_agent(*, queue_id: int | None, exclude_id: int | None) -> User | None:
    candidates = [u.pk for u in queue_agents(queue_id) if u.pk != exclude_id]
    return (
        User.objects.filter(pk__in=candidates)
        .annotate(
            load=Count(
                "assigned_tickets",
                filter=Q(assigned_tickets__status__in=[Ticket.Status.OPEN, Ticket.Status.PENDING]),
            )
        )
        .order_by("load", "id")
        .first()
    )


def _describe(event: Event) -> str:
    what = TRIGGER_LABELS.get(event.kind, event.kind)
    metric = METRIC_LABELS.get(event.metric, event.metric)
    level = f", level {event.level}" if event.level > 1 else ""
    about = f" ({metric}{level})" if metric else (f" (level {event.level})" if level else "")
    return f"{what}{about}: {event.ticket.reference} {event.ticket.subject}"


def _apply(event: Event, plan: Plan, now: datetime, bot: User) -> list[str]:
    ticket = event.ticket
    done: list[str] = []
    recipients: dict[int, User] = {}
    if NOTIFY_ASSIGNEE in plan.notify:
        if ticket.assignee_id:
            recipients[ticket.assignee_id] = ticket.assignee
        else:
            recipients.update({u.pk: u for u in queue_agents(ticket.queue_id)})
    if NOTIFY_QUEUE_AGENTS in plan.notify:
        recipients.update({u.pk: u for u in queue_agents(ticket.queue_id)})
    if NOTIFY_MANAGERS in plan.notify:
        recipients.update({u.pk: u for u in managers()})
    changes: dict = {}
    if plan.reassign is not None:
        mode, target = plan.reassign
        if mode == "queue":
            changes["queue"] = Queue.objects.filter(pk=target).first()
        elif mode == "agent":
            changes["assignee"] = User.objects.filter(pk=target, is_active=True).first()
        else:
            changes["assignee"] = least_busy_agent(
                queue_id=ticket.queue_id, exclude_id=ticket.assignee_id
            )
    if plan.priority is not None:
        changes["priority"] = plan.priority
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes:
        ticket_update(ticket=ticket, actor=bot, now=now, **changes)
        if "assignee" in changes:
            done.append(f"reassigned to {changes['assignee'].display_name}")
            recipients[changes["assignee"].pk] = changes["assignee"]
        if "queue" in changes:
            done.append(f"moved to queue {changes['queue'].name}")
        if "priority" in changes:
            done.append(f"priority raised to {changes['priority']}")
    if plan.next_level is not None:
        event_record(
            ticket_id=ticket.pk,
            kind=event.kind,
            level=plan.next_level,
            clock_id=event.clock_id,
            metric=event.metric,
            subject_key=event.subject_key,
            now=now,
        )
        done.append(f"raised to level {plan.next_level}")
    text = _describe(event)
    if recipients:
        escalation_notify(
            recipients=recipients.values(),
            trigger=event.kind,
            text=text,
            now=now,
            ticket_id=ticket.pk,
            url=reverse("agent_ticket", args=[ticket.pk]),
        )
        names = sorted(u.display_name for u in recipients.values() if u.is_active)
        done.insert(0, "notified " + ", ".join(names))
    rules = ", ".join(f"“{name}”" for name in plan.notes)
    note = f"Escalation — {text}\nRule {rules}: " + ("; ".join(done) or "nothing to do") + "."
    ticket_reply_add(ticket=ticket, author=bot, body=note, public=False, now=now)
    return done


@dataclass(frozen=True)
class ProcessResult:
    escalations: int
    acted: int
    more: bool = False  # stopped at its bound with a full batch: events may be left


def events_process(*, now: datetime, batch_size: int | None = None) -> ProcessResult:
    """Escalate every SLA event not yet escalated (of the last week), in bounded batches,
    one transaction per event."""
    batch_size = batch_size or BATCH_SIZE
    more = False
    rules = rules_snapshot()
    calendars = _Calendars()
    bot: User | None = None
    escalations = acted = 0
    for _ in range(MAX_BATCHES):
        events = _pending_events(now, batch_size)
        breaches = []
        for event in events:
            try:
                with transaction.atomic():
                    if not _claim(event, now):
                        continue
                    escalations += 1
                    plan = plan_for(rules, _snapshot(event, calendars), now)
                    if event.kind == Event.Kind.BREACH and event.level == 1 and event.clock_id:
                        breaches.append(event.clock_id)
                    if plan.empty:
                        continue
                    bot = bot or escalation_bot()
                    done = _apply(event, plan, now, bot)
                    Escalation.objects.filter(event=event).update(
                        rules=list(plan.rule_ids), actions=done
                    )
                    acted += 1
            except Exception:
                log.exception("escalation of SLA event %s failed; retried next cycle", event.pk)
        if breaches:
            clocks_escalate_at_set(clock_ids=breaches)
        if len(events) < batch_size:
            break
    else:
        more = True
    return ProcessResult(escalations=escalations, acted=acted, more=more)


@transaction.atomic
def escalation_acknowledge(*, escalation: Escalation, user: User, now: datetime) -> Escalation:
    """Agents and managers acknowledge; doing it twice keeps the first acknowledgement."""
    if not user.is_agent:
        raise PermissionError("Only agents and managers acknowledge escalations.")
    updated = Escalation.objects.filter(pk=escalation.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=user
    )
    escalation.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    if updated:
        ticket_reply_add(
            ticket=escalation.ticket,
            author=user,
            body=f"Escalation acknowledged ({escalation.trigger}, level {escalation.level}).",
            public=False,
            now=now,
        )
    return escalation
