"""The managers' dashboard as tables: each one rendered on the page and exported as CSV
from the same rows, so the two never disagree."""

from dataclasses import dataclass
from datetime import datetime

from . import report
from .charts import bar_chart, duration_label, line_chart


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list]
    # Cells as shown on the page (durations humanised); CSV keeps the raw values.
    shown: list[list] | None = None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def _figure_row(label: list, f: report.Figures) -> tuple[list, list]:
    raw = [*label, f.count, f.met, f.breached, f.met_percent, f.median_seconds, f.p90_seconds]
    shown = [
        *label,
        f.count,
        f.met,
        f.breached,
        _pct(f.met_percent),
        duration_label(f.median_seconds),
        duration_label(f.p90_seconds),
    ]
    return raw, shown


FIGURE_HEADERS = ["Clocks", "Met", "Breached", "Met %", "Median (s)", "p90 (s)"]


def _table(name, title, headers, pairs) -> Table:
    return Table(name, title, headers, [r for r, _ in pairs], [s for _, s in pairs])


def dashboard_tables(*, since: datetime, until: datetime, metric: str) -> dict[str, Table]:
    figures = report.sla_figures(since=since, until=until)
    tables: dict[str, Table] = {}
    tables["metrics"] = _table(
        "metrics",
        "SLA by metric",
        ["Metric", *FIGURE_HEADERS],
        [
            _figure_row([report.METRIC_LABELS[m]], figures.by_metric.get(m, report.Figures()))
            for m in report.METRICS
        ],
    )
    queues = report._queue_names(q for (m, q) in figures.by_queue if m == metric)
    tables["queues"] = _table(
        "queues",
        f"{report.METRIC_LABELS.get(metric, metric)} by queue",
        ["Queue", *FIGURE_HEADERS],
        sorted(
            (
                _figure_row([queues.get(q, "No queue")], f)
                for (m, q), f in figures.by_queue.items()
                if m == metric
            ),
            key=lambda pair: (-pair[0][1], pair[0][0]),
        ),
    )
    agents = report._user_names(a for (m, a) in figures.by_agent if m == metric)
    tables["agents"] = _table(
        "agents",
        f"{report.METRIC_LABELS.get(metric, metric)} by agent",
        ["Agent", *FIGURE_HEADERS],
        sorted(
            (
                _figure_row([agents.get(a, "Unassigned")], f)
                for (m, a), f in figures.by_agent.items()
                if m == metric
            ),
            key=lambda pair: (-pair[0][1], pair[0][0]),
        ),
    )
    rates = report.generic_rates_by_agent(since=since, until=until)
    tables["reply_quality"] = Table(
        "reply_quality",
        "Generic replies by agent",
        ["Agent", "Replies", "Generic", "Generic rate", "Not answered", "Not-answered rate"],
        [
            [r.name, r.replies, r.generic, r.generic_rate, r.not_answered, r.not_answered_rate]
            for r in rates
        ],
        [
            [
                r.name,
                r.replies,
                r.generic,
                _pct(100 * r.generic_rate),
                r.not_answered,
                _pct(100 * r.not_answered_rate),
            ]
            for r in rates
        ],
    )
    tables["chart"] = Table(
        "chart",
        "Median time to first reply and to answer, by day",
        ["Day", "First reply median (s)", "Answer median (s)"],
        [
            [
                day.date().isoformat(),
                figures.daily_median.get("first_response", {}).get(day),
                figures.daily_median.get("answer", {}).get(day),
            ]
            for day in sorted({d for points in figures.daily_median.values() for d in points})
        ],
    )
    tables["_figures"] = Table("_figures", "", [], [])
    tables["_figures"].rows = [figures]  # the chart's source, not exported
    return tables


def moderation_tables(*, since: datetime, until: datetime, now: datetime) -> dict[str, Table]:
    backlog = report.moderation_backlog_by_age(now=now)
    decisions = report.report_decision_times(since=since, until=until)
    return {
        "moderation_backlog": Table(
            "moderation_backlog",
            "Moderation backlog by age",
            ["Waiting", "Items", "Past the 7-day mark"],
            [[label, count, late] for label, count, late in backlog],
        ),
        "report_decisions": Table(
            "report_decisions",
            "Abuse report decision times",
            ["Decided within", "Reports"],
            [[label, count] for label, count in decisions],
        ),
    }


def neutrality_table(*, since: datetime, until: datetime) -> Table | None:
    data = report.neutrality(since=since, until=until)
    if data is None:
        return None
    rows = []
    for scope, comparison in [("All products", data["overall"]), *data["products"].items()]:
        low, high = comparison["low"], comparison["high"]
        rows.append(
            [
                scope,
                low["decisions"],
                low["approval_rate"],
                high["decisions"],
                high["approval_rate"],
                comparison["approval_gap_points"],
                comparison["median_delay_ratio"],
                ", ".join(comparison["flags"]) or "ok",
            ]
        )
    return Table(
        "neutrality",
        "Neutrality monitor (1-2★ vs 4-5★ reviews)",
        [
            "Scope",
            "1-2★ decisions",
            "1-2★ approval",
            "4-5★ decisions",
            "4-5★ approval",
            "Gap (points)",
            "Delay ratio",
            "Flags",
        ],
        rows[:21],
    )


def charts(tables: dict[str, Table]) -> dict:
    figures = tables["_figures"].rows[0]
    return {
        "reply_vs_answer": line_chart(
            title="Median time to first reply against median time to answer, by day",
            series=[
                ("Time to first reply", "s-first", figures.daily_median.get("first_response", {})),
                ("Time to answer", "s-answer", figures.daily_median.get("answer", {})),
            ],
        ),
    }


def backlog_chart(table: Table):
    return bar_chart(
        title="Moderation backlog by days waited; the last bar is past the 7-day mark",
        rows=[(label, count, late) for label, count, late in table.rows],
        chart_id="chart-backlog",
    )


def report_chart(table: Table):
    return bar_chart(
        title="Abuse reports by time to decision",
        rows=[(label, count, False) for label, count in table.rows],
        chart_id="chart-reports",
    )
