"""Business-time arithmetic, exact to the microsecond.

Hypothesis properties run over fixed and random calendars and are checked against a slow
reference that walks local dates one by one.
"""

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sla.business_time import (
    add_business_time,
    business_time_between,
    clear_caches,
    is_business_time,
    next_business_instant,
)
from sla.calendars import DAY_KEYS, BusinessCalendar, CalendarError, parse_hours

BUCHAREST = ZoneInfo("Europe/Bucharest")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
BERLIN = ZoneInfo("Europe/Berlin")
MICROSECOND = timedelta(microseconds=1)
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def hours_on(days, *intervals):
    return parse_hours({day: [list(interval) for interval in intervals] for day in days})


def office(timezone="Europe/Bucharest", country="RO", subdivision=None, custom=()):
    return BusinessCalendar(
        timezone=timezone,
        weekly_hours=hours_on(WORKDAYS, ("09:00", "17:00")),
        country=country,
        subdivision=subdivision,
        custom_holidays=frozenset(custom),
    )


def at(tz, *args):
    return datetime(*args, tzinfo=tz)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# --- Mon-Fri 09:00-17:00, Europe/Bucharest -----------------------------------------------------


@pytest.mark.parametrize(
    ("friday", "monday"),
    [
        (date(2026, 3, 13), date(2026, 3, 16)),  # ordinary week
        (date(2026, 3, 27), date(2026, 3, 30)),  # clocks go forward on Sunday 29 March
        (date(2026, 10, 23), date(2026, 10, 26)),  # clocks go back on Sunday 25 October
    ],
)
def test_a_ticket_created_friday_at_16_with_a_4_hour_target_is_due_monday_at_noon(friday, monday):
    created = datetime.combine(friday, time(16), tzinfo=BUCHAREST)

    due = add_business_time(office(), created, timedelta(hours=4))

    assert due == datetime.combine(monday, time(12), tzinfo=BUCHAREST)
    assert due.tzinfo is UTC
    assert business_time_between(office(), created, due) == timedelta(hours=4)


def test_due_times_are_utc_with_the_local_offset_of_each_season():
    created_winter = at(BUCHAREST, 2026, 3, 27, 16)
    created_summer = at(BUCHAREST, 2026, 10, 23, 16)

    assert add_business_time(office(), created_winter, timedelta(hours=4)) == utc(2026, 3, 30, 9)
    assert add_business_time(office(), created_summer, timedelta(hours=4)) == utc(2026, 10, 26, 10)


def test_a_week_across_either_dst_change_still_holds_40_business_hours():
    for monday in (date(2026, 3, 23), date(2026, 10, 19)):
        start = datetime.combine(monday, time(0), tzinfo=BUCHAREST)
        end = start.replace(day=start.day + 7)

        assert business_time_between(office(), start, end) == timedelta(hours=40)


def test_counting_starts_at_the_next_opening_when_created_outside_hours():
    saturday = at(BUCHAREST, 2026, 3, 14, 10)
    friday_close = at(BUCHAREST, 2026, 3, 13, 17)
    thursday_night = at(BUCHAREST, 2026, 3, 12, 23, 59, 59, 999999)

    assert add_business_time(office(), saturday, timedelta(hours=1)) == at(
        BUCHAREST, 2026, 3, 16, 10
    )
    assert add_business_time(office(), friday_close, timedelta(hours=1)) == at(
        BUCHAREST, 2026, 3, 16, 10
    )
    assert add_business_time(office(), thursday_night, timedelta(minutes=1)) == at(
        BUCHAREST, 2026, 3, 13, 9, 1
    )


def test_a_due_time_at_closing_is_the_end_of_the_interval_not_the_next_opening():
    monday = at(BUCHAREST, 2026, 3, 16, 9)

    assert add_business_time(office(), monday, timedelta(hours=8)) == at(BUCHAREST, 2026, 3, 16, 17)
    assert add_business_time(office(), monday, timedelta(hours=8, microseconds=1)) == at(
        BUCHAREST, 2026, 3, 17, 9, 0, 0, 1
    )


def test_thirty_business_days_is_six_weeks_without_holidays():
    start = at(BUCHAREST, 2026, 2, 2, 9)

    assert add_business_time(office(), start, timedelta(hours=240)) == at(
        BUCHAREST, 2026, 3, 13, 17
    )


def test_a_zero_duration_returns_the_start_unchanged_even_outside_hours():
    inside = at(BUCHAREST, 2026, 3, 16, 10, 30)
    saturday = at(BUCHAREST, 2026, 3, 14, 10, 30)

    assert add_business_time(office(), inside, timedelta(0)) == inside
    assert add_business_time(office(), saturday, timedelta(0)) == saturday


def test_between_counts_the_half_open_range_and_is_zero_when_reversed():
    monday = at(BUCHAREST, 2026, 3, 16, 8)
    tuesday = at(BUCHAREST, 2026, 3, 17, 10)

    assert business_time_between(office(), monday, tuesday) == timedelta(hours=9)
    assert business_time_between(office(), tuesday, monday) == timedelta(0)
    assert business_time_between(office(), monday, monday) == timedelta(0)


def test_is_business_time_and_next_business_instant():
    opening = at(BUCHAREST, 2026, 3, 16, 9)
    closing = at(BUCHAREST, 2026, 3, 16, 17)

    assert is_business_time(office(), opening)
    assert not is_business_time(office(), opening - MICROSECOND)
    assert is_business_time(office(), closing - MICROSECOND)
    assert not is_business_time(office(), closing)
    assert next_business_instant(office(), closing) == at(BUCHAREST, 2026, 3, 17, 9)
    assert next_business_instant(office(), opening + MICROSECOND) == opening + MICROSECOND
    assert next_business_instant(office(), at(BUCHAREST, 2026, 3, 14, 12)) == opening


def test_naive_datetimes_and_negative_durations_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(office(), datetime(2026, 3, 16, 9), timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        business_time_between(office(), utc(2026, 3, 16), datetime(2026, 3, 17))
    with pytest.raises(ValueError, match="negative"):
        add_business_time(office(), utc(2026, 3, 16), timedelta(hours=-1))


# --- holidays ----------------------------------------------------------------------------------


def test_public_holidays_are_skipped():
    # Monday 30 November (St Andrew) and Tuesday 1 December (National Day) are closed.
    created = at(BUCHAREST, 2026, 11, 27, 16)

    assert add_business_time(office(), created, timedelta(hours=4)) == at(
        BUCHAREST, 2026, 12, 2, 12
    )
    assert add_business_time(office(country=None), created, timedelta(hours=4)) == at(
        BUCHAREST, 2026, 11, 30, 12
    )


def test_christmas_is_skipped():
    created = at(BUCHAREST, 2026, 12, 24, 16)

    assert add_business_time(office(), created, timedelta(hours=4)) == at(
        BUCHAREST, 2026, 12, 28, 12
    )


def test_custom_holidays_are_skipped():
    calendar = office(custom=[date(2026, 3, 16)])

    due = add_business_time(calendar, at(BUCHAREST, 2026, 3, 13, 16), timedelta(hours=4))

    assert due == at(BUCHAREST, 2026, 3, 17, 12)


@pytest.mark.parametrize(
    ("subdivision", "due"),
    [("BY", at(BERLIN, 2026, 1, 7, 12)), ("BE", at(BERLIN, 2026, 1, 6, 12))],
)
def test_a_subdivision_holiday_is_skipped_only_there(subdivision, due):
    # Epiphany, Tuesday 6 January, is a holiday in Bavaria but not in Berlin.
    calendar = office("Europe/Berlin", "DE", subdivision)

    assert add_business_time(calendar, at(BERLIN, 2026, 1, 5, 16), timedelta(hours=4)) == due


@pytest.mark.parametrize(
    ("subdivision", "due"),
    [("MA", at(NEW_YORK, 2026, 4, 21, 12)), ("NY", at(NEW_YORK, 2026, 4, 20, 12))],
)
def test_a_us_state_holiday_is_skipped_only_in_that_state(subdivision, due):
    # Patriots' Day, Monday 20 April, is a Massachusetts holiday.
    calendar = office("America/New_York", "US", subdivision)

    assert add_business_time(calendar, at(NEW_YORK, 2026, 4, 17, 16), timedelta(hours=4)) == due


def test_a_holiday_removes_intervals_starting_that_day_not_the_night_running_into_it():
    nights = BusinessCalendar(
        timezone="Europe/Bucharest",
        weekly_hours=hours_on(WORKDAYS, ("22:00", "06:00")),
        country="RO",
    )
    # Thursday 24 Dec 22:00 -> Friday 25 Dec 06:00 counts; Friday night (Christmas) does not.
    start = at(BUCHAREST, 2026, 12, 24, 12)
    end = at(BUCHAREST, 2026, 12, 28, 12)

    assert business_time_between(nights, start, end) == timedelta(hours=8)
    assert add_business_time(nights, start, timedelta(hours=9)) == at(BUCHAREST, 2026, 12, 28, 23)


# --- interval shapes -----------------------------------------------------------------------------


def test_an_overnight_interval_belongs_to_the_day_it_starts_on():
    nights = BusinessCalendar("Europe/Bucharest", hours_on(WORKDAYS, ("22:00", "06:00")))
    # Friday 05:00 is inside Thursday's night; the next night starts Friday 22:00.
    friday_early = at(BUCHAREST, 2026, 3, 13, 5)

    assert add_business_time(nights, friday_early, timedelta(hours=2)) == at(
        BUCHAREST, 2026, 3, 13, 23
    )
    assert add_business_time(nights, friday_early, timedelta(hours=9)) == at(
        BUCHAREST, 2026, 3, 14, 6
    )
    assert add_business_time(nights, friday_early, timedelta(hours=10)) == at(
        BUCHAREST, 2026, 3, 16, 23
    )
    # Saturday night is closed: the Friday night ends Saturday 06:00, Monday night opens at 22:00.
    assert business_time_between(
        nights, at(BUCHAREST, 2026, 3, 14, 0), at(BUCHAREST, 2026, 3, 17, 0)
    ) == timedelta(hours=8)


def test_several_intervals_a_day_and_days_without_hours():
    split = BusinessCalendar(
        "Europe/Bucharest",
        parse_hours({"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "wed": [["10:00", "11:00"]]}),
    )
    monday = at(BUCHAREST, 2026, 3, 16, 11)

    assert add_business_time(split, monday, timedelta(hours=1)) == at(BUCHAREST, 2026, 3, 16, 12)
    assert add_business_time(split, monday, timedelta(hours=2)) == at(BUCHAREST, 2026, 3, 16, 14)
    assert add_business_time(split, monday, timedelta(hours=6)) == at(BUCHAREST, 2026, 3, 18, 11)
    assert add_business_time(split, monday, timedelta(hours=7)) == at(BUCHAREST, 2026, 3, 23, 10)
    assert business_time_between(
        split, at(BUCHAREST, 2026, 3, 16), at(BUCHAREST, 2026, 3, 23)
    ) == timedelta(hours=8)


def test_none_means_24_7_plain_elapsed_time():
    start = at(NEW_YORK, 2026, 3, 7, 23, 30)

    assert add_business_time(None, start, timedelta(hours=5)) == utc(2026, 3, 8, 9, 30)
    assert add_business_time(None, start, timedelta(hours=5)).tzinfo is UTC
    assert business_time_between(None, start, at(NEW_YORK, 2026, 3, 8, 4, 30)) == timedelta(hours=4)
    assert business_time_between(None, start, start - MICROSECOND) == timedelta(0)
    assert is_business_time(None, start)
    assert next_business_instant(None, start) == start


def test_a_calendar_without_hours_never_counts_and_cannot_give_a_due_time():
    closed = BusinessCalendar("Europe/Bucharest", ((),) * 7, country="RO")

    with pytest.raises(CalendarError) as caught:
        add_business_time(closed, utc(2026, 3, 16), timedelta(hours=1))
    assert caught.value.field == "hours"
    with pytest.raises(CalendarError):
        next_business_instant(closed, utc(2026, 3, 16))
    assert business_time_between(closed, utc(2026, 1, 1), utc(2027, 1, 1)) == timedelta(0)
    assert not is_business_time(closed, utc(2026, 3, 16, 12))


# --- DST: New York and Lord Howe -----------------------------------------------------------------


def saturday_nights(timezone):
    return BusinessCalendar(timezone, hours_on(["sat"], ("22:00", "06:00")))


def test_an_overnight_interval_across_spring_forward_is_7_real_hours():
    nights = saturday_nights("America/New_York")
    saturday = at(NEW_YORK, 2026, 3, 7, 22)

    assert business_time_between(nights, utc(2026, 3, 7), utc(2026, 3, 9)) == timedelta(hours=7)
    assert add_business_time(nights, saturday, timedelta(hours=6)) == at(NEW_YORK, 2026, 3, 8, 5)
    assert add_business_time(nights, saturday, timedelta(hours=7)) == utc(2026, 3, 8, 10)


def test_an_overnight_interval_across_fall_back_is_9_real_hours():
    nights = saturday_nights("America/New_York")
    saturday = at(NEW_YORK, 2026, 10, 31, 22)

    assert business_time_between(nights, utc(2026, 10, 31), utc(2026, 11, 2)) == timedelta(hours=9)
    assert add_business_time(nights, saturday, timedelta(hours=8)) == at(NEW_YORK, 2026, 11, 1, 5)
    assert add_business_time(nights, saturday, timedelta(hours=9)) == utc(2026, 11, 1, 11)


@pytest.mark.parametrize(
    ("interval", "opens", "hours"),
    [
        (("01:00", "04:00"), utc(2026, 3, 8, 6), 2),  # the gap 02:00-03:00 is inside
        (("02:30", "05:00"), utc(2026, 3, 8, 7), 2),  # starts in the gap: opens at 03:00 EDT
        (("00:00", "02:30"), utc(2026, 3, 8, 5), 2),  # ends in the gap: closes at 03:00 EDT
        (("02:00", "03:00"), None, 0),  # entirely in the gap: never open
    ],
)
def test_spring_forward_gap_times_move_forward_to_the_end_of_the_gap(interval, opens, hours):
    sunday = BusinessCalendar("America/New_York", hours_on(["sun"], interval))

    assert business_time_between(sunday, utc(2026, 3, 7), utc(2026, 3, 9)) == timedelta(hours=hours)
    if opens is not None:
        assert next_business_instant(sunday, utc(2026, 3, 8)) == opens


def test_ambiguous_fall_back_times_take_the_first_occurrence():
    sunday = BusinessCalendar("America/New_York", hours_on(["sun"], ("01:30", "03:00")))

    assert business_time_between(sunday, utc(2026, 10, 31), utc(2026, 11, 2)) == timedelta(
        hours=2, minutes=30
    )
    assert not is_business_time(sunday, utc(2026, 11, 1, 5, 29, 59))
    assert is_business_time(sunday, utc(2026, 11, 1, 5, 30))
    assert add_business_time(sunday, utc(2026, 11, 1), timedelta(hours=2, minutes=30)) == utc(
        2026, 11, 1, 8
    )


@pytest.mark.parametrize(
    ("day", "real_time"),
    [
        (date(2026, 4, 5), timedelta(hours=6, minutes=30)),  # back from +11:00 to +10:30
        (date(2026, 10, 4), timedelta(hours=5, minutes=30)),  # forward from +10:30 to +11:00
        (date(2026, 6, 7), timedelta(hours=6)),
    ],
)
def test_lord_howe_half_hour_dst_shift_makes_00_to_06_real_time(day, real_time):
    early = BusinessCalendar("Australia/Lord_Howe", hours_on(DAY_KEYS, ("00:00", "06:00")))
    midnight = datetime.combine(day, time(0), tzinfo=LORD_HOWE)

    assert business_time_between(early, midnight, midnight + timedelta(hours=12)) == real_time
    assert add_business_time(early, midnight, real_time) == datetime.combine(
        day, time(6), tzinfo=LORD_HOWE
    )


def test_a_calendar_open_around_the_clock_counts_real_time_across_dst():
    always = BusinessCalendar("Australia/Lord_Howe", hours_on(DAY_KEYS, ("00:00", "24:00")))
    start = at(LORD_HOWE, 2026, 4, 4, 12)
    end = at(LORD_HOWE, 2026, 4, 6, 12)

    assert business_time_between(always, start, end) == timedelta(hours=48, minutes=30)
    assert business_time_between(always, start, end) == business_time_between(None, start, end)
    assert add_business_time(always, start, timedelta(days=3)) == add_business_time(
        None, start, timedelta(days=3)
    )


# --- the cache -----------------------------------------------------------------------------------


def test_results_do_not_depend_on_the_cache_or_the_order_of_requests():
    calendar = office()
    requests = [
        (utc(2030, 6, 1, 12, 34, 56, 789), timedelta(hours=240)),
        (utc(2024, 2, 29, 16, 0, 0, 1), timedelta(minutes=1)),
        (utc(2027, 12, 31, 23), timedelta(hours=100)),
        (utc(2152, 1, 1), timedelta(hours=3)),
        (utc(2026, 3, 27, 14), timedelta(hours=4)),
    ]

    def run(order):
        clear_caches()
        return {
            request: (
                add_business_time(calendar, *request),
                business_time_between(calendar, request[0], request[0] + timedelta(days=45)),
            )
            for request in order
        }

    forwards = run(requests)
    backwards = run(list(reversed(requests)))
    warm = {
        request: (
            add_business_time(calendar, *request),
            business_time_between(calendar, request[0], request[0] + timedelta(days=45)),
        )
        for request in requests
    }

    assert forwards == backwards == warm
    assert forwards[requests[-1]][0] == utc(2026, 3, 30, 9)


def test_long_targets_extend_the_timeline_as_far_as_needed():
    clear_caches()
    calendar = office()
    start = utc(2026, 1, 5, 7)

    due = add_business_time(calendar, start, timedelta(hours=8 * 2500))

    assert 2035 <= due.year <= 2037
    assert business_time_between(calendar, start, due) == timedelta(hours=8 * 2500)


# --- properties ----------------------------------------------------------------------------------

FIXED_CALENDARS = [
    office(),
    office("America/New_York", "US", "CA"),
    office("Europe/Berlin", "DE", "BY", custom=[date(2027, 7, 1), date(2029, 12, 24)]),
    BusinessCalendar("America/New_York", hours_on(DAY_KEYS, ("22:00", "06:00"))),
    BusinessCalendar("Australia/Lord_Howe", hours_on(DAY_KEYS, ("00:00", "24:00"))),
    BusinessCalendar(
        "Australia/Lord_Howe",
        parse_hours({"sun": [["01:00", "03:00"], ["23:30", "02:15"]], "mon": [["02:15", "02:45"]]}),
    ),
    BusinessCalendar(
        "America/Havana",  # DST starts at midnight: 00:00 does not exist on that day
        parse_hours({day: [["00:00", "01:30"], ["20:00", "23:00"]] for day in DAY_KEYS}),
        country="CU",
    ),
    None,
]
TIMEZONES = [
    "Europe/Bucharest",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Havana",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "UTC",
]


@st.composite
def random_calendars(draw):
    days = []
    for _ in range(7):
        cuts = sorted(draw(st.lists(st.integers(0, 1440), max_size=6, unique=True)))
        days.append([[start, end] for start, end in zip(cuts[::2], cuts[1::2], strict=False)])
    for index, day in enumerate(days):
        following = days[(index + 1) % 7]
        if day and draw(st.booleans()):
            limit = min(following[0][0] if following else 1439, day[-1][0] - 1)
            if limit >= 1:
                day[-1][1] = 1440 + draw(st.integers(1, limit))
    weekly = tuple(tuple((start, end) for start, end in day) for day in days)
    assume(sum(end - start for day in weekly for start, end in day) >= 60)
    country, subdivision = draw(st.sampled_from([(None, None), ("RO", None), ("US", "CA")]))
    custom = draw(st.frozensets(st.dates(date(2024, 1, 1), date(2031, 12, 31)), max_size=5))
    return BusinessCalendar(draw(st.sampled_from(TIMEZONES)), weekly, country, subdivision, custom)


calendars = st.one_of(st.sampled_from(FIXED_CALENDARS), random_calendars())
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


def weekly_business_time(calendar):
    if calendar is None:
        return timedelta(days=7)
    return timedelta(
        minutes=sum(end - start for day in calendar.weekly_hours for start, end in day)
    )


@st.composite
def targets(draw, calendar):
    """Durations up to six weeks of the calendar's hours (30 business days of an office)."""
    longest = weekly_business_time(calendar) * 6 // MICROSECOND
    return timedelta(microseconds=draw(st.integers(0, longest)))


def wall_to_utc(tz, wall):
    """Reference conversion: step minute by minute out of a gap, then take fold=0."""
    while wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        wall += timedelta(minutes=1)
    return wall.replace(tzinfo=tz).astimezone(UTC)


@functools.cache
def reference_holidays(country, subdivision, year):
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def reference_between(calendar, start, end):
    """Business time in [start, end) by walking every local date; slow but obvious."""
    if calendar is None:
        return max(end - start, timedelta(0))
    tz = ZoneInfo(calendar.timezone)
    total = timedelta(0)
    day = start.astimezone(tz).date() - timedelta(days=2)
    while day <= end.astimezone(tz).date():
        closed = day in calendar.custom_holidays or (
            calendar.country is not None
            and day in reference_holidays(calendar.country, calendar.subdivision, day.year)
        )
        midnight = datetime.combine(day, time(0))
        for start_minute, end_minute in [] if closed else calendar.weekly_hours[day.weekday()]:
            opens = wall_to_utc(tz, midnight + timedelta(minutes=start_minute))
            closes = wall_to_utc(tz, midnight + timedelta(minutes=end_minute))
            total += max(timedelta(0), min(closes, end) - max(opens, start))
        day += timedelta(days=1)
    return total


@settings(max_examples=120, deadline=None)
@given(st.data(), calendars, instants, st.integers(0, 14 * 24 * 3600 * 10**6))
def test_between_matches_a_date_by_date_reference(data, calendar, start, span):
    end = start + timedelta(microseconds=span)

    assert business_time_between(calendar, start, end) == reference_between(calendar, start, end)


@settings(max_examples=200, deadline=None)
@given(st.data(), calendars, instants)
def test_the_due_time_is_the_first_instant_with_exactly_the_target_elapsed(data, calendar, start):
    duration = data.draw(targets(calendar))

    due = add_business_time(calendar, start, duration)

    assert due.tzinfo is UTC
    assert business_time_between(calendar, start, due) == duration
    if duration:
        assert is_business_time(calendar, due - MICROSECOND)
        assert business_time_between(calendar, start, due - MICROSECOND) < duration
    else:
        assert due == start


@settings(max_examples=120, deadline=None)
@given(st.data(), calendars, instants, instants)
def test_due_times_are_monotonic_in_duration_and_in_start(data, calendar, first, second):
    shorter, longer = sorted([data.draw(targets(calendar)), data.draw(targets(calendar))])
    earlier, later = sorted([first, second])

    assert add_business_time(calendar, earlier, shorter) <= add_business_time(
        calendar, earlier, longer
    )
    assert add_business_time(calendar, earlier, shorter) <= add_business_time(
        calendar, later, shorter
    )


@settings(max_examples=120, deadline=None)
@given(calendars, instants, instants, instants)
def test_between_is_additive(calendar, first, second, third):
    a, b, c = sorted([first, second, third])

    assert business_time_between(calendar, a, b) + business_time_between(
        calendar, b, c
    ) == business_time_between(calendar, a, c)
    assert business_time_between(calendar, c, a) == timedelta(0)
