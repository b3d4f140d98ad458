"""Removing the personal content of a set of tickets, set-based, for erasure and retention.

Every step is one UPDATE (or one SELECT of file names) over all the tickets at once, so the
number of statements does not depend on how many tickets there are. What people wrote
becomes `REDACTED`; what the statistics count stays: kinds, statuses, timestamps, SLA clocks
and events, ratings, generic flags, moderation and report outcomes and reason codes.
"""

from collections.abc import Iterable
from datetime import datetime

from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    Func,
    JSONField,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat

from helpdesk.models import Notification
from sla.models import Event, ReplyFingerprint

from .email.models import EmailAttachment, EmailRecord
from .models import Message, ModerationContest, ModerationDecision, Report, Ticket

REDACTED = "[personal data removed]"
NOTICE_REDACTED = "This notice was about a ticket whose personal data has been removed."


class _WithoutKey(Func):
    """A JSON object without one of its keys (PostgreSQL `-`, SQLite json_remove)."""

    output_field = JSONField()

    def __init__(self, expression, key: str):
        self.key = key
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"({sql} - %s)", [*params, self.key]
        return f"json_remove({sql}, %s)", [*params, f"$.{self.key}"]


def kept_unless_empty(field: str) -> Case:
    """The marker where someone wrote something, the empty string where nobody did."""
    return Case(When(**{field: ""}, then=Value("")), default=Value(REDACTED))


def emails_redact(emails: QuerySet[EmailRecord]) -> tuple[int, int, list[str]]:
    """Headers, addresses, raw bytes and attachments of these e-mail records; mail still
    waiting to go out is not sent any more. Returns (records, attachments, files to delete)."""
    attachments = EmailAttachment.objects.filter(email__in=emails.values("pk"))
    files = list(attachments.exclude(file="").values_list("file", flat=True))
    attachment_count = attachments.update(filename=REDACTED, file="")
    emails.filter(
        direction=EmailRecord.Direction.OUTBOUND,
        status__in=[EmailRecord.Status.QUEUED, EmailRecord.Status.RETRYING],
    ).update(status=EmailRecord.Status.FAILED, reason="Not sent: the personal data was removed.")
    count = emails.update(
        # Unique: the record's own id keeps it so.
        rfc_message_id=Concat(
            Value("removed-"),
            Cast(F("pk"), CharField()),
            Value("@invalid"),
            output_field=CharField(),
        ),
        in_reply_to="",
        references="",
        from_address="",
        to_addresses="",
        subject=REDACTED,
        raw=None,
    )
    return count, attachment_count, files


def tickets_redact(
    *,
    tickets: QuerySet[Ticket],
    emails: QuerySet[EmailRecord] | None = None,
    now: datetime,
    **ticket_fields,
) -> dict[str, int]:
    """Redact what people wrote on these tickets and mark them purged at `now`; `tickets`
    must not depend on fields this changes (subject, body, purged_at). Agents' replies and
    notes are redacted too: they quote the customer. Returns counts; the attachment files
    are deleted last, so a rolled-back transaction leaves rows to purge again, never a file
    on disk that no row names. `ticket_fields` are set on the tickets in the same UPDATE."""
    ids = tickets.values("pk")
    messages = Message.objects.filter(ticket__in=ids, kind=Message.Kind.REPLY)
    counts = {
        "messages": messages.update(
            body=REDACTED,
            generic_reasons=Case(
                When(generic=True, then=Value([REDACTED], output_field=JSONField())),
                default=Value([], output_field=JSONField()),
            ),
        )
    }
    ReplyFingerprint.objects.filter(ticket__in=ids).update(question_excerpt="")
    Event.objects.filter(ticket__in=ids, kind=Event.Kind.GENERIC_REPLY).update(
        detail=_WithoutKey(F("detail"), "reasons")
    )
    Notification.objects.filter(ticket__in=ids).update(text=NOTICE_REDACTED)
    ModerationDecision.objects.filter(ticket__in=ids).update(
        explanation=kept_unless_empty("explanation")
    )
    ModerationContest.objects.filter(ticket__in=ids).update(
        statement=REDACTED, review_explanation=kept_unless_empty("review_explanation")
    )
    Report.objects.filter(ticket__in=ids).update(evidence_links=[])
    if emails is None:
        emails = EmailRecord.objects.filter(ticket__in=ids)
    counts["emails"], counts["attachments"], files = emails_redact(emails)
    counts["tickets"] = tickets.update(
        subject=REDACTED, body=REDACTED, purged_at=now, **ticket_fields
    )
    files_delete(files)
    return counts


def files_delete(names: Iterable[str]) -> None:
    """Delete stored files; one already gone is not an error (a purge run again)."""
    for name in names:
        default_storage.delete(name)


def insert_from_select(model, columns: list[str], rows: QuerySet) -> int:
    """INSERT INTO model (columns) SELECT ...: `rows` is a values_list() of one expression
    per column, in the same order. One statement, nothing loaded into Python."""
    select, params = rows.order_by().query.sql_with_params()
    quoted = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {model._meta.db_table} ({quoted}) {select}", params)
        return cursor.rowcount
