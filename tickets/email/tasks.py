"""django-q2 entry points (thin: the work is in outbound.py)."""

from django.utils import timezone

from .outbound import email_reply_send as _send
from .outbound import email_retry_pending as _retry


def email_reply_send(message_id: int) -> str:
    return _send(message_id=message_id)


def email_retry_pending() -> dict[str, int]:
    return _retry(now=timezone.now())
