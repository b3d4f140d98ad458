"""Outbound e-mail: agents' public replies on e-mail tickets go back to the customer.

The reply is recorded (with its Message-ID and threading headers) in the same transaction as
the message, and sent by the django-q2 worker after commit. A failed send raises, so the
broker delivers the task again (Q_CLUSTER retry / max_attempts, ORM broker) and the worker's
"email-retry" schedule sends again whatever is still pending (any broker); each attempt is
counted on the record, which ends `sent` or `failed`.
"""

import secrets
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, linebreaks

from helpdesk.outbox import outbox_enqueue

from ..models import Message, Ticket
from .models import EmailRecord

REFERENCES_MAX = 20  # RFC 5322 lets a client trim the list; keep the first and the newest


def helpdesk_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "helpdesk.localhost"


def reply_to_address() -> str:
    if settings.HELPDESK_EMAIL_ADDRESSES:
        return settings.HELPDESK_EMAIL_ADDRESSES[0]
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def reply_subject(ticket: Ticket) -> str:
    reference = f"[#{ticket.pk}]"
    subject = ticket.subject.replace(reference, "").strip()
    return f"Re: {reference} {subject}".strip()


def _thread(earlier: list[tuple[str, str]]) -> tuple[str, str]:
    """In-Reply-To (the customer's last message) and References (the ticket's mail so far,
    oldest first, trimmed to the first and the newest) from (direction, Message-ID) pairs."""
    last_inbound = [mid for direction, mid in earlier if direction == EmailRecord.Direction.INBOUND]
    chain = [f"<{mid}>" for _, mid in earlier]
    if len(chain) > REFERENCES_MAX:
        chain = [chain[0], *chain[-(REFERENCES_MAX - 1) :]]
    return (f"<{last_inbound[-1]}>" if last_inbound else ""), " ".join(chain)


def notification_thread_headers(ticket_id: int) -> dict[str, str]:
    """In-Reply-To and References for a notification about a ticket that came by e-mail, so
    the customer's mail client files it in the conversation (settings.
    HELPDESK_NOTIFICATION_HEADERS names this function for helpdesk.notifications)."""
    earlier = list(
        EmailRecord.objects.filter(ticket_id=ticket_id)
        .exclude(status__in=[EmailRecord.Status.IGNORED, EmailRecord.Status.HELD])
        .order_by("created_at", "id")
        .values_list("direction", "rfc_message_id")
    )
    in_reply_to, references = _thread(earlier)
    headers = {}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = references
    return headers


def email_reply_queue(*, message: Message) -> EmailRecord | None:
    """Record an agent's public reply as outbound mail and send it after commit.

    Threading: In-Reply-To is the customer's last message on the ticket; References is the
    ticket's mail so far (theirs and ours), oldest first, so every client files the reply
    in the conversation and the customer's answer threads back.
    """
    ticket = message.ticket
    to = ticket.requester.email
    earlier = list(
        EmailRecord.objects.filter(ticket=ticket)
        .exclude(status__in=[EmailRecord.Status.IGNORED, EmailRecord.Status.HELD])
        .order_by("created_at", "id")
        .values_list("direction", "rfc_message_id")
    )
    in_reply_to, references = _thread(earlier)
    record = EmailRecord.objects.create(
        direction=EmailRecord.Direction.OUTBOUND,
        status=EmailRecord.Status.QUEUED if to else EmailRecord.Status.FAILED,
        reason="" if to else "the requester has no e-mail address",
        rfc_message_id=f"t{ticket.pk}.m{message.pk}.{secrets.token_hex(6)}@{helpdesk_domain()}",
        in_reply_to=in_reply_to,
        references=references,
        from_address=parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        to_addresses=to,
        subject=reply_subject(ticket),
        created_at=message.created_at,
        ticket=ticket,
        message=message,
    )
    if to:
        outbox_enqueue(
            func="tickets.email.tasks.email_reply_send", args=[message.pk], now=message.created_at
        )
    return record


def _render(record: EmailRecord, message: Message) -> EmailMultiAlternatives:
    author = message.author.display_name if message.author else "Support"
    site = settings.HELPDESK_SITE_URL.rstrip("/")
    link = site + reverse("ticket_detail", args=[record.ticket_id])
    text = f"{message.body}\n\n-- \n{author}\nTicket #{record.ticket_id}: {link}\n"
    html = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"{linebreaks(escape(message.body))}"
        f'<p style="color:#666">— {escape(author)}<br>'
        f'<a href="{escape(link)}">Ticket #{record.ticket_id}</a></p></body></html>'
    )
    headers = {"Message-ID": f"<{record.rfc_message_id}>"}
    if record.in_reply_to:
        headers["In-Reply-To"] = record.in_reply_to
    if record.references:
        headers["References"] = record.references
    mail = EmailMultiAlternatives(
        subject=record.subject,
        body=text,
        from_email=formataddr((author, parseaddr(settings.DEFAULT_FROM_EMAIL)[1])),
        to=[record.to_addresses],
        reply_to=[reply_to_address()],
        headers=headers,
    )
    mail.attach_alternative(html, "text/html")
    return mail


def email_reply_send(*, message_id: int) -> str:
    """Send the outbound mail of one reply; raise when the server refuses, so the task is
    retried. Safe to run twice, even at the same time (the outbox's drain and the retry
    schedule after a broker outage): the record stays locked while its mail goes out, a
    second run skips a locked record, and a sent reply is not sent again."""
    outbound = EmailRecord.objects.filter(
        direction=EmailRecord.Direction.OUTBOUND, message_id=message_id
    )
    failure: Exception | None = None
    with transaction.atomic():
        record = (
            outbound.select_for_update(skip_locked=True, of=("self",))
            .select_related("message__author")
            .first()
        )
        if record is None:
            return "being sent by another run" if outbound.exists() else "nothing to send"
        if record.message is None:
            return "nothing to send"
        if record.status in (EmailRecord.Status.SENT, EmailRecord.Status.FAILED):
            return f"already {record.status}"
        record.attempts += 1
        try:
            _render(record, record.message).send(fail_silently=False)
        except Exception as exc:
            final = record.attempts >= max(1, settings.Q_CLUSTER.get("max_attempts", 1))
            record.status = EmailRecord.Status.FAILED if final else EmailRecord.Status.RETRYING
            record.reason = f"attempt {record.attempts}: {type(exc).__name__}: {exc}"[:2000]
            failure = exc
        else:
            record.status = EmailRecord.Status.SENT
            record.reason = ""
            record.sent_at = timezone.now()
        record.save(update_fields=["attempts", "status", "reason", "sent_at"])
    if failure is not None:
        raise failure
    return f"sent to {record.to_addresses}"


RETRY_AFTER = timedelta(minutes=2)
RETRY_BATCH = 100


def email_retry_pending(*, now: datetime) -> dict[str, int]:
    """Send again what is still queued or failed-will-retry a while after it was queued.

    The broker-independent half of retries: django-q2 re-delivers a failed task only with
    its ORM broker, and a task enqueued while the broker was down is lost; the record in
    the database is not. Runs every two minutes in the worker (schedule "email-retry").
    """
    pending = list(
        EmailRecord.objects.filter(
            direction=EmailRecord.Direction.OUTBOUND,
            status__in=[EmailRecord.Status.QUEUED, EmailRecord.Status.RETRYING],
            created_at__lte=now - RETRY_AFTER,
            message__isnull=False,
        )
        .order_by("created_at")
        .values_list("message_id", flat=True)[:RETRY_BATCH]
    )
    sent = failed = 0
    for message_id in pending:
        try:
            email_reply_send(message_id=message_id)
            sent += 1
        except Exception:  # recorded on the EmailRecord by email_reply_send
            failed += 1
    return {"sent": sent, "failed": failed}
