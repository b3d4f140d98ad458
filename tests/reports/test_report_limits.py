"""The pure rules, with plain values."""

from datetime import UTC, datetime, timedelta

import pytest

from tickets.report_limits import (
    DecidedReport,
    LimitRule,
    MisuseRule,
    in_priority_lane,
    limit_state,
    misuse_verdict,
    normalise_url,
    reporter_limit,
)

RULE = LimitRule()
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("upheld", "rejected", "limit"),
    [
        (0, 0, 60),  # no record: the default
        (1, 0, 73),  # a handful of decisions barely moves it
        (0, 1, 51),
        (40, 0, 327),
        (1000, 0, 490),
        (100_000, 0, 500),
        (0, 10, 24),
        (0, 100, 12),
        (0, 100_000, 10),
    ],
)
def test_limit_follows_accuracy_with_a_prior(upheld, rejected, limit):
    assert reporter_limit(upheld=upheld, rejected=rejected, rule=RULE) == limit


def test_default_lets_an_accurate_reporter_send_40_in_an_hour():
    assert reporter_limit(upheld=0, rejected=0, rule=RULE) >= 40


def test_limit_never_leaves_its_bounds_and_grows_with_upheld_reports():
    previous = 0
    for upheld in range(0, 300, 7):
        value = reporter_limit(upheld=upheld, rejected=20, rule=RULE)
        assert 10 <= value <= 500
        assert value >= previous
        previous = value


def test_limit_state_counts_the_rolling_window_and_says_when_it_opens():
    sent = [T0 + timedelta(minutes=m) for m in range(60)]  # one a minute, 12:00 to 12:59
    now = T0 + timedelta(minutes=70)  # 13:10: the first ten have left the window

    state = limit_state(limit=60, sent_at=sent, window=timedelta(hours=1), now=now)
    assert (state.used, state.remaining) == (49, 11)

    full = limit_state(limit=49, sent_at=sent, window=timedelta(hours=1), now=now)
    assert full.remaining == 0
    assert full.resets_at == T0 + timedelta(minutes=71)  # 12:11's report leaves at 13:11
    assert full.retry_after(now) == 60

    batch = limit_state(limit=49, sent_at=sent, window=timedelta(hours=1), now=now, wanted=5)
    assert batch.resets_at == T0 + timedelta(minutes=75)


def test_priority_lane_for_trusted_flaggers_and_a_strong_record():
    assert in_priority_lane(upheld=0, rejected=0, trusted_flagger=True, rule=RULE)
    assert not in_priority_lane(upheld=5, rejected=0, trusted_flagger=False, rule=RULE)
    assert in_priority_lane(upheld=20, rejected=0, trusted_flagger=False, rule=RULE)
    assert not in_priority_lane(upheld=20, rejected=10, trusted_flagger=False, rule=RULE)


def _decided(n, unfounded, start=T0):
    return [
        DecidedReport(decided_at=start + timedelta(minutes=i), unfounded=i < unfounded)
        for i in range(n)
    ]


def test_misuse_warns_first_then_suspends_only_on_a_later_repeat():
    rule = MisuseRule()
    now = T0 + timedelta(hours=1)
    first = misuse_verdict(
        decisions=_decided(10, 8), warned_at=None, suspended_until=None,
        trusted_flagger=False, rule=rule, now=now,
    )  # fmt: skip
    assert first.action == "warn"
    assert first.reason.startswith("8 of your last 10 decided reports within 30 days")

    # The same decisions after the warning: nothing more.
    again = misuse_verdict(
        decisions=_decided(10, 8), warned_at=now, suspended_until=None,
        trusted_flagger=False, rule=rule, now=now + timedelta(minutes=1),
    )  # fmt: skip
    assert again.action == "none"

    later = _decided(10, 8) + _decided(10, 9, start=now + timedelta(days=1))
    repeat = misuse_verdict(
        decisions=later, warned_at=now, suspended_until=None, trusted_flagger=False,
        rule=rule, now=now + timedelta(days=2),
    )  # fmt: skip
    assert (repeat.action, repeat.decided, repeat.unfounded) == ("suspend", 10, 9)


@pytest.mark.parametrize(("n", "unfounded"), [(9, 9), (10, 7), (40, 0)])
def test_misuse_needs_enough_decisions_and_a_high_unfounded_share(n, unfounded):
    verdict = misuse_verdict(
        decisions=_decided(n, unfounded), warned_at=None, suspended_until=None,
        trusted_flagger=False, rule=MisuseRule(), now=T0 + timedelta(hours=2),
    )  # fmt: skip
    assert verdict.action == "none"


def test_trusted_flaggers_are_never_sanctioned_automatically():
    verdict = misuse_verdict(
        decisions=_decided(20, 20), warned_at=T0 - timedelta(days=1), suspended_until=None,
        trusted_flagger=True, rule=MisuseRule(), now=T0 + timedelta(hours=2),
    )  # fmt: skip
    assert verdict.action == "none"


def test_rules_read_from_settings_values():
    assert MisuseRule.from_settings({"min_decided": 5, "window_days": 7}).window == timedelta(
        days=7
    )
    assert LimitRule.from_settings({"window_seconds": 600}).window == timedelta(minutes=10)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://Shop.Example.com/listing/1/", "https://shop.example.com/listing/1"),
        ("https://www.shop.example.com:443/listing/1#photos", "https://shop.example.com/listing/1"),
        ("https://shop.example.com/l?b=2&a=1&utm_source=x", "https://shop.example.com/l?a=1&b=2"),
    ],
)
def test_the_same_target_normalises_to_one_address(a, b):
    assert normalise_url(a) == normalise_url(b)


def test_an_out_of_range_port_does_not_break_normalisation():
    assert normalise_url("http://a.example:99999/x") == "http://a.example:99999/x"
