"""Tell people what happened, in the app at once and by e-mail from the worker.

Every app calls `notification_send`; the e-mail goes out after commit through django-q2,
so a rolled-back change never mails anyone and a slow mail server never slows a request.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from .models import Notification, User


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
            transaction.on_commit(
                lambda: async_task("helpdesk.notifications.notification_email_send", ids)
            )
    return notifications


def notification_email_send(notification_ids: list[int]) -> int:
    """The worker's half: one e-mail per notification not yet mailed; safe to retry."""
    sent = 0
    pending = Notification.objects.select_related("user").filter(
        pk__in=notification_ids, emailed_at__isnull=True
    )
    for notification in pending:
        link = f"{settings.HELPDESK_SITE_URL}{notification.url}" if notification.url else ""
        body = notification.text + (f"\n\n{link}" if link else "")
        subject = notification.text.splitlines()[0][:120]
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [notification.user.email])
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notification_mark_read(*, user: User, notification_id: int, now: datetime) -> Notification:
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = now
        notification.save(update_fields=["read_at"])
    return notification
