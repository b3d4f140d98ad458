"""Business calendars: weekly opening hours in a time zone, minus public and custom holidays.

A calendar is a frozen value so that it can be hashed, cached and compared; everything that
turns configuration (the API's ``{"mon": [["09:00", "17:00"]], ...}`` form, time zone and
country codes) into a calendar lives here and reports problems as ``CalendarError`` with the
path of the offending field, so that the API can show it next to the input.

Semantics, shared with ``sla.business_time``:

* ``weekly_hours[d]`` holds the intervals of weekday ``d`` (Monday = 0) as local minutes since
  midnight, sorted. An overnight interval such as 22:00-06:00 is stored as ``(1320, 1800)`` and
  belongs to the day it starts on.
* A holiday removes the intervals that *start* on that local date; an overnight interval that
  starts the evening before a holiday still runs into the holiday's morning.
* ``ALWAYS_OPEN`` (``None``) stands for 24/7: business time is plain elapsed time.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from itertools import pairwise
from typing import Final

import holidays

__all__ = [
    "ALWAYS_OPEN",
    "DAY_KEYS",
    "BusinessCalendar",
    "CalendarError",
    "Interval",
    "WeeklyHours",
    "format_hours",
    "parse_hours",
    "public_holidays",
    "validate_country",
    "validate_timezone",
    "validate_weekly_hours",
]

DAY_KEYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY: Final = 1440

Interval = tuple[int, int]
WeeklyHours = tuple[tuple[Interval, ...], ...]

ALWAYS_OPEN: Final = None
"""Pass as the calendar (or pass ``None``) for 24/7: business time is real elapsed time."""

_TIME_RE: Final = re.compile(r"(\d\d):(\d\d)")


class CalendarError(ValueError):
    """Invalid calendar configuration; ``field`` is a path such as ``"hours.mon[1]"``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[CalendarError], tuple[str, str]]:
        return (type(self), (self.field, self.message))


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours of a team in one time zone, with the holidays on which it is closed.

    Construction canonicalises and validates every field (lists become tuples, intervals are
    sorted, the country code is upper-cased), so two equal configurations give equal, equally
    hashed calendars and share the cached timeline in ``sla.business_time``.
    """

    timezone: str
    weekly_hours: WeeklyHours
    country: str | None = None
    subdivision: str | None = None
    custom_holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        country, subdivision = validate_country(self.country, self.subdivision)
        values = {
            "timezone": validate_timezone(self.timezone),
            "weekly_hours": validate_weekly_hours(self.weekly_hours),
            "country": country,
            "subdivision": subdivision,
            "custom_holidays": _validate_custom_holidays(self.custom_holidays),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def has_hours(self) -> bool:
        return any(self.weekly_hours)

    def holidays_for_year(self, year: int) -> frozenset[date]:
        """Dates of ``year`` on which the calendar is closed (public plus custom)."""
        public = (
            public_holidays(self.country, self.subdivision, year)
            if self.country is not None
            else frozenset()
        )
        custom = frozenset(d for d in self.custom_holidays if d.year == year)
        return public | custom if custom else public

    def is_holiday(self, day: date) -> bool:
        return day in self.custom_holidays or (
            self.country is not None
            and day in public_holidays(self.country, self.subdivision, day.year)
        )


@lru_cache(maxsize=4096)
def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays (observed days included) from the ``holidays`` package, cached per year."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


@lru_cache(maxsize=1)
def _supported_countries() -> dict[str, frozenset[str]]:
    return {
        code: frozenset(subdivisions)
        for code, subdivisions in holidays.list_supported_countries().items()
    }


@lru_cache(maxsize=1)
def _available_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def validate_timezone(name: object, *, field: str = "timezone") -> str:
    """Return ``name`` if it is a known IANA time zone key."""
    if not isinstance(name, str) or name not in _available_timezones():
        raise CalendarError(
            field, f"unknown time zone {name!r}; use an IANA name such as 'Europe/Bucharest'"
        )
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(field, f"unknown time zone {name!r}") from exc
    return name


def validate_country(
    country: object,
    subdivision: object = None,
    *,
    field: str = "country",
    subdivision_field: str = "subdivision",
) -> tuple[str | None, str | None]:
    """Return the canonical ``(country, subdivision)`` codes known to the ``holidays`` package.

    The country code is upper-cased; the subdivision is matched case-insensitively and
    returned in the package's spelling (``"by"`` -> ``"BY"``).
    """
    if country is None or country == "":
        if subdivision is not None and subdivision != "":
            raise CalendarError(subdivision_field, "a subdivision needs a country")
        return None, None
    if not isinstance(country, str):
        raise CalendarError(field, "must be an ISO 3166 country code such as 'RO'")
    code = country.strip().upper()
    supported = _supported_countries()
    if code not in supported:
        raise CalendarError(field, f"unknown or unsupported country code {country!r}")
    if subdivision is None or subdivision == "":
        return code, None
    if not isinstance(subdivision, str):
        raise CalendarError(subdivision_field, "must be a subdivision code such as 'BY'")
    known = supported[code]
    if subdivision in known:
        return code, subdivision
    wanted = subdivision.strip().casefold()
    for candidate in sorted(known):
        if candidate.casefold() == wanted:
            return code, candidate
    raise CalendarError(subdivision_field, f"unknown subdivision {subdivision!r} for {code}")


def _validate_custom_holidays(value: object) -> frozenset[date]:
    if not isinstance(value, Iterable) or isinstance(value, str | bytes):
        raise CalendarError("custom_holidays", "must be a collection of dates")
    days = frozenset(value)
    for day in days:
        if not isinstance(day, date) or isinstance(day, datetime):
            raise CalendarError("custom_holidays", f"{day!r} is not a date")
    return days


def _parse_time(value: object, path: str, what: str, *, allow_24: bool) -> int:
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match is not None:
        hours, minutes = int(match[1]), int(match[2])
        if hours < 24 and minutes < 60:
            return hours * 60 + minutes
        if allow_24 and hours == 24 and minutes == 0:
            return MINUTES_PER_DAY
    limit = "24:00" if allow_24 else "23:59"
    raise CalendarError(
        path, f"{what} time {value!r} is not a time HH:MM between 00:00 and {limit}"
    )


def parse_hours(hours: object, *, field: str = "hours") -> WeeklyHours:
    """Turn the API form ``{"mon": [["09:00", "17:00"], ...], ..., "sun": []}`` into hours.

    Days left out have no hours; ``"24:00"`` is allowed as an end; an end earlier than the
    start (``["22:00", "06:00"]``) is an overnight interval ending the next day. Intervals
    may touch but not overlap, within a day or across midnight (Sunday runs into Monday).
    """
    if not isinstance(hours, Mapping):
        raise CalendarError(field, 'must be an object such as {"mon": [["09:00", "17:00"]]}')
    for key in hours:
        if key not in DAY_KEYS:
            raise CalendarError(
                f"{field}.{key}", f"unknown day {key!r}; expected one of {', '.join(DAY_KEYS)}"
            )
    week: list[list[tuple[int, int, str]]] = []
    for key in DAY_KEYS:
        raw = hours.get(key, [])
        if not isinstance(raw, list | tuple):
            raise CalendarError(f"{field}.{key}", 'must be a list of ["HH:MM", "HH:MM"] pairs')
        day: list[tuple[int, int, str]] = []
        for index, pair in enumerate(raw):
            path = f"{field}.{key}[{index}]"
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise CalendarError(path, 'must be a pair ["HH:MM", "HH:MM"]')
            start = _parse_time(pair[0], path, "start", allow_24=False)
            end = _parse_time(pair[1], path, "end", allow_24=True)
            if end == start:
                raise CalendarError(
                    path,
                    f"interval {pair[0]}-{pair[1]} is empty (for a whole day use 00:00-24:00)",
                )
            if end < start:
                end += MINUTES_PER_DAY
            day.append((start, end, path))
        week.append(day)
    return _check_week(week)


def validate_weekly_hours(weekly_hours: object, *, field: str = "hours") -> WeeklyHours:
    """Check the stored form (7 days of ``(start_minute, end_minute)``) and canonicalise it."""
    if not isinstance(weekly_hours, Sequence) or len(weekly_hours) != len(DAY_KEYS):
        raise CalendarError(field, "must have exactly 7 days, Monday first")
    week: list[list[tuple[int, int, str]]] = []
    for key, raw in zip(DAY_KEYS, weekly_hours, strict=True):
        if not isinstance(raw, Sequence):
            raise CalendarError(f"{field}.{key}", "must be a sequence of (start, end) minutes")
        day: list[tuple[int, int, str]] = []
        for index, pair in enumerate(raw):
            path = f"{field}.{key}[{index}]"
            if (
                not isinstance(pair, Sequence)
                or len(pair) != 2
                or not all(type(value) is int for value in pair)
            ):
                raise CalendarError(path, "must be a pair of integer minutes (start, end)")
            start, end = pair
            if not 0 <= start < MINUTES_PER_DAY:
                raise CalendarError(path, f"start minute {start} is not within 0..1439")
            if end <= start:
                raise CalendarError(path, f"end minute {end} is not after start minute {start}")
            day.append((start, end, path))
        week.append(day)
    return _check_week(week)


def _check_week(week: list[list[tuple[int, int, str]]]) -> WeeklyHours:
    for day in week:
        day.sort(key=lambda item: item[0])
        for start, end, path in day:
            if end - start > MINUTES_PER_DAY:
                raise CalendarError(path, "an interval cannot be longer than 24 hours")
            if end > MINUTES_PER_DAY and end - MINUTES_PER_DAY >= start:
                raise CalendarError(
                    path, "an overnight interval must end before its start time on the next day"
                )
        for (_, previous_end, previous_path), (start, _, path) in pairwise(day):
            if start < previous_end:
                raise CalendarError(path, f"overlaps {previous_path}")
    for index, day in enumerate(week):
        following = week[(index + 1) % len(week)]
        if day and following:
            _, end, path = day[-1]
            next_start, _, next_path = following[0]
            if end - MINUTES_PER_DAY > next_start:
                raise CalendarError(path, f"overnight interval runs past the start of {next_path}")
    return tuple(tuple((start, end) for start, end, _ in day) for day in week)


def _format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_hours(weekly_hours: WeeklyHours) -> dict[str, list[list[str]]]:
    """The API form of ``weekly_hours``: ``parse_hours(format_hours(w)) == w``.

    Every day is present (empty list when closed); an interval ending at midnight is written
    ``"24:00"``, an overnight one with its next-day end (``["22:00", "06:00"]``).
    """
    result: dict[str, list[list[str]]] = {}
    for key, day in zip(DAY_KEYS, weekly_hours, strict=True):
        pairs: list[list[str]] = []
        for start, end in day:
            end_text = (
                _format_minute(end - MINUTES_PER_DAY)
                if end > MINUTES_PER_DAY
                else _format_minute(end)
            )
            pairs.append([_format_minute(start), end_text])
        result[key] = pairs
    return result
