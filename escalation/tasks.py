"""Thin django-q2 entry points: each takes the time once and calls one service."""

from django.utils import timezone

from helpdesk.outbox import outbox_enqueue

from .notifications import digest_send
from .report import dashboard_warm
from .services import events_process


def events_process_task() -> dict[str, int]:
    """After every sweep (sla.tasks) and on demand: escalate the SLA events not yet acted on.

    A run that stops at its bound with events left (a backlog: the worker or the broker was
    away) hands the rest to a fresh task at once, not to the next minute's sweep."""
    now = timezone.now()
    result = events_process(now=now)
    if result.more:
        outbox_enqueue(func="escalation.tasks.events_process_task", now=now)
    return {"escalations": result.escalations, "acted": result.acted}


def digest_send_task() -> int:
    """Hourly: one e-mail per manager listing the escalation notices of the hour."""
    return digest_send(now=timezone.now())


def dashboard_warm_task() -> int:
    """Every minute: the dashboard's period figures, computed before a manager asks."""
    return dashboard_warm(now=timezone.now())
