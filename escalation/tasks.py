"""Thin django-q2 entry points: each takes the time once and calls one service."""

from django.utils import timezone

from .notifications import digest_send
from .report import dashboard_warm
from .services import events_process


def events_process_task() -> dict[str, int]:
    """After every sweep (sla.tasks) and on demand: escalate the SLA events not yet acted on."""
    result = events_process(now=timezone.now())
    return {"escalations": result.escalations, "acted": result.acted}


def digest_send_task() -> int:
    """Hourly: one e-mail per manager listing the escalation notices of the hour."""
    return digest_send(now=timezone.now())


def dashboard_warm_task() -> int:
    """Every minute: the dashboard's period figures, computed before a manager asks."""
    return dashboard_warm(now=timezone.now())
