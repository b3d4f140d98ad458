"""django-q2 entry points (thin: the work is in outbound.py)."""

from .outbound import email_reply_send as _send


def email_reply_send(message_id: int) -> str:
    return _send(message_id=message_id)
