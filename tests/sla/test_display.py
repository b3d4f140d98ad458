from datetime import UTC, datetime, timedelta

import pytest

from sla.display import clock_view, humanize_duration

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "less than a minute"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=3, minutes=12, seconds=59), "3 h 12 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(days=2, hours=4, minutes=5), "2 d 4 h"),
        (timedelta(days=3), "3 d"),
        (timedelta(minutes=-5), "less than a minute"),
    ],
)
def test_humanize_duration(delta, text):
    assert humanize_duration(delta) == text


def view(**kw):
    base = dict(
        metric="answer",
        state="running",
        breached=False,
        due_at=NOW + timedelta(hours=3, minutes=12),
        warn_at=NOW + timedelta(hours=1),
        stopped_at=None,
        breached_at=None,
        now=NOW,
    )
    return clock_view(**{**base, **kw})


def test_running_clock_before_its_warning():
    v = view()
    assert (v.label, v.tone, v.text, v.at) == (
        "Answer",
        "ok",
        "due in 3 h 12 min",
        NOW + timedelta(hours=3, minutes=12),
    )


def test_running_clock_past_its_warning():
    assert view(warn_at=NOW - timedelta(minutes=1)).tone == "warn"


def test_running_clock_past_due_is_breached_even_before_the_sweep_marks_it():
    v = view(due_at=NOW - timedelta(hours=2))
    assert (v.tone, v.text) == ("breached", "breached 2 h ago")


def test_stopped_clocks_say_met_or_missed():
    met = view(state="stopped", stopped_at=NOW)
    missed = view(
        state="stopped", breached=True, due_at=NOW - timedelta(minutes=30), stopped_at=NOW
    )
    assert (met.tone, met.text) == ("met", "met")
    assert (missed.tone, missed.text) == ("missed", "missed by 30 min")


def test_paused_clock():
    assert view(state="paused").text == "paused while waiting for the customer"


def test_customer_promise_names_the_clock_they_wait_on():
    from sla.display import CustomerPromise, customer_promise

    due = NOW + timedelta(hours=2)
    clocks = [
        ("first_response", "stopped", NOW),
        ("answer", "running", due),
        ("resolution", "running", NOW + timedelta(days=2)),
    ]

    assert customer_promise(clocks, NOW) == CustomerPromise("We aim to answer by", due, late=False)
    assert customer_promise(clocks, due) == CustomerPromise(
        "We promised an answer by", due, late=True
    )
    assert customer_promise([("answer", "paused", due)], NOW) is None
    assert customer_promise([("moderation", "running", due)], NOW).text == "We aim to decide by"
