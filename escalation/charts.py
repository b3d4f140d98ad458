"""Server-side SVG charts: no script, no CDN, readable without colour (labels on the marks)
and described for screen readers (role="img", <title>, <desc>)."""

from collections.abc import Sequence
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def duration_label(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _nice_max(value: float) -> float:
    steps = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 345600, 604800]
    for step in steps:
        if value <= step:
            return float(step)
    return value * 1.1


def line_chart(
    *,
    title: str,
    series: Sequence[tuple[str, str, dict[datetime, float]]],
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Daily medians as lines: `series` is (label, css class, {day: seconds})."""
    days = sorted({day for _, _, points in series for day in points})
    desc = "; ".join(
        f"{label}: median of medians {duration_label(_middle(list(points.values())))}"
        for label, _, points in series
    )
    left, right, top, bottom = 64, 16, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-line-title" aria-describedby="chart-line-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-line-title">{escape(title)}</title>',
        f'<desc id="chart-line-desc">{escape(desc or "No data in this period.")}</desc>',
    ]
    if not days:
        parts.append(
            f'<text class="chart-empty" x="{width / 2}" y="{height / 2}" text-anchor="middle">'
            "No replies in this period</text></svg>"
        )
        return mark_safe("".join(parts))
    top_value = _nice_max(max(v for _, _, points in series for v in points.values()) or 60)
    for i in range(5):
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="chart-grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="chart-axis" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{duration_label(value)}</text>"
        )

    def x_of(index: int) -> float:
        return left + (plot_w * index / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    step = max(1, len(days) // 6)
    for index in range(0, len(days), step):
        parts.append(
            f'<text class="chart-axis" x="{x_of(index):.1f}" y="{height - 14}" '
            f'text-anchor="middle">{days[index]:%d %b}</text>'
        )
    for series_index, (label, css, points) in enumerate(series):
        coords = [
            (x_of(i), top + plot_h - plot_h * min(points[d], top_value) / top_value)
            for i, d in enumerate(days)
            if d in points
        ]
        if not coords:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="chart-line {css}" points="{path}"/>')
        for x, y in coords:
            parts.append(f'<circle class="chart-dot {css}" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>')
        legend_x = left + 8 + series_index * 220
        parts.append(
            f'<rect class="chart-key {css}" x="{legend_x}" y="8" width="12" height="4" rx="2"/>'
            f'<text class="chart-legend" x="{legend_x + 18}" y="14">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _middle(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def bar_chart(
    *,
    title: str,
    rows: Sequence[tuple[str, float, bool]],
    value_label=str,
    width: int = 420,
    chart_id: str = "bars",
) -> SafeString:
    """Horizontal bars with their value written at the end; highlighted rows (e.g. past the
    7-day mark) get the alert colour and a marker line before them."""
    row_h, left, right = 26, 96, 64
    height = row_h * len(rows) + 12
    top_value = max((v for _, v, _ in rows), default=0) or 1
    desc = ", ".join(f"{label}: {value_label(value)}" for label, value, _ in rows)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    plot_w = width - left - right
    for index, (label, value, alert) in enumerate(rows):
        y = 6 + index * row_h
        bar_w = max(2.0, plot_w * value / top_value) if value else 0
        css = "chart-bar alert" if alert else "chart-bar"
        if alert:
            parts.append(
                f'<line class="chart-mark" x1="{left - 4}" x2="{width - 4}" '
                f'y1="{y - 2}" y2="{y - 2}"/>'
            )
        parts.append(
            f'<text class="chart-axis" x="{left - 8}" y="{y + 15}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect class="{css}" x="{left}" y="{y + 3}" width="{bar_w:.1f}" height="{row_h - 8}" '
            f'rx="3"/><text class="chart-value" x="{left + bar_w + 6:.1f}" y="{y + 15}">'
            f"{escape(value_label(value))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
