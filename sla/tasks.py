"""Thin django-q2 entry points."""

from django.conf import settings
from django.utils import timezone

from helpdesk.outbox import outbox_enqueue

from .sweep import sweep


def sla_sweep_task() -> dict[str, int]:
    """The per-minute cycle: sweep, then hand the new events to whoever acts on them.

    `SLA_EVENTS_TASK` names that task by its dotted path (the escalation app's), so `sla`
    stays unaware of the code that reads its events; the sweep has committed by then.
    """
    now = timezone.now()
    result = sweep(now=now)
    events_task = getattr(settings, "SLA_EVENTS_TASK", "")
    if events_task:
        outbox_enqueue(func=events_task, now=now)
    return {"warnings": result.warnings, "breaches": result.breaches}
