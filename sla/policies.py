"""Pure policy matching: which policy applies to a ticket, and what its clocks promise."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .business_time import add_business_time
from .calendars import BusinessCalendar


@dataclass(frozen=True)
class TicketFacts:
    """What the SLA engine needs to know about a ticket, without importing the tickets app."""

    id: int
    kind: str
    queue: str | None
    priority: str


@dataclass(frozen=True)
class PolicySnapshot:
    id: int | None
    order: int
    kinds: frozenset[str]
    queues: frozenset[str]
    priorities: frozenset[str]
    calendar_id: int | None
    calendar: BusinessCalendar | None
    targets: dict[str, int]
    warn_percent: int

    def matches(self, facts: TicketFacts) -> bool:
        return (
            (not self.kinds or facts.kind in self.kinds)
            and (not self.queues or facts.queue in self.queues)
            and (not self.priorities or facts.priority in self.priorities)
        )


@dataclass(frozen=True)
class Promise:
    """When a clock started now falls due and warns."""

    target_minutes: int
    due_at: datetime
    warn_at: datetime


def policy_for(
    policies: Sequence[PolicySnapshot], facts: TicketFacts, metric: str
) -> PolicySnapshot | None:
    """The first policy, by order, that matches the ticket and sets a target for the metric."""
    for policy in sorted(policies, key=lambda p: (p.order, p.id or 0)):
        if metric in policy.targets and policy.matches(facts):
            return policy
    return None


def promise(
    policy: PolicySnapshot, metric: str, start: datetime, paused: timedelta = timedelta(0)
) -> Promise:
    """Due and warn times of a clock started at `start` that has spent `paused` business
    time paused (re-baselining keeps it)."""
    minutes = policy.targets[metric]
    target = timedelta(minutes=minutes)
    warn = timedelta(seconds=round(target.total_seconds() * policy.warn_percent / 100))
    return Promise(
        target_minutes=minutes,
        due_at=add_business_time(policy.calendar, start, target + paused),
        warn_at=add_business_time(policy.calendar, start, warn + paused),
    )
