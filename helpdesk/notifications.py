"""Tell people what happened, in the app at once and by e-mail from the worker.

Every app calls `notification_send`; the e-mail goes out after commit through django-q2 (by
way of the outbox, so a broker outage delays it rather than losing it), so a rolled-back
change never mails anyone and a slow mail server never slows a request.
"""

from collections.abc import Iterable
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html, linebreaks
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe

from .models import Notification, User
from .outbox import outbox_enqueue


def notification_send(
    *,
    recipients: Iterable[User],
    kind: str,
    text: str,
    now: datetime,
    ticket_id: int | None = None,
    url: str = "",
    email: bool = True,
) -> list[Notification]:
    unique = {user.pk: user for user in recipients if user is not None and user.is_active}
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                user=user, kind=kind, text=text, ticket_id=ticket_id, url=url, created_at=now
            )
            for user in unique.values()
        ]
    )
    if email:
        ids = [n.pk for n in notifications if unique[n.user_id].email]
        if ids:
            outbox_enqueue(
                func="helpdesk.notifications.notification_email_send", args=[ids], now=now
            )
    return notifications


def _reply_to() -> str:
    addresses = getattr(settings, "HELPDESK_EMAIL_ADDRESSES", [])
    return addresses[0] if addresses else parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _thread_headers(ticket_id: int | None) -> dict[str, str]:
    """In-Reply-To and References from the app that knows the ticket's mail, named by its
    dotted path in settings.HELPDESK_NOTIFICATION_HEADERS (this package imports no app)."""
    path = getattr(settings, "HELPDESK_NOTIFICATION_HEADERS", "")
    if not ticket_id or not path:
        return {}
    return import_string(path)(ticket_id)


def notification_email(notification: Notification) -> EmailMultiAlternatives:
    """Plain text and HTML, a Message-ID under the helpdesk's domain, Reply-To the helpdesk,
    and "[#N]" in the subject so that an answer by e-mail threads into the ticket."""
    link = f"{settings.HELPDESK_SITE_URL}{notification.url}" if notification.url else ""
    text = notification.text + (f"\n\n{link}" if link else "")
    subject = notification.text.splitlines()[0][:120]
    if notification.ticket_id:
        subject = f"[#{notification.ticket_id}] {subject}"
    html = format_html(
        "<div>{}</div>{}",
        # Escaped by linebreaks itself (autoescape=True), then kept as markup.
        mark_safe(linebreaks(notification.text, autoescape=True)),
        format_html('<p><a href="{}">{}</a></p>', link, link) if link else "",
    )
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or None
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.user.email],
        reply_to=[_reply_to()],
        headers={
            "Message-ID": make_msgid("notification", domain=domain),
            **_thread_headers(notification.ticket_id),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def notification_email_send(notification_ids: list[int]) -> int:
    """The worker's half: one e-mail per notification not yet mailed. Safe to retry, and to
    run twice at the same time: a failure raises (django-q2 retries) once what went out is
    marked, and the notifications stay locked while their e-mails go out, so a second run
    skips them rather than sending them again."""
    sent = 0
    failure: Exception | None = None
    with transaction.atomic():
        pending = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk__in=notification_ids, emailed_at__isnull=True)
            .order_by("pk")
        )
        for notification in pending:
            try:
                notification_email(notification).send()
            except Exception as exc:
                failure = exc
                break
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
            sent += 1
    if failure is not None:
        raise failure
    return sent


def notification_mark_read(*, user: User, notification_id: int, now: datetime) -> Notification:
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = now
        notification.save(update_fields=["read_at"])
    return notification
