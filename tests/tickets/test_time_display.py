"""The fast exact time shown in tooltips reads exactly as Django's date format would."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format

from tickets.templatetags.helpdesk_tags import exact_time

MOMENTS = [
    datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),  # Paris: just before summer time
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # Paris: the first minute of summer time
    datetime(2026, 10, 25, 2, 0, tzinfo=UTC),  # Paris: back on winter time
    datetime(2026, 12, 3, 16, 5, 9, tzinfo=UTC),
    datetime(999, 5, 6, 7, 8, tzinfo=UTC),  # a four-digit year with a leading zero
] + [datetime(2026, month, 15, 12, 0, tzinfo=UTC) for month in range(1, 13)]


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
)
@pytest.mark.parametrize("language", ["en-gb", "de"])
def test_exact_time_is_django_date_format(zone, language):
    with translation.override(language), timezone.override(zone):
        for moment in MOMENTS:
            local = timezone.localtime(moment)
            assert exact_time(moment) == date_format(local, "j M Y, H:i T"), moment


def test_the_hour_that_happens_twice_says_which_one_it_is():
    """Django's "T" leaves the zone out exactly there; the tooltip names it."""
    with timezone.override("Europe/Paris"), translation.override("en-gb"):
        first = exact_time(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
        second = exact_time(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert (first, second) == ("25 Oct 2026, 02:30 CEST", "25 Oct 2026, 02:30 CET")


def test_exact_time_example():
    with timezone.override("Europe/Paris"), translation.override("en-gb"):
        assert exact_time(datetime(2026, 12, 3, 13, 5, tzinfo=UTC)) == "3 Dec 2026, 14:05 CET"
        summer = datetime(2026, 7, 1, 13, 5, tzinfo=UTC) - timedelta(days=1)
        assert exact_time(summer) == "30 Jun 2026, 15:05 CEST"
