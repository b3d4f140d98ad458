"""Point 6: the neutrality monitor's arithmetic, on plain rows."""

from datetime import UTC, datetime, timedelta

from tickets.neutrality import DecisionRow, neutrality_compute

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def row(rating, published, hours, product="ket-200"):
    return DecisionRow(product, rating, published, T, T + timedelta(hours=hours))


def test_balanced_groups_are_not_flagged():
    rows = [row(1, True, 2), row(2, True, 4), row(4, True, 3), row(5, True, 3), row(3, False, 99)]

    report = neutrality_compute(rows)["overall"]

    assert report["low"] == {
        "decisions": 2,
        "approved": 2,
        "approval_rate": 1.0,
        "median_seconds": 10800.0,
    }
    assert (report["approval_gap_points"], report["median_delay_ratio"]) == (0.0, 1.0)
    assert (report["flags"], report["flagged"]) == ([], False)


def test_a_gap_of_more_than_5_points_is_flagged_and_exactly_5_is_not():
    # 19 of 20 low approved (95 %) against 20 of 20 high (100 %): 5 points, not flagged
    five = [row(1, i > 0, 1) for i in range(20)] + [row(5, True, 1) for _ in range(20)]
    # 18 of 20 (90 %): 10 points
    ten = [row(1, i > 1, 1) for i in range(20)] + [row(5, True, 1) for _ in range(20)]

    assert neutrality_compute(five)["overall"]["flags"] == []
    assert neutrality_compute(five)["overall"]["approval_gap_points"] == 5.0
    assert neutrality_compute(ten)["overall"]["flags"] == ["approval_gap"]


def test_a_median_delay_ratio_above_1_5_is_flagged_either_way():
    slow_low = [row(1, True, 3.1), row(5, True, 2)]
    slow_high = [row(2, True, 2), row(4, True, 3.1)]
    at_limit = [row(1, True, 3), row(5, True, 2)]

    assert neutrality_compute(slow_low)["overall"]["flags"] == ["delay_ratio"]
    assert neutrality_compute(slow_low)["overall"]["median_delay_ratio"] == 1.55
    assert neutrality_compute(slow_high)["overall"]["flags"] == ["delay_ratio"]
    assert neutrality_compute(at_limit)["overall"]["flags"] == []


def test_per_product_figures_and_a_missing_group():
    rows = [row(1, False, 5, "a"), row(5, True, 1, "a"), row(5, True, 1, "b")]

    report = neutrality_compute(rows)

    assert list(report["products"]) == ["a", "b"]
    assert report["products"]["a"]["flags"] == ["approval_gap", "delay_ratio"]
    b = report["products"]["b"]
    assert (b["low"]["decisions"], b["approval_gap_points"], b["flagged"]) == (0, None, False)
    assert neutrality_compute([])["overall"]["low"]["approval_rate"] is None
