"""Erasure: a customer's account anonymised and their personal content redacted, in one
transaction and a fixed number of statements, while the statistics stay whole.

What stays: the tickets themselves (kind, status, timestamps, queue, assignee, rating,
moderation and report outcomes and reason codes), their SLA clocks and events, reply-quality
flags, decisions and the reporter's counts, and an `Erasure` record with counts only. What
goes: names, e-mail address, time zone, password, API token, notifications, and everything
the person wrote or that quotes them (see tickets.redaction).
"""

import secrets
from datetime import datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, JSONField, Q, Value
from django.db.models.functions import Concat
from rest_framework.authtoken.models import Token

from helpdesk.models import Notification, User
from sla import services as sla

from .email.models import EmailRecord
from .models import Erasure, Message, ReportContest, ReporterStanding, ReportSanction, Ticket
from .redaction import REDACTED, insert_from_select, kept_unless_empty, tickets_redact
from .services import TicketError

CLOSED_NOTE = "the requester's personal data was erased at their request."


class ErasureError(TicketError):
    """The account cannot be erased this way, or is erased already (HTTP 409)."""


def _username_for(user: User) -> str:
    """`deleted-<id>`, unless someone chose that name for themselves."""
    name = f"deleted-{user.pk}"
    if User.objects.filter(username=name).exclude(pk=user.pk).exists():
        name = f"{name}-{secrets.token_hex(4)}"
    return name


def _tickets_close(tickets, *, now: datetime) -> int:
    """Every ticket of the set that is not closed yet gets closed, with a note in its
    history; every clock of the set stops (a late one counts as breached)."""
    sla.clocks_stop_all(ticket_ids=tickets.values("pk"), now=now)
    still_open = tickets.exclude(status=Ticket.Status.CLOSED)
    insert_from_select(
        Message,
        ["ticket", "body", "public", "kind", "channel", "created_at", "generic", "generic_reasons"],
        still_open.values_list(
            "pk",
            Concat(Value("Status changed from "), F("status"), Value(f" to closed: {CLOSED_NOTE}")),
            Value(False),
            Value(Message.Kind.EVENT),
            Value(Message.Channel.WEB),
            Value(now),
            Value(False),
            Value([], output_field=JSONField()),
        ),
    )
    return still_open.update(status=Ticket.Status.CLOSED, updated_at=now)


def _account_anonymise(user: User) -> dict[str, int]:
    old_username = user.username
    counts = {
        "notifications": Notification.objects.filter(user=user).delete()[0],
        "tokens": Token.objects.filter(user=user).delete()[0],
    }
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=old_username).delete()
    LogEntry.objects.filter(
        content_type__app_label=User._meta.app_label,
        content_type__model=User._meta.model_name,
        object_id=str(user.pk),
    ).update(object_repr=f"user {user.pk}")
    user.username = _username_for(user)
    user.email = user.first_name = user.last_name = user.time_zone = ""
    user.password = make_password(None)
    user.is_active = user.is_staff = user.is_superuser = False
    user.last_login = None
    user.save(
        update_fields=[
            *("username", "email", "first_name", "last_name", "time_zone", "password"),
            *("is_active", "is_staff", "is_superuser", "last_login"),
        ]
    )
    return counts


@transaction.atomic
def user_erase(
    *,
    user: User,
    now: datetime,
    by: User | None = None,
    via: str = Erasure.Via.WEB,
    allow_staff: bool = False,
) -> Erasure:
    """Anonymise the account and redact everything its holder wrote; close their open
    tickets and stop their clocks. Agents and managers are erased only from the admin
    (`allow_staff`): their replies belong to the customers' tickets."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if Erasure.objects.filter(user=user).exists():
        raise ErasureError("This account has been erased already.")
    if user.is_agent and not allow_staff:
        raise PermissionError(
            "Agents and managers cannot erase their own account here: a manager does it "
            "in the admin (Erasures → Add)."
        )
    tickets = Ticket.objects.filter(requester=user)
    closed = _tickets_close(tickets, now=now)
    # Content still waiting for moderation is withdrawn: it leaves the queue undecided.
    withdrawn = tickets.filter(moderation=Ticket.Moderation.PENDING).update(moderation=None)
    addresses = {user.email, user.email.lower()} - {""}
    emails = EmailRecord.objects.filter(
        Q(ticket__requester=user)
        | Q(
            ticket__isnull=True,
            direction=EmailRecord.Direction.INBOUND,
            from_address__in=addresses,
        )
    )
    # Every clock is stopped: no ticket of theirs is due any more.
    counts = tickets_redact(tickets=tickets, emails=emails, now=now, sla_due_at=None)
    counts["tickets_closed"] = closed
    counts["content_withdrawn"] = withdrawn
    counts["report_contests"] = ReportContest.objects.filter(by=user).update(
        explanation=REDACTED, reply=kept_unless_empty("reply")
    )
    counts["sanctions"] = ReportSanction.objects.filter(user=user).update(reason=REDACTED)
    ReporterStanding.objects.filter(user=user).exclude(suspension_reason="").update(
        suspension_reason=REDACTED
    )
    counts.update(_account_anonymise(user))
    return Erasure.objects.create(
        user=user,
        requested_by=by or user,
        via=via,
        created_at=now,
        counts=counts,
    )
