"""The managers' figures (reads only): SLA met rates and percentiles, reply quality,
moderation backlog, report decision times and the live breached / at-risk list.

Percentiles are computed by the database on PostgreSQL (percentile_cont, one scan for every
grouping through GROUPING SETS); elsewhere (SQLite in development) the same figures come from
the rows in Python. Durations are elapsed time from a clock's start to its stop.
"""

import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from redis.exceptions import RedisError

from helpdesk.models import User
from sla.models import Clock, Event, Metric, ReplyFingerprint
from tickets.models import Queue, Ticket

log = logging.getLogger(__name__)
METRICS = [m.value for m in Metric]
METRIC_LABELS = dict(Metric.choices)
CHART_METRICS = ("first_response", "answer")
UNPUBLISHED_DAYS = 7
LIVE_ROWS = 15
AT_RISK_WINDOW = timedelta(hours=1)


@dataclass
class Figures:
    count: int = 0
    met: int = 0
    breached: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None

    @property
    def met_percent(self) -> float | None:
        decided = self.met + self.breached
        return round(100 * self.met / decided, 1) if decided else None

    def as_api(self) -> dict:
        return {
            "count": self.count,
            "met": self.met,
            "breached": self.breached,
            "median_seconds": _round(self.median_seconds),
            "p90_seconds": _round(self.p90_seconds),
        }


@dataclass
class SlaFigures:
    by_metric: dict[str, Figures] = field(default_factory=dict)
    by_queue: dict[tuple[str, int | None], Figures] = field(default_factory=dict)
    by_agent: dict[tuple[str, int | None], Figures] = field(default_factory=dict)
    daily_median: dict[str, dict[datetime, float]] = field(default_factory=dict)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _day(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


_PG_SQL = f"""
SELECT c.metric, t.queue_id, t.assignee_id, date_trunc('day', c.started_at) AS day,
       GROUPING(t.queue_id, t.assignee_id, date_trunc('day', c.started_at)) AS grouping,
       count(*),
       count(*) FILTER (WHERE c.state = 'stopped' AND NOT c.breached),
       count(*) FILTER (WHERE c.breached),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.stopped_at - c.started_at))
           FILTER (WHERE c.state = 'stopped'),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM c.stopped_at - c.started_at))
           FILTER (WHERE c.state = 'stopped')
FROM {Clock._meta.db_table} c JOIN {Ticket._meta.db_table} t ON t.id = c.ticket_id
WHERE c.started_at >= %(since)s AND c.started_at < %(until)s
GROUP BY GROUPING SETS ((c.metric), (c.metric, t.queue_id), (c.metric, t.assignee_id),
                        (c.metric, date_trunc('day', c.started_at)))
"""
# GROUPING(queue, assignee, day) bit masks: 4 = queue grouped away, 2 = assignee, 1 = day.
_ONLY_METRIC, _BY_QUEUE, _BY_AGENT, _BY_DAY = 7, 3, 5, 6


DASHBOARD_PERIODS = (7, 30, 90)


def dashboard_period(*, now: datetime, days: int) -> tuple[datetime, datetime]:
    """A period ending at `now` rounded down to five minutes: every manager (and the worker
    that warms the cache) shares one computation per period."""
    until = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    return until - timedelta(days=days), until


def dashboard_warm(*, now: datetime) -> int:
    """Compute the dashboard's period figures ahead of the managers (the worker runs this
    every minute), so the page reads them from the cache instead of computing percentiles
    over every clock of the period. Returns how many periods were computed."""
    if not getattr(settings, "ESCALATION_FIGURES_CACHE_SECONDS", 300):
        return 0
    computed = 0
    for days in DASHBOARD_PERIODS:
        since, until = dashboard_period(now=now, days=days)
        if not figures_cached(since=since, until=until):
            sla_figures(since=since, until=until)
            computed += 1
    return computed


def _figures_key(since: datetime, until: datetime) -> str:
    return f"escalation:sla_figures:{connection.alias}:{since.timestamp()}:{until.timestamp()}"


def _cache_get(key: str):
    """The cached value, or None when the shared cache (Redis) is down: the figures are then
    computed, slower but shown, rather than the dashboard failing."""
    try:
        return cache.get(key)
    except (RedisError, OSError) as error:
        log.warning("dashboard figures: cache unavailable (%s)", type(error).__name__)
        return None


def _cache_set(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except (RedisError, OSError) as error:
        log.warning("dashboard figures: cache unavailable (%s)", type(error).__name__)


def figures_cached(*, since: datetime, until: datetime) -> bool:
    return _cache_get(_figures_key(since, until)) is not None


def sla_figures(*, since: datetime, until: datetime) -> SlaFigures:
    """Per metric, per metric and queue, per metric and assignee, and the daily medians of
    the chart, over clocks started in [since, until).

    Kept in the cache for ESCALATION_FIGURES_CACHE_SECONDS (default 300): a period's
    percentiles over 100,000 tickets take the database a second or more, and they do not
    change much in five minutes (the dashboard rounds its period to five minutes, so every
    manager shares one computation); the live list is never cached.
    """
    seconds = getattr(settings, "ESCALATION_FIGURES_CACHE_SECONDS", 300)
    key = _figures_key(since, until)
    if seconds:
        cached = _cache_get(key)
        if cached is not None:
            return cached
    compute = _sla_figures_pg if connection.vendor == "postgresql" else _sla_figures_python
    figures = compute(since, until)
    if seconds:
        _cache_set(key, figures, seconds)
    return figures


def _sla_figures_pg(since: datetime, until: datetime) -> SlaFigures:
    result = SlaFigures()
    with connection.cursor() as cursor:
        cursor.execute(_PG_SQL, {"since": since, "until": until})
        rows = cursor.fetchall()
    for metric, queue_id, assignee_id, day, grouping, count, met, breached, p50, p90 in rows:
        figures = Figures(count, met, breached, p50, p90)
        if grouping == _ONLY_METRIC:
            result.by_metric[metric] = figures
        elif grouping == _BY_QUEUE:
            result.by_queue[(metric, queue_id)] = figures
        elif grouping == _BY_AGENT:
            result.by_agent[(metric, assignee_id)] = figures
        elif grouping == _BY_DAY and metric in CHART_METRICS and p50 is not None:
            result.daily_median.setdefault(metric, {})[_day(day)] = p50
    return result


def _sla_figures_python(since: datetime, until: datetime) -> SlaFigures:
    rows = Clock.objects.filter(started_at__gte=since, started_at__lt=until).values_list(
        "metric",
        "ticket__queue_id",
        "ticket__assignee_id",
        "state",
        "breached",
        "started_at",
        "stopped_at",
    )
    groups: dict[tuple, list] = defaultdict(list)
    for metric, queue_id, assignee_id, state, breached, started, stopped in rows:
        row = (state, breached, (stopped - started).total_seconds() if stopped else None)
        groups[("m", metric)].append(row)
        groups[("q", metric, queue_id)].append(row)
        groups[("a", metric, assignee_id)].append(row)
        groups[("d", metric, _day(started))].append(row)
    result = SlaFigures()
    for key, items in groups.items():
        durations = [d for state, _, d in items if state == Clock.State.STOPPED and d is not None]
        figures = Figures(
            count=len(items),
            met=sum(1 for state, breached, _ in items if state == "stopped" and not breached),
            breached=sum(1 for _, breached, _ in items if breached),
            median_seconds=percentile(durations, 0.5),
            p90_seconds=percentile(durations, 0.9),
        )
        if key[0] == "m":
            result.by_metric[key[1]] = figures
        elif key[0] == "q":
            result.by_queue[key[1:]] = figures
        elif key[0] == "a":
            result.by_agent[key[1:]] = figures
        elif key[1] in CHART_METRICS and figures.median_seconds is not None:
            result.daily_median.setdefault(key[1], {})[key[2]] = figures.median_seconds
    return result


# --- reply quality ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyRate:
    key: int | None
    name: str
    replies: int
    generic: int
    not_answered: int

    @property
    def generic_rate(self) -> float:
        return round(self.generic / self.replies, 4) if self.replies else 0.0

    @property
    def not_answered_rate(self) -> float:
        return round(self.not_answered / self.replies, 4) if self.replies else 0.0


def _reply_counts(since: datetime, until: datetime, by: str):
    return (
        ReplyFingerprint.objects.filter(sent_at__gte=since, sent_at__lt=until)
        .values(by)
        .annotate(
            replies=Count("id"),
            generic=Count("id", filter=Q(generic=True)),
            not_answered=Count("id", filter=Q(not_answered=True)),
        )
        .order_by(by)
    )


def generic_rates_by_agent(*, since: datetime, until: datetime) -> list[ReplyRate]:
    rows = list(_reply_counts(since, until, "author"))
    names = _user_names(r["author"] for r in rows)
    rates = [
        ReplyRate(
            r["author"], names.get(r["author"], "—"), r["replies"], r["generic"], r["not_answered"]
        )
        for r in rows
    ]
    return sorted(rates, key=lambda r: (-r.generic_rate, r.name))


def generic_rates_by_template(*, since: datetime, until: datetime, limit: int = 10):
    rows = (
        _reply_counts(since, until, "template")
        .filter(template__isnull=False)
        .filter(replies__gte=2)
        .order_by("-replies", "template")[:limit]
    )
    excerpts = dict(
        ReplyFingerprint.objects.filter(pk__in=[r["template"] for r in rows]).values_list(
            "pk", "message__body"
        )
    )
    return [
        ReplyRate(
            r["template"],
            (excerpts.get(r["template"]) or "")[:80],
            r["replies"],
            r["generic"],
            r["not_answered"],
        )
        for r in rows
    ]


def _user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        u.pk: u.display_name
        for u in User.objects.filter(pk__in=wanted).only("username", "first_name", "last_name")
    }


def _queue_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(Queue.objects.filter(pk__in=wanted).values_list("pk", "name"))


# --- moderation and reports ---------------------------------------------------------------


def moderation_backlog_by_age(*, now: datetime) -> list[tuple[str, int, bool]]:
    """Content waiting for a decision, by days waited: (label, count, past the 7-day mark)."""
    open_clocks = Clock.objects.filter(
        metric=Metric.MODERATION, state__in=[Clock.State.RUNNING, Clock.State.PAUSED]
    )
    buckets = {
        f"d{day}": Count(
            "id",
            filter=Q(
                started_at__gt=now - timedelta(days=day + 1),
                started_at__lte=now - timedelta(days=day),
            ),
        )
        for day in range(UNPUBLISHED_DAYS)
    }
    buckets["late"] = Count("id", filter=Q(started_at__lte=now - timedelta(days=UNPUBLISHED_DAYS)))
    counts = open_clocks.aggregate(**buckets)
    rows = [(f"{day}-{day + 1} d", counts[f"d{day}"] or 0, False) for day in range(7)]
    rows.append(("7 d +", counts["late"] or 0, True))
    return rows


REPORT_BUCKETS = [
    ("< 1 h", timedelta(0), timedelta(hours=1)),
    ("1-4 h", timedelta(hours=1), timedelta(hours=4)),
    ("4-24 h", timedelta(hours=4), timedelta(days=1)),
    ("1-3 d", timedelta(days=1), timedelta(days=3)),
    ("3 d +", timedelta(days=3), None),
]


def report_decision_times(*, since: datetime, until: datetime) -> list[tuple[str, int]]:
    """Abuse reports decided, by how long the decision took (started in the period)."""
    took = ExpressionWrapper(F("stopped_at") - F("started_at"), output_field=DurationField())
    decided = Clock.objects.filter(
        metric=Metric.REPORT_DECISION,
        state=Clock.State.STOPPED,
        started_at__gte=since,
        started_at__lt=until,
    ).annotate(took=took)
    aggregates = {}
    for index, (_, low, high) in enumerate(REPORT_BUCKETS):
        condition = Q(took__gte=low) & (Q(took__lt=high) if high else Q())
        aggregates[f"b{index}"] = Count("id", filter=condition)
    counts = decided.aggregate(**aggregates)
    return [(label, counts[f"b{i}"] or 0) for i, (label, _, _) in enumerate(REPORT_BUCKETS)]


def rejection_rate_by_rating(*, since: datetime, until: datetime) -> dict[str, float]:
    rows = (
        Ticket.objects.filter(
            kind=Ticket.Kind.REVIEW,
            created_at__gte=since,
            created_at__lt=until,
            moderation__in=[Ticket.Moderation.PUBLISHED, Ticket.Moderation.REJECTED],
        )
        .values("rating")
        .annotate(
            decided=Count("id"),
            rejected=Count("id", filter=Q(moderation=Ticket.Moderation.REJECTED)),
        )
        .order_by("rating")
    )
    rates = {str(star): 0.0 for star in range(1, 6)}
    for row in rows:
        if row["rating"] in range(1, 6) and row["decided"]:
            rates[str(row["rating"])] = round(row["rejected"] / row["decided"], 4)
    return rates


def neutrality(*, since: datetime, until: datetime) -> dict | None:
    """The moderation team's neutrality monitor (tickets.neutrality), when it is there."""
    try:
        from tickets.neutrality import neutrality_report
    except ImportError:
        return None
    return neutrality_report(since=since, until=until)


# --- the report of GET /api/v1/sla/report/ -------------------------------------------------


def sla_report(*, since: datetime, until: datetime, now: datetime) -> dict:
    figures = sla_figures(since=since, until=until)
    events = dict(
        Event.objects.filter(
            created_at__gte=since,
            created_at__lt=until,
            kind__in=[Event.Kind.GENERIC_REPLY, Event.Kind.NOT_ANSWERED],
        )
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    agents = generic_rates_by_agent(since=since, until=until)
    replies = sum(a.replies for a in agents)
    generic = sum(a.generic for a in agents)
    not_answered = sum(a.not_answered for a in agents)
    medians = {m: figures.by_metric.get(m, Figures()).median_seconds for m in CHART_METRICS}
    return {
        "since": since,
        "until": until,
        "metrics": {m: figures.by_metric.get(m, Figures()).as_api() for m in METRICS},
        "generic_replies": events.get(Event.Kind.GENERIC_REPLY, 0),
        "not_answered": events.get(Event.Kind.NOT_ANSWERED, 0),
        "moderation_backlog": Ticket.objects.filter(moderation=Ticket.Moderation.PENDING).count(),
        "rejection_rate_by_rating": rejection_rate_by_rating(since=since, until=until),
        "reply_quality": {
            "median_first_response_seconds": _round(medians["first_response"]),
            "median_answer_seconds": _round(medians["answer"]),
            "replies": replies,
            "generic_reply_rate": round(generic / replies, 4) if replies else 0.0,
            "not_answered_rate": round(not_answered / replies, 4) if replies else 0.0,
            "by_agent": [_rate_api(a, "agent") for a in agents],
            "by_template": [
                _rate_api(t, "template")
                for t in generic_rates_by_template(since=since, until=until)
            ],
        },
    }


def _rate_api(rate: ReplyRate, key: str) -> dict:
    return {
        key: rate.key,
        "name": rate.name,
        "replies": rate.replies,
        "generic": rate.generic,
        "generic_rate": rate.generic_rate,
        "not_answered": rate.not_answered,
        "not_answered_rate": rate.not_answered_rate,
    }


# --- the live list ---------------------------------------------------------------------------


def live_items(*, now: datetime, limit: int = LIVE_ROWS) -> dict[str, list[Clock]]:
    """Running clocks already breached (latest breach first) and those about to: warned or
    due within the hour (earliest due first). Two indexed queries, joined to their tickets."""
    base = Clock.objects.select_related("ticket", "ticket__assignee", "ticket__queue").filter(
        state=Clock.State.RUNNING
    )
    breached = list(base.filter(breached=True).order_by("-due_at", "-id")[:limit])
    at_risk = list(
        base.filter(breached=False, due_at__lte=now + AT_RISK_WINDOW).order_by("due_at", "id")[
            :limit
        ]
    )
    return {"breached": breached, "at_risk": at_risk}
