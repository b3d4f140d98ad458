import pickle
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendars import (
    ALWAYS_OPEN,
    DAY_KEYS,
    BusinessCalendar,
    CalendarError,
    format_hours,
    parse_hours,
    public_holidays,
    validate_country,
    validate_timezone,
    validate_weekly_hours,
)

EMPTY_WEEK = ((),) * 7


def week(**days):
    return tuple(tuple(days.get(key, ())) for key in DAY_KEYS)


# --- parse_hours -----------------------------------------------------------------------------


def test_parse_hours_turns_the_api_form_into_minutes_per_weekday():
    hours = {
        "mon": [["09:00", "12:00"], ["13:00", "17:30"]],
        "fri": [["09:00", "17:00"]],
        "sun": [],
    }

    assert parse_hours(hours) == week(mon=[(540, 720), (780, 1050)], fri=[(540, 1020)])


def test_parse_hours_sorts_intervals_of_a_day():
    assert parse_hours({"tue": [["18:00", "20:00"], ["09:00", "17:00"]]}) == week(
        tue=[(540, 1020), (1080, 1200)]
    )


def test_parse_hours_accepts_24_00_as_an_end_and_whole_days():
    assert parse_hours({"sat": [["00:00", "24:00"]], "sun": [["20:00", "24:00"]]}) == week(
        sat=[(0, 1440)], sun=[(1200, 1440)]
    )


def test_an_end_before_the_start_is_an_overnight_interval_of_the_starting_day():
    assert parse_hours({"mon": [["22:00", "06:00"]]}) == week(mon=[(1320, 1800)])


def test_an_overnight_interval_ending_at_midnight_is_the_same_as_24_00():
    assert parse_hours({"mon": [["22:00", "00:00"]]}) == parse_hours({"mon": [["22:00", "24:00"]]})


def test_touching_intervals_are_allowed_within_a_day_and_across_midnight():
    hours = {
        "mon": [["09:00", "12:00"], ["12:00", "17:00"], ["22:00", "06:00"]],
        "tue": [["06:00", "10:00"]],
        "sun": [["23:00", "09:00"]],
    }

    assert parse_hours(hours) == week(
        mon=[(540, 720), (720, 1020), (1320, 1800)], tue=[(360, 600)], sun=[(1380, 1980)]
    )


def test_parse_hours_of_an_empty_object_is_a_week_without_hours():
    assert parse_hours({}) == EMPTY_WEEK


@pytest.mark.parametrize(
    ("hours", "field", "message"),
    [
        ([["09:00", "17:00"]], "hours", "must be an object"),
        ({"funday": []}, "hours.funday", "unknown day 'funday'"),
        ({"Mon": []}, "hours.Mon", "unknown day 'Mon'"),
        ({"mon": "09:00-17:00"}, "hours.mon", "must be a list"),
        ({"mon": [["09:00", "17:00"], "18:00-20:00"]}, "hours.mon[1]", "must be a pair"),
        ({"mon": [["09:00"]]}, "hours.mon[0]", "must be a pair"),
        ({"mon": [["09:00", "12:00", "17:00"]]}, "hours.mon[0]", "must be a pair"),
        ({"mon": [["25:00", "26:00"]]}, "hours.mon[0]", "start time '25:00'"),
        ({"mon": [["09:00", "25:00"]]}, "hours.mon[0]", "end time '25:00'"),
        ({"mon": [["9am", "5pm"]]}, "hours.mon[0]", "start time '9am'"),
        ({"mon": [["9:00", "17:00"]]}, "hours.mon[0]", "start time '9:00'"),
        ({"mon": [["09:60", "17:00"]]}, "hours.mon[0]", "start time '09:60'"),
        ({"mon": [[900, 1700]]}, "hours.mon[0]", "start time 900"),
        ({"mon": [["24:00", "06:00"]]}, "hours.mon[0]", "between 00:00 and 23:59"),
        ({"mon": [["09:00", "24:30"]]}, "hours.mon[0]", "between 00:00 and 24:00"),
        ({"wed": [["09:00", "09:00"]]}, "hours.wed[0]", "is empty"),
        ({"wed": [["00:00", "00:00"]]}, "hours.wed[0]", "00:00-24:00"),
        (
            {"thu": [["09:00", "17:00"], ["16:00", "18:00"]]},
            "hours.thu[1]",
            "overlaps hours.thu[0]",
        ),
        (
            {"thu": [["16:00", "18:00"], ["09:00", "17:00"]]},
            "hours.thu[0]",
            "overlaps hours.thu[1]",
        ),
        ({"thu": [["09:00", "17:00"], ["09:00", "10:00"]]}, "hours.thu[1]", "overlaps"),
        ({"thu": [["20:00", "04:00"], ["21:00", "22:00"]]}, "hours.thu[1]", "overlaps"),
        (
            {"mon": [["22:00", "06:00"]], "tue": [["05:00", "09:00"]]},
            "hours.mon[0]",
            "runs past the start of hours.tue[0]",
        ),
        (
            {"sun": [["22:00", "09:30"]], "mon": [["09:00", "17:00"]]},
            "hours.sun[0]",
            "runs past the start of hours.mon[0]",
        ),
    ],
)
def test_parse_hours_refuses_invalid_hours_naming_the_field(hours, field, message):
    with pytest.raises(CalendarError) as caught:
        parse_hours(hours)

    assert caught.value.field == field
    assert message in caught.value.message
    assert str(caught.value) == f"{field}: {caught.value.message}"


def test_parse_hours_uses_the_given_field_prefix():
    with pytest.raises(CalendarError) as caught:
        parse_hours({"mon": [["09:00", "99:00"]]}, field="calendar.hours")

    assert caught.value.field == "calendar.hours.mon[0]"


def test_calendar_error_is_a_value_error_that_survives_pickling():
    error = CalendarError("hours.mon[1]", "overlaps hours.mon[0]")

    copy = pickle.loads(pickle.dumps(error))

    assert isinstance(copy, ValueError)
    assert (copy.field, copy.message, str(copy)) == (
        "hours.mon[1]",
        "overlaps hours.mon[0]",
        "hours.mon[1]: overlaps hours.mon[0]",
    )


# --- format_hours ----------------------------------------------------------------------------


def test_format_hours_writes_every_day_with_24_00_and_next_day_ends():
    weekly = week(mon=[(540, 720), (780, 1020)], fri=[(1320, 1800)], sat=[(0, 1440)])

    assert format_hours(weekly) == {
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [["22:00", "06:00"]],
        "sat": [["00:00", "24:00"]],
        "sun": [],
    }


def test_format_then_parse_of_the_api_form_is_the_identity_for_canonical_input():
    hours = {
        "mon": [["00:00", "06:00"], ["09:00", "12:00"], ["22:30", "24:00"]],
        "tue": [["09:15", "17:45"]],
        "wed": [],
        "thu": [["23:59", "00:01"]],
        "fri": [["13:00", "14:00"]],
        "sat": [],
        "sun": [["20:00", "23:00"]],
    }

    assert format_hours(parse_hours(hours)) == hours


@st.composite
def weekly_hours(draw):
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
    return tuple(tuple((start, end) for start, end in day) for day in days)


@settings(max_examples=300, deadline=None)
@given(weekly_hours())
def test_parse_of_format_round_trips_any_valid_week(weekly):
    assert validate_weekly_hours(weekly) == weekly

    assert parse_hours(format_hours(weekly)) == weekly


# --- stored form ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weekly", "field", "message"),
    [
        (((),) * 6, "hours", "exactly 7 days"),
        (week(mon=[(540, 1020, 3)]), "hours.mon[0]", "pair of integer minutes"),
        (week(mon=[(540.0, 1020)]), "hours.mon[0]", "pair of integer minutes"),
        (week(mon=[(1440, 1500)]), "hours.mon[0]", "within 0..1439"),
        (week(mon=[(-1, 60)]), "hours.mon[0]", "within 0..1439"),
        (week(tue=[(600, 600)]), "hours.tue[0]", "not after"),
        (week(tue=[(0, 1441)]), "hours.tue[0]", "longer than 24 hours"),
        (week(tue=[(600, 2041)]), "hours.tue[0]", "longer than 24 hours"),
        (week(tue=[(600, 2040)]), "hours.tue[0]", "must end before its start time"),
        (week(tue=[(540, 1020), (1000, 1100)]), "hours.tue[1]", "overlaps hours.tue[0]"),
        (week(sun=[(1320, 1500)], mon=[(0, 600)]), "hours.sun[0]", "runs past"),
    ],
)
def test_validate_weekly_hours_refuses_invalid_stored_hours(weekly, field, message):
    with pytest.raises(CalendarError) as caught:
        validate_weekly_hours(weekly)

    assert caught.value.field == field
    assert message in caught.value.message


def test_a_24_hour_interval_is_allowed_only_from_midnight_to_midnight():
    assert validate_weekly_hours(week(wed=[(0, 1440)])) == week(wed=[(0, 1440)])


# --- time zones and countries -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/Bucharest", "America/New_York", "UTC"])
def test_validate_timezone_accepts_iana_keys(name):
    assert validate_timezone(name) == name


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "", "europe/bucharest", "../etc/passwd", None]
)
def test_validate_timezone_refuses_unknown_zones(name):
    with pytest.raises(CalendarError) as caught:
        validate_timezone(name)

    assert caught.value.field == "timezone"


def test_validate_country_returns_canonical_codes():
    assert validate_country("RO", None) == ("RO", None)
    assert validate_country("de", "by") == ("DE", "BY")
    assert validate_country("US", "MA") == ("US", "MA")
    assert validate_country(None, None) == (None, None)


@pytest.mark.parametrize(
    ("country", "subdivision", "field"),
    [
        ("XX", None, "country"),
        ("Romania", None, "country"),
        (40, None, "country"),
        ("DE", "ZZ", "subdivision"),
        ("RO", "BY", "subdivision"),
        (None, "BY", "subdivision"),
    ],
)
def test_validate_country_refuses_unknown_codes(country, subdivision, field):
    with pytest.raises(CalendarError) as caught:
        validate_country(country, subdivision)

    assert caught.value.field == field


# --- the calendar value -----------------------------------------------------------------------


def test_calendar_construction_canonicalises_so_equal_configurations_are_equal():
    first = BusinessCalendar(
        timezone="Europe/Berlin",
        weekly_hours=[[[780, 1020], [540, 720]], [], [], [], [], [], []],
        country="de",
        subdivision="by",
        custom_holidays=[date(2026, 7, 1)],
    )
    second = BusinessCalendar(
        timezone="Europe/Berlin",
        weekly_hours=week(mon=[(540, 720), (780, 1020)]),
        country="DE",
        subdivision="BY",
        custom_holidays=frozenset({date(2026, 7, 1)}),
    )

    assert first == second
    assert hash(first) == hash(second)
    assert first.weekly_hours == (((540, 720), (780, 1020)), *((),) * 6)
    assert first.custom_holidays == frozenset({date(2026, 7, 1)})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timezone": "Nowhere/Town"}, "timezone"),
        ({"weekly_hours": ((),) * 5}, "hours"),
        ({"country": "XX"}, "country"),
        ({"country": None, "subdivision": "BY"}, "subdivision"),
        ({"custom_holidays": [datetime(2026, 1, 1)]}, "custom_holidays"),
        ({"custom_holidays": ["2026-01-01"]}, "custom_holidays"),
        ({"custom_holidays": "2026-01-01"}, "custom_holidays"),
    ],
)
def test_calendar_construction_refuses_invalid_fields(kwargs, field):
    values = {"timezone": "UTC", "weekly_hours": EMPTY_WEEK} | kwargs

    with pytest.raises(CalendarError) as caught:
        BusinessCalendar(**values)

    assert caught.value.field == field


def test_holidays_come_from_the_holidays_package_plus_custom_dates():
    calendar = BusinessCalendar(
        timezone="Europe/Bucharest",
        weekly_hours=EMPTY_WEEK,
        country="RO",
        custom_holidays=frozenset({date(2026, 3, 16), date(2027, 3, 16)}),
    )

    closed = calendar.holidays_for_year(2026)

    assert {date(2026, 12, 1), date(2026, 12, 25), date(2026, 3, 16)} <= closed
    assert date(2027, 3, 16) not in closed
    assert date(2026, 3, 17) not in closed
    assert calendar.is_holiday(date(2026, 11, 30))
    assert calendar.is_holiday(date(2027, 3, 16))
    assert not calendar.is_holiday(date(2026, 12, 2))


def test_subdivision_holidays_apply_only_to_that_subdivision():
    bavaria = BusinessCalendar("Europe/Berlin", EMPTY_WEEK, country="DE", subdivision="BY")
    berlin = BusinessCalendar("Europe/Berlin", EMPTY_WEEK, country="DE", subdivision="BE")

    assert bavaria.is_holiday(date(2026, 1, 6))
    assert not berlin.is_holiday(date(2026, 1, 6))
    assert public_holidays("US", "MA", 2026) - public_holidays("US", None, 2026) == {
        date(2026, 4, 20)
    }


def test_a_calendar_without_country_has_only_custom_holidays():
    calendar = BusinessCalendar("UTC", EMPTY_WEEK, custom_holidays=frozenset({date(2026, 5, 5)}))

    assert calendar.holidays_for_year(2026) == {date(2026, 5, 5)}
    assert not calendar.has_hours


def test_always_open_is_none():
    assert ALWAYS_OPEN is None
