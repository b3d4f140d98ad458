"""Which rules an SLA event matches and what they do: pure, over plain values.

`escalation.services` loads the rules and one snapshot per event, asks `plan_for` what to
do, and does it through the tickets services.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sla.business_time import is_business_time
from sla.calendars import BusinessCalendar, CalendarError

PRIORITIES = ("low", "normal", "high", "urgent")
NOTIFY_ASSIGNEE, NOTIFY_QUEUE_AGENTS, NOTIFY_MANAGERS = "assignee", "queue_agents", "managers"


@dataclass(frozen=True)
class RuleSpec:
    id: int
    name: str
    trigger: str
    kinds: frozenset[str] = frozenset()
    queues: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    metrics: frozenset[str] = frozenset()
    min_level: int = 1
    max_level: int | None = None
    business_hours_only: bool = False
    notify: frozenset[str] = frozenset()
    reassign: str = ""  # "", "queue", "agent", "other_agent"
    reassign_queue_id: int | None = None
    reassign_agent_id: int | None = None
    raise_priority: bool = False
    priority_cap: str = "urgent"
    raise_level: bool = False


@dataclass(frozen=True)
class EventSnapshot:
    """One SLA event with what the rules look at of its ticket and clock."""

    event_id: int
    kind: str
    level: int
    metric: str
    ticket_id: int
    ticket_kind: str
    queue: str | None
    priority: str
    assignee_id: int | None
    calendar: BusinessCalendar | None = None


@dataclass(frozen=True)
class Plan:
    rule_ids: tuple[int, ...] = ()
    notify: frozenset[str] = frozenset()
    reassign: tuple[str, int | None] | None = None  # (mode, queue or agent id)
    priority: str | None = None
    next_level: int | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.rule_ids


def trigger_matches(trigger: str, kind: str, metric: str) -> bool:
    if trigger == "report_overdue":
        return kind == "breach" and metric == "report_decision"
    return trigger == kind


def _in_business_hours(calendar: BusinessCalendar | None, now: datetime) -> bool:
    try:
        return is_business_time(calendar, now)
    except CalendarError:
        return False


def rule_matches(rule: RuleSpec, event: EventSnapshot, now: datetime) -> bool:
    return (
        trigger_matches(rule.trigger, event.kind, event.metric)
        and (not rule.kinds or event.ticket_kind in rule.kinds)
        and (not rule.queues or (event.queue or "") in rule.queues)
        and (not rule.priorities or event.priority in rule.priorities)
        and (not rule.metrics or event.metric in rule.metrics)
        and event.level >= rule.min_level
        and (rule.max_level is None or event.level <= rule.max_level)
        and (not rule.business_hours_only or _in_business_hours(event.calendar, now))
    )


def priority_raised(priority: str, cap: str) -> str:
    """One step up, never past the cap, never down (a ticket above the cap stays)."""
    if priority not in PRIORITIES or cap not in PRIORITIES:
        return priority
    index, top = PRIORITIES.index(priority), PRIORITIES.index(cap)
    return PRIORITIES[min(index + 1, top)] if index < top else priority


def plan_for(rules: Iterable[RuleSpec], event: EventSnapshot, now: datetime) -> Plan:
    """Every matching rule's actions, merged: notices are a union, the first rule (by order)
    that reassigns decides where, the priority rises at most one step per event, the level
    at most one."""
    matched = [rule for rule in rules if rule_matches(rule, event, now)]
    if not matched:
        return Plan()
    notify: set[str] = set()
    reassign = None
    priority = None
    raise_level = False
    notes = []
    for rule in matched:
        notify |= rule.notify
        if reassign is None and rule.reassign:
            target = {"queue": rule.reassign_queue_id, "agent": rule.reassign_agent_id}
            if rule.reassign == "other_agent" or target.get(rule.reassign) is not None:
                reassign = (rule.reassign, target.get(rule.reassign))
        if rule.raise_priority and priority is None:
            raised = priority_raised(event.priority, rule.priority_cap)
            if raised != event.priority:
                priority = raised
        raise_level = raise_level or rule.raise_level
        notes.append(rule.name)
    return Plan(
        rule_ids=tuple(rule.id for rule in matched),
        notify=frozenset(notify),
        reassign=reassign,
        priority=priority,
        next_level=event.level + 1 if raise_level else None,
        notes=tuple(notes),
    )
