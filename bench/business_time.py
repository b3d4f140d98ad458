"""Calls per second of the business-time arithmetic on a Mon-Fri 09:00-17:00 RO calendar.

Run from the repository root: ``.venv/bin/python bench/business_time.py``. No Django needed.
Prints one JSON line; the bar is 100,000 ``add_business_time`` calls per second.
"""

import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sla.business_time import (
    add_business_time,
    business_time_between,
    clear_caches,
)
from sla.calendars import BusinessCalendar, parse_hours

CALLS = 200_000
ROUNDS = 5
TARGET_ADD_PER_SECOND = 100_000


def median_rate(function, arguments):
    """Calls per second of the median of ``ROUNDS`` timed passes over ``arguments``."""
    durations = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        for first, second in arguments:
            function(calendar, first, second)
        durations.append(time.perf_counter() - began)
    return len(arguments) / statistics.median(durations)


calendar = BusinessCalendar(
    timezone="Europe/Bucharest",
    weekly_hours=parse_hours(
        {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    ),
    country="RO",
)
rng = random.Random(20260301)
first = datetime(2026, 1, 1, tzinfo=UTC)
span = int((datetime(2029, 1, 1, tzinfo=UTC) - first).total_seconds() * 1_000_000)
starts = [first + timedelta(microseconds=rng.randrange(span)) for _ in range(CALLS)]
targets = [timedelta(seconds=rng.randint(60, 30 * 8 * 3600)) for _ in range(CALLS)]
ends = [start + timedelta(seconds=rng.randint(0, 60 * 86400)) for start in starts]

clear_caches()
began = time.perf_counter()
add_business_time(calendar, starts[0], targets[0])
cold_call_ms = (time.perf_counter() - began) * 1000
for start, target in zip(starts[:10_000], targets[:10_000], strict=True):
    add_business_time(calendar, start, target)
    business_time_between(calendar, start, start + target)

add_per_second = median_rate(add_business_time, list(zip(starts, targets, strict=True)))
between_per_second = median_rate(business_time_between, list(zip(starts, ends, strict=True)))

print(
    json.dumps(
        {
            "bench": "business_time",
            "calendar": "Europe/Bucharest Mon-Fri 09:00-17:00, RO holidays",
            "calls": CALLS,
            "add_per_second": round(add_per_second),
            "between_per_second": round(between_per_second),
            "cold_first_call_ms": round(cold_call_ms, 2),
            "target_add_per_second": TARGET_ADD_PER_SECOND,
            "ok": add_per_second >= TARGET_ADD_PER_SECOND,
        }
    )
)
