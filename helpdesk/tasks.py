"""Thin django-q2 entry points of the project package."""

from django.utils import timezone

from .outbox import outbox_drain


def outbox_drain_task() -> dict[str, int | str]:
    """Every minute ("outbox-drain" schedule): hand over what the broker could not take."""
    result = outbox_drain(now=timezone.now())
    return {"dispatched": result.dispatched, "purged": result.purged, "error": result.error}
