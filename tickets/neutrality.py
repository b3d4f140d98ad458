"""The neutrality monitor: are unfavourable reviews treated like favourable ones?

Compares first-instance decisions on 1-2 star reviews with those on 4-5 star reviews,
overall and per product: the share approved (published) and the median time from
submission to decision. A difference in approval rates of more than 5 percentage points, or
one group's median delay more than 1.5 times the other's, is flagged. `neutrality_compute`
is pure (plain rows in, plain dict out); `neutrality_report` loads the rows in one query.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import median

APPROVAL_GAP_POINTS = 5.0
DELAY_RATIO_LIMIT = 1.5
LOW, HIGH = (1, 2), (4, 5)


@dataclass(frozen=True)
class DecisionRow:
    product: str
    rating: int
    published: bool
    submitted_at: datetime
    decided_at: datetime


def _group(rows: list[DecisionRow]) -> dict:
    n = len(rows)
    approved = sum(r.published for r in rows)
    delays = [(r.decided_at - r.submitted_at).total_seconds() for r in rows]
    return {
        "decisions": n,
        "approved": approved,
        "approval_rate": round(approved / n, 4) if n else None,
        "median_seconds": median(delays) if delays else None,
    }


def _compare(rows: list[DecisionRow]) -> dict:
    low = _group([r for r in rows if r.rating in LOW])
    high = _group([r for r in rows if r.rating in HIGH])
    gap = ratio = None
    flags = []
    if low["decisions"] and high["decisions"]:
        gap = round((high["approval_rate"] - low["approval_rate"]) * 100, 2)
        if abs(gap) > APPROVAL_GAP_POINTS:
            flags.append("approval_gap")
        lo, hi = low["median_seconds"], high["median_seconds"]
        if hi > 0:
            ratio = round(lo / hi, 3)
        slower, faster = max(lo, hi), min(lo, hi)
        if slower > 0 and (faster == 0 or slower / faster > DELAY_RATIO_LIMIT):
            flags.append("delay_ratio")
    return {
        "low": low,
        "high": high,
        "approval_gap_points": gap,
        "median_delay_ratio": ratio,
        "flags": flags,
        "flagged": bool(flags),
    }


def neutrality_compute(rows: Iterable[DecisionRow]) -> dict:
    """`approval_gap_points` is the 4-5 star approval rate minus the 1-2 star one, in
    percentage points; `median_delay_ratio` the 1-2 star median delay over the 4-5 star one.
    Either is None when a group has no decision. 3-star reviews take no part."""
    rows = [r for r in rows if r.rating in LOW + HIGH]
    by_product: dict[str, list[DecisionRow]] = defaultdict(list)
    for row in rows:
        by_product[row.product].append(row)
    return {
        "overall": _compare(rows),
        "products": {sku: _compare(by_product[sku]) for sku in sorted(by_product)},
    }


def neutrality_rows(*, since: datetime, until: datetime) -> list[DecisionRow]:
    """First-instance decisions on reviews taken in [since, until), in one query."""
    from .models import ModerationDecision, Ticket

    values = ModerationDecision.objects.filter(
        ticket__kind=Ticket.Kind.REVIEW,
        on_contest=False,
        decided_at__gte=since,
        decided_at__lt=until,
    ).values_list(
        "ticket__product__sku", "ticket__rating", "decision", "submitted_at", "decided_at"
    )
    return [
        DecisionRow(sku or "", rating, decision == "publish", submitted, decided)
        for sku, rating, decision, submitted, decided in values
        if rating is not None
    ]


def neutrality_report(*, since: datetime, until: datetime) -> dict:
    return {
        "since": since,
        "until": until,
        **neutrality_compute(neutrality_rows(since=since, until=until)),
    }
