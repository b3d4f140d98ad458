"""Pure wording of clocks for people: "answer due in 3 h 12 min", "breached 2 h ago"."""

from dataclasses import dataclass
from datetime import datetime, timedelta

METRIC_LABELS = {
    "first_response": "First response",
    "answer": "Answer",
    "next_response": "Next response",
    "resolution": "Resolution",
    "moderation": "Moderation decision",
    "report_decision": "Report decision",
}


@dataclass(frozen=True)
class ClockView:
    metric: str
    label: str
    tone: str  # ok | warn | breached | paused | met | missed
    text: str  # "due in 3 h 12 min", "breached 2 h ago", "met", "paused"
    at: datetime | None  # the instant the text refers to, for a tooltip in the viewer's zone


def humanize_duration(delta: timedelta) -> str:
    """Compact and exact enough to act on: "45 min", "3 h 12 min", "2 d 4 h"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min" if mins else "less than a minute"


def clock_view(
    *,
    metric: str,
    state: str,
    breached: bool,
    due_at: datetime,
    warn_at: datetime,
    stopped_at: datetime | None,
    breached_at: datetime | None,
    now: datetime,
) -> ClockView:
    label = METRIC_LABELS.get(metric, metric.replace("_", " ").capitalize())
    if state == "stopped":
        if breached:
            late = humanize_duration((stopped_at or now) - due_at)
            return ClockView(metric, label, "missed", f"missed by {late}", stopped_at)
        return ClockView(metric, label, "met", "met", stopped_at)
    if state == "paused":
        return ClockView(metric, label, "paused", "paused while waiting for the customer", None)
    if breached or now >= due_at:
        return ClockView(
            metric, label, "breached", f"breached {humanize_duration(now - due_at)} ago", due_at
        )
    tone = "warn" if now >= warn_at else "ok"
    return ClockView(metric, label, tone, f"due in {humanize_duration(due_at - now)}", due_at)


@dataclass(frozen=True)
class CustomerPromise:
    """What the customer is promised, from the clock they are waiting on."""

    text: str  # "We aim to answer by", "We promised an answer by"
    at: datetime
    late: bool


PROMISE_VERBS = {
    "answer": ("answer", "an answer"),
    "next_response": ("reply", "a reply"),
    "first_response": ("reply", "a reply"),
    "moderation": ("decide", "a decision"),
    "report_decision": ("decide", "a decision"),
    "resolution": ("solve this", "a solution"),
}
# The clock a customer waits on, most telling first.
PROMISE_ORDER = (
    "moderation",
    "report_decision",
    "next_response",
    "answer",
    "first_response",
    "resolution",
)


def customer_promise(
    clocks: list[tuple[str, str, datetime]], now: datetime
) -> CustomerPromise | None:
    """`clocks` as (metric, state, due_at) of the latest cycles; None when nobody owes the
    customer anything (every clock paused or stopped)."""
    running = {metric: due for metric, state, due in clocks if state == "running"}
    for metric in PROMISE_ORDER:
        if metric in running:
            due = running[metric]
            verb, noun = PROMISE_VERBS[metric]
            if now < due:
                return CustomerPromise(f"We aim to {verb} by", due, late=False)
            return CustomerPromise(f"We promised {noun} by", due, late=True)
    return None
