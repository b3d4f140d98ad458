"""Thin django-q2 entry points."""

from django.utils import timezone

from .sweep import sweep


def sla_sweep_task() -> dict[str, int]:
    result = sweep(now=timezone.now())
    return {"warnings": result.warnings, "breaches": result.breaches}
