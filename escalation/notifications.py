"""Escalation notices: in the app always, by e-mail as each person prefers.

Agents get each e-mail at once unless they say otherwise; managers get an hourly digest
(one e-mail listing what happened) instead of one e-mail per event.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q

from helpdesk.models import Notification, User
from helpdesk.notifications import notification_send

from .models import NotificationPreference

KIND_PREFIX = "escalation_"
DIGEST_WINDOW = timedelta(days=1)
Email = NotificationPreference.Email


def default_email_mode(user: User) -> str:
    return Email.DIGEST if user.is_manager else Email.IMMEDIATE


def _preferences(users: Iterable[User]) -> dict[int, NotificationPreference]:
    ids = [user.pk for user in users]
    return {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=ids)}


def wants_email_now(user: User, trigger: str, preference: NotificationPreference | None) -> bool:
    mode = preference.email if preference else default_email_mode(user)
    triggers = preference.email_triggers if preference else []
    return mode == Email.IMMEDIATE and (not triggers or trigger in triggers)


def escalation_notify(
    *,
    recipients: Iterable[User],
    trigger: str,
    text: str,
    now: datetime,
    ticket_id: int | None = None,
    url: str = "",
) -> list[Notification]:
    users = {user.pk: user for user in recipients if user is not None and user.is_active}
    preferences = _preferences(users.values())
    now_by_mail, later = [], []
    for user in users.values():
        wants = wants_email_now(user, trigger, preferences.get(user.pk))
        (now_by_mail if wants else later).append(user)
    kind = f"{KIND_PREFIX}{trigger}"
    common = {"kind": kind, "text": text, "now": now, "ticket_id": ticket_id, "url": url}
    return [
        *notification_send(recipients=now_by_mail, email=True, **common),
        *notification_send(recipients=later, email=False, **common),
    ]


def preference_for(user: User) -> tuple[str, list[str]]:
    preference = NotificationPreference.objects.filter(user=user).first()
    if preference is None:
        return default_email_mode(user), []
    return preference.email, list(preference.email_triggers)


def preference_set(*, user: User, email: str, email_triggers: list[str]) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "email_triggers": sorted(set(email_triggers))}
    )
    return preference


def _digest_users_q() -> Q:
    manager = Q(user__role=User.Role.MANAGER) | Q(user__is_superuser=True)
    return Q(user__escalation_preference__email=Email.DIGEST) | (
        Q(user__escalation_preference__isnull=True) & manager
    )


@transaction.atomic
def digest_send(*, now: datetime) -> int:
    """One e-mail per person who takes the digest, listing their escalation notices not yet
    mailed (of the last day); each notice is marked mailed in the same transaction, so a
    failed send leaves them for the next run and a second run finds nothing."""
    pending = (
        Notification.objects.select_related("user", "user__escalation_preference")
        .select_for_update(of=("self",))
        .filter(
            _digest_users_q(),
            kind__startswith=KIND_PREFIX,
            emailed_at__isnull=True,
            created_at__gte=now - DIGEST_WINDOW,
            created_at__lte=now,
        )
        .order_by("user_id", "created_at", "id")
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notification in pending:
        preference = getattr(notification.user, "escalation_preference", None)
        triggers = preference.email_triggers if preference else []
        trigger = notification.kind.removeprefix(KIND_PREFIX)
        if notification.user.email and (not triggers or trigger in triggers):
            by_user[notification.user_id].append(notification)
    sent = 0
    for notices in by_user.values():
        user = notices[0].user
        lines = [f"- {n.created_at:%H:%M} UTC  {n.text.splitlines()[0]}" for n in notices]
        body = "\n".join(
            [
                f"{len(notices)} escalation notice(s) since the last digest:",
                "",
                *lines,
                "",
                f"Dashboard: {settings.HELPDESK_SITE_URL}/manager/dashboard/",
            ]
        )
        subject = f"Helpdesk digest: {len(notices)} escalation notice(s)"
        Notification.objects.filter(pk__in=[n.pk for n in notices]).update(emailed_at=now)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        sent += 1
    return sent
