"""When a breached clock escalates a second time: its breach plus a share of its target.

Set once the breach has been handled (escalation calls `clocks_escalate_at_set` for the
breaches it processed), counted in business time on the clock's calendar from its due time,
so a clock that was paused before its breach (due time moved) escalates later too. The
sweep (sla.sweep) records the level-2 breach event when a clock still running reaches it.
"""

from collections.abc import Iterable
from datetime import timedelta

from .business_time import add_business_time
from .calendars import CalendarError
from .fetch import calendar_snapshot
from .models import Clock

ESCALATE_SHARE = 0.5


def clocks_escalate_at_set(*, clock_ids: Iterable[int], share: float = ESCALATE_SHARE) -> int:
    """Give each breached, running clock without one its escalation time; safe to repeat."""
    clocks = list(
        Clock.objects.select_related("calendar")
        .filter(
            pk__in=list(clock_ids),
            breached=True,
            state=Clock.State.RUNNING,
            escalate_at__isnull=True,
            escalated_at__isnull=True,
        )
        .order_by("id")
    )
    calendars: dict[int | None, object] = {}
    for clock in clocks:
        if clock.calendar_id not in calendars:
            calendars[clock.calendar_id] = calendar_snapshot(clock.calendar)
        extra = timedelta(seconds=round(clock.target_minutes * 60 * share))
        try:
            clock.escalate_at = add_business_time(calendars[clock.calendar_id], clock.due_at, extra)
        except CalendarError:  # a calendar without hours: no business time ever elapses
            continue
    changed = [clock for clock in clocks if clock.escalate_at is not None]
    Clock.objects.bulk_update(changed, ["escalate_at"])
    return len(changed)
