"""ORM rows → frozen snapshots for the pure SLA code, in a fixed number of queries."""

from datetime import date

from .calendars import BusinessCalendar, parse_hours
from .models import Calendar, Policy
from .policies import PolicySnapshot


def calendar_snapshot(calendar: Calendar | None) -> BusinessCalendar | None:
    """None means 24/7."""
    if calendar is None:
        return None
    return BusinessCalendar(
        timezone=calendar.timezone,
        weekly_hours=parse_hours(calendar.hours),
        country=calendar.country or None,
        subdivision=calendar.subdivision or None,
        custom_holidays=frozenset(date.fromisoformat(d) for d in calendar.holidays),
    )


def policies_snapshot() -> list[PolicySnapshot]:
    """Every policy with its calendar, in one query, ordered by precedence."""
    return [
        PolicySnapshot(
            id=policy.pk,
            order=policy.order,
            kinds=frozenset(policy.kinds),
            queues=frozenset(policy.queues),
            priorities=frozenset(policy.priorities),
            calendar_id=policy.calendar_id,
            calendar=calendar_snapshot(policy.calendar),
            targets={str(k): int(v) for k, v in policy.targets.items()},
            warn_percent=policy.warn_percent,
        )
        for policy in Policy.objects.select_related("calendar").order_by("order", "id")
    ]
