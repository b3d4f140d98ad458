"""Business-time arithmetic: due times and elapsed business time on a ``BusinessCalendar``.

Business time is *real* elapsed time inside the calendar's open intervals. Local wall-clock
intervals become UTC instants with ``zoneinfo``: a nonexistent local time (spring-forward
gap) moves forward to the first instant after the gap, an ambiguous one (fall-back) takes
its first occurrence (``fold=0``). An overnight 22:00-06:00 interval across a DST change is
therefore 7 or 9 hours long, and a 09:00-17:00 day is shorter only if the gap falls in it.

``None`` (``sla.calendars.ALWAYS_OPEN``) means 24/7: plain elapsed time.

Speed: per calendar, a timeline of UTC open intervals (integer microseconds since the epoch)
with prefix sums of business time is built lazily for a window of whole local years and
extended on demand; every call is then two binary searches. Results are exact to the
microsecond and do not depend on the window, so a cold and a warm cache agree.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sla.calendars import BusinessCalendar, CalendarError

__all__ = [
    "add_business_time",
    "business_time_between",
    "clear_caches",
    "is_business_time",
    "next_business_instant",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)
_ZERO = timedelta(0)
_FIRST_YEAR = 2
_LAST_YEAR = 9997
_SLACK_YEARS = 2
_MAX_SPAN_YEARS = 60
_MAX_CALENDARS = 512


class _Timeline:
    """Open intervals of local years ``first_year..last_year`` as sorted UTC microseconds.

    ``prefix[i]`` is the business time of intervals ``0..i-1``. Instants in ``[lo, hi]``
    are fully described: intervals from the year before ``first_year`` end before ``lo``
    (an interval lasts at most 24 h), intervals after ``last_year`` start at ``hi`` or later.
    """

    __slots__ = ("ends", "first_year", "hi", "last_year", "lo", "prefix", "starts", "years")

    def __init__(
        self,
        calendar: BusinessCalendar,
        first_year: int,
        last_year: int,
        known_years: dict[int, tuple[list[int], list[int]]],
    ) -> None:
        tz = ZoneInfo(calendar.timezone)
        self.first_year = first_year
        self.last_year = last_year
        self.years: dict[int, tuple[list[int], list[int]]] = {}
        starts: list[int] = []
        ends: list[int] = []
        for year in range(first_year, last_year + 1):
            year_intervals = known_years.get(year) or _year_intervals(calendar, tz, year)
            self.years[year] = year_intervals
            starts += year_intervals[0]
            ends += year_intervals[1]
        prefix = [0] * (len(starts) + 1)
        total = 0
        for index, (start, end) in enumerate(zip(starts, ends, strict=True), 1):
            total += end - start
            prefix[index] = total
        self.starts = starts
        self.ends = ends
        self.prefix = prefix
        self.lo = _wall_to_us(tz, _local_midnight(date(first_year, 1, 2)))
        self.hi = _wall_to_us(tz, _local_midnight(date(last_year + 1, 1, 1)))

    def elapsed(self, at: int) -> int:
        """Business time from the timeline's origin up to ``at`` (which must be covered)."""
        index = bisect_right(self.ends, at)
        if index == len(self.ends):
            return self.prefix[index]
        start = self.starts[index]
        return self.prefix[index] + (at - start if at > start else 0)


_timelines: dict[BusinessCalendar, _Timeline] = {}
_lock = threading.Lock()


def clear_caches() -> None:
    """Forget every cached timeline (tests and benchmarks use it to start cold)."""
    with _lock:
        _timelines.clear()


def _to_us(value: datetime, name: str) -> int:
    try:
        return (value - _EPOCH) // _MICROSECOND
    except TypeError:
        raise ValueError(f"{name} must be a timezone-aware datetime, not {value!r}") from None


def _from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _utc_year(value: int) -> int:
    return _from_us(value).year


def _local_midnight(day: date) -> datetime:
    """Naive on purpose: a wall-clock time of the calendar's zone, for ``_wall_to_us``."""
    return datetime(day.year, day.month, day.day)  # noqa: DTZ001


def _wall_to_us(tz: ZoneInfo, wall: datetime) -> int:
    """UTC microseconds of a naive local time: gaps move forward, folds take fold=0."""
    utc = wall.replace(tzinfo=tz).astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == wall:
        return (utc - _EPOCH) // _MICROSECOND
    # In a gap: find the transition instant, the first one whose local time is past ``wall``.
    # fold=1 uses the offset after the transition, giving an instant before it.
    before = (wall.replace(tzinfo=tz, fold=1).astimezone(UTC) - _EPOCH) // _SECOND
    after = (utc - _EPOCH) // _SECOND
    while after - before > 1:
        middle = (before + after) // 2
        local = (_EPOCH + timedelta(seconds=middle)).astimezone(tz).replace(tzinfo=None)
        if local >= wall:
            after = middle
        else:
            before = middle
    return after * 1_000_000


def _year_intervals(
    calendar: BusinessCalendar, tz: ZoneInfo, year: int
) -> tuple[list[int], list[int]]:
    closed = calendar.holidays_for_year(year)
    weekly = calendar.weekly_hours
    starts: list[int] = []
    ends: list[int] = []
    for ordinal in range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()):
        day = date.fromordinal(ordinal)
        intervals = weekly[day.weekday()]
        if not intervals or day in closed:
            continue
        midnight = _local_midnight(day)
        for start_minute, end_minute in intervals:
            start = _wall_to_us(tz, midnight + timedelta(minutes=start_minute))
            end = _wall_to_us(tz, midnight + timedelta(minutes=end_minute))
            if end > start:
                starts.append(start)
                ends.append(end)
    return starts, ends


def _check_year(year: int) -> None:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise OverflowError(f"business time is supported for years {_FIRST_YEAR}..{_LAST_YEAR}")


def _rebuild(calendar: BusinessCalendar, first_year: int, last_year: int) -> _Timeline:
    """Build (under the lock) a timeline covering at least ``first_year..last_year``."""
    _check_year(first_year)
    _check_year(last_year)
    current = _timelines.get(calendar)
    known: dict[int, tuple[list[int], list[int]]] = {}
    if current is not None:
        known = current.years
        first = min(first_year, current.first_year)
        last = max(last_year, current.last_year)
        # Grow the window, unless that would span decades: then start afresh around the request.
        if last - first < _MAX_SPAN_YEARS:
            if first < current.first_year:
                first = max(_FIRST_YEAR, first - _SLACK_YEARS)
            if last > current.last_year:
                last = min(_LAST_YEAR, last + _SLACK_YEARS)
            first_year, last_year = first, last
    timeline = _Timeline(calendar, first_year, last_year, known)
    if calendar not in _timelines and len(_timelines) >= _MAX_CALENDARS:
        del _timelines[next(iter(_timelines))]
    _timelines[calendar] = timeline
    return timeline


def _timeline(calendar: BusinessCalendar, lo: int, hi: int) -> _Timeline:
    """A timeline describing every instant of ``[lo, hi]``."""
    timeline = _timelines.get(calendar)
    if timeline is not None and timeline.lo <= lo and hi <= timeline.hi:
        return timeline
    with _lock:
        timeline = _timelines.get(calendar)
        first_year = _utc_year(lo) - 1
        last_year = _utc_year(hi) + 1
        if timeline is None:
            last_year += 1
        while timeline is None or not (timeline.lo <= lo and hi <= timeline.hi):
            timeline = _rebuild(calendar, first_year, last_year)
            first_year -= 1
            last_year += 1
        return timeline


def _extend_forward(calendar: BusinessCalendar, timeline: _Timeline, missing: int) -> _Timeline:
    """A timeline reaching at least ``missing`` microseconds of business time further."""
    years = timeline.last_year - timeline.first_year + 1
    per_year = timeline.prefix[-1] / years
    more = math.ceil(missing / per_year) + 1 if per_year else years
    with _lock:
        return _rebuild(calendar, timeline.first_year, timeline.last_year + more)


def _require_hours(calendar: BusinessCalendar) -> None:
    if not calendar.has_hours:
        raise CalendarError("hours", "the calendar has no business hours, so nothing is ever due")


def add_business_time(
    calendar: BusinessCalendar | None, start: datetime, duration: timedelta
) -> datetime:
    """The UTC instant at which ``duration`` of business time has elapsed since ``start``.

    Counting starts at ``start`` if it is inside business hours, else at the next opening.
    The result lies inside business hours or exactly at the end of an interval (never at
    the start of the next one). A zero duration returns ``start`` unchanged (in UTC), even
    outside business hours: nothing has to elapse. A calendar without any hours raises
    ``CalendarError``; a negative duration raises ``ValueError``.
    """
    begin = _to_us(start, "start")
    amount = duration // _MICROSECOND
    if amount < 0:
        raise ValueError(f"duration must not be negative, got {duration!r}")
    if calendar is None:
        return _from_us(begin + amount)
    _require_hours(calendar)
    if amount == 0:
        return _from_us(begin)
    timeline = _timeline(calendar, begin, begin)
    while True:
        ends = timeline.ends
        count = len(ends)
        index = bisect_right(ends, begin)
        if index < count:
            prefix = timeline.prefix
            interval_start = timeline.starts[index]
            target = prefix[index] + (begin - interval_start if begin > interval_start else 0)
            target += amount
            if target <= prefix[count]:
                found = bisect_left(prefix, target, index + 1) - 1
                return _from_us(timeline.starts[found] + target - prefix[found])
            missing = target - prefix[count]
        else:
            missing = amount
        timeline = _extend_forward(calendar, timeline, missing)


def business_time_between(
    calendar: BusinessCalendar | None, start: datetime, end: datetime
) -> timedelta:
    """Business time in ``[start, end)``; zero if ``end <= start`` or the calendar has no hours."""
    begin = _to_us(start, "start")
    finish = _to_us(end, "end")
    if finish <= begin:
        return _ZERO
    if calendar is None:
        return timedelta(microseconds=finish - begin)
    if not calendar.has_hours:
        return _ZERO
    timeline = _timeline(calendar, begin, finish)
    return timedelta(microseconds=timeline.elapsed(finish) - timeline.elapsed(begin))


def is_business_time(calendar: BusinessCalendar | None, at: datetime) -> bool:
    """Whether ``at`` lies inside an open interval (intervals are half-open: ``[start, end)``)."""
    instant = _to_us(at, "at")
    if calendar is None:
        return True
    if not calendar.has_hours:
        return False
    timeline = _timeline(calendar, instant, instant)
    index = bisect_right(timeline.ends, instant)
    return index < len(timeline.ends) and timeline.starts[index] <= instant


def next_business_instant(calendar: BusinessCalendar | None, at: datetime) -> datetime:
    """``at`` (in UTC) if it is business time, else the next opening. Raises without hours."""
    instant = _to_us(at, "at")
    if calendar is None:
        return _from_us(instant)
    _require_hours(calendar)
    timeline = _timeline(calendar, instant, instant)
    while True:
        index = bisect_right(timeline.ends, instant)
        if index < len(timeline.ends):
            return _from_us(max(instant, timeline.starts[index]))
        timeline = _extend_forward(calendar, timeline, 1)
