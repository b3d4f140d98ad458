"""Inbound e-mail: decide what one raw message becomes, and make it so.

Every way mail comes in (Maildir, mbox, .eml, IMAP, the HTTP endpoint) ends in
`email_ingest`. The decision, in order: unreadable mail is kept with its error; a
Message-ID seen before changes nothing; machines (auto-replies, bounces, bulk mail), our own
address and staff accounts are ignored; a reply threads into its ticket by
In-Reply-To/References, or by "[#123]" in the subject when the sender is that ticket's
requester; otherwise a new ticket opens, unless the sender is over the rate limit (held).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from helpdesk.models import User

from ..models import BODY_MAX, SUBJECT_MAX, Message, Ticket
from ..services import TicketError, ticket_create, ticket_reply_add
from .models import EmailAttachment, EmailRecord
from .parse import (
    Attachment,
    ParsedEmail,
    UnparseableEmail,
    clean_subject,
    parse_email,
    raw_message_id,
    storable,
)

Status = EmailRecord.Status
TRUNCATED = "\n\n[… the message was longer; the full text is attached as message.txt]"


@dataclass(frozen=True)
class IngestResult:
    action: str  # created | threaded | ignored | held | duplicate | error
    reason: str = ""
    ticket_id: int | None = None
    message_id: int | None = None  # tickets.Message, for a reply threaded into a ticket
    email_id: int | None = None  # the EmailRecord

    def describe(self) -> str:
        if self.action == "created":
            text = f"created ticket #{self.ticket_id}"
        elif self.action == "threaded":
            text = f"threaded into #{self.ticket_id}"
        elif self.action == "duplicate":
            text = "duplicate"
        elif self.action == "error":
            text = f"error kept as #{self.email_id}"
        else:
            text = self.action
        return f"{text}: {self.reason}" if self.reason else text


def helpdesk_addresses() -> frozenset[str]:
    """Our own addresses: mail from them is a loop, never a customer."""
    own = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1], *settings.HELPDESK_EMAIL_ADDRESSES}
    return frozenset(parseaddr(a)[1].lower() for a in own if a)


def _parse(raw: bytes) -> ParsedEmail:
    return parse_email(
        raw,
        max_attachment_bytes=settings.EMAIL_ATTACHMENT_MAX_BYTES,
        allowed_types=frozenset(t.lower() for t in settings.EMAIL_ATTACHMENT_ALLOWED_TYPES),
    )


def email_ingest(*, raw: bytes, now: datetime, rate_limit: bool = True) -> IngestResult:
    """Turn one raw RFC 822 message into a ticket, a reply, or a recorded reason not to.

    Idempotent: the Message-ID is unique, so the same message a second time (a re-run, two
    mailboxes, a retried HTTP delivery) is reported as a duplicate and changes nothing.
    Lossless: mail that cannot be read is stored with its raw bytes and the error.
    """
    raw = bytes(raw)
    try:
        parsed = _parse(raw)
    except UnparseableEmail as exc:
        return _keep_error(raw=raw, error=str(exc), now=now)
    except Exception as exc:  # the stdlib parser's corners must not lose mail
        return _keep_error(raw=raw, error=f"{type(exc).__name__}: {exc}", now=now)

    with transaction.atomic():
        record = _claim(parsed, now)
        if record is None:
            return IngestResult("duplicate", f"Message-ID <{parsed.message_id}> seen before")
        return _decide(record, parsed, raw=raw, now=now, rate_limit=rate_limit)


def _keep_error(*, raw: bytes, error: str, now: datetime) -> IngestResult:
    try:
        with transaction.atomic():
            record = EmailRecord.objects.create(
                direction=EmailRecord.Direction.INBOUND,
                status=Status.ERROR,
                rfc_message_id=raw_message_id(raw),
                created_at=now,
                reason=storable(error)[:2000],
                raw=raw,
            )
    except IntegrityError:
        return IngestResult("duplicate", "the same unreadable message was kept before")
    return IngestResult("error", record.reason, email_id=record.pk)


def _claim(parsed: ParsedEmail, now: datetime) -> EmailRecord | None:
    """Insert the record; None when its Message-ID exists (the unique index decides, so two
    workers ingesting the same message at once cannot both win)."""
    try:
        with transaction.atomic():
            return EmailRecord.objects.create(
                direction=EmailRecord.Direction.INBOUND,
                status=Status.IGNORED,
                rfc_message_id=parsed.message_id,
                in_reply_to=" ".join(f"<{i}>" for i in parsed.in_reply_to)[:998],
                references=" ".join(f"<{i}>" for i in parsed.references),
                from_address=parsed.sender[:320],
                to_addresses=", ".join(parsed.to),
                subject=parsed.subject[:998],
                sent_date=parsed.date,
                created_at=now,
            )
    except IntegrityError:
        return None


def _finish(record: EmailRecord, status: str, reason: str = "", **fields) -> None:
    record.status = status
    record.reason = reason
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(update_fields=["status", "reason", *fields])


def _decide(
    record: EmailRecord, parsed: ParsedEmail, *, raw: bytes, now: datetime, rate_limit: bool
) -> IngestResult:
    ignore = _ignore_reason(parsed)
    if ignore:
        _finish(record, Status.IGNORED, ignore)
        return IngestResult("ignored", ignore, email_id=record.pk)
    customer, reason = _customer(parsed)
    if customer is None:
        _finish(record, Status.IGNORED, reason, raw=raw)
        return IngestResult("ignored", reason, email_id=record.pk)

    ticket, note = _thread(parsed, customer)
    if ticket is not None:
        body = _body(parsed.reply or parsed.text, record)
        try:
            message = ticket_reply_add(
                ticket=ticket,
                author=customer,
                body=body,
                public=True,
                now=now,
                channel=Message.Channel.EMAIL,
            )
        except TicketError:
            note = f"ticket #{ticket.pk} is closed: opened a new one"
        else:
            _finish(record, Status.THREADED, note, ticket=ticket, message=message)
            _attach(record, parsed.attachments)
            return IngestResult(
                "threaded", note, ticket_id=ticket.pk, message_id=message.pk, email_id=record.pk
            )

    if rate_limit and _over_rate_limit(customer, parsed.sender, now):
        reason = (
            f"rate limit: {settings.EMAIL_RATE_LIMIT_COUNT} new tickets from {parsed.sender} "
            f"in {settings.EMAIL_RATE_LIMIT_WINDOW_SECONDS} s; held for an agent"
        )
        _finish(record, Status.HELD, reason, raw=raw)
        return IngestResult("held", reason, email_id=record.pk)

    ticket = ticket_create(
        requester=customer,
        subject=(clean_subject(parsed.subject) or "(no subject)")[:SUBJECT_MAX],
        # A reply to mail we do not know keeps its quote: it is the only context there is.
        body=_body(parsed.text if parsed.threading_ids else parsed.reply or parsed.text, record),
        now=now,
        channel=Message.Channel.EMAIL,
    )
    _finish(record, Status.CREATED, note, ticket=ticket)
    _attach(record, parsed.attachments)
    return IngestResult("created", note, ticket_id=ticket.pk, email_id=record.pk)


def _ignore_reason(parsed: ParsedEmail) -> str:
    if parsed.sender in helpdesk_addresses():
        return f"from the helpdesk's own address ({parsed.sender})"
    return parsed.automated


def _customer(parsed: ParsedEmail) -> tuple[User | None, str]:
    """The customer account with the sender's address, created (with no usable password, to
    be claimed later) when there is none; else None and why. An address that belongs to
    staff is refused: a forged From must not let mail speak as an agent."""
    accounts = list(User.objects.filter(email__iexact=parsed.sender).order_by("pk"))
    if any(user.is_agent for user in accounts):
        return None, "from a staff account: agents answer in the helpdesk, not by e-mail"
    for user in accounts:
        if user.is_active:
            return user, ""
    if accounts:
        return None, "from a deactivated account"
    return _customer_create(parsed.sender, parsed.sender_name), ""


def _customer_create(address: str, name: str) -> User:
    base = address[:150]
    try:
        UnicodeUsernameValidator()(base)
    except ValidationError:
        base = "".join(c if c.isalnum() or c in "@.+-_" else "_" for c in base)
    for n in range(1, 100):
        username = base if n == 1 else f"{base[: 150 - len(str(n)) - 1]}-{n}"
        user = User(
            username=username,
            email=address,
            first_name=name[:150],
            role=User.Role.CUSTOMER,
        )
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            continue
        return user
    raise RuntimeError(f"no free username for {address}")


def _thread(parsed: ParsedEmail, customer: User) -> tuple[Ticket | None, str]:
    """The ticket this message answers, and a note when it does not thread where it points.

    Only the ticket's requester can add to it by e-mail: anyone else (a colleague in Cc, a
    stranger who guessed "[#123]") opens a new ticket rather than writing into another's.
    """
    ids = parsed.threading_ids
    ticket: Ticket | None = None
    how = ""
    if ids:
        known = dict(
            EmailRecord.objects.filter(rfc_message_id__in=ids, ticket__isnull=False).values_list(
                "rfc_message_id", "ticket_id"
            )
        )
        for value in ids:
            if value in known:
                ticket = Ticket.objects.select_related("requester", "queue").get(pk=known[value])
                how = "In-Reply-To" if value in parsed.in_reply_to else "References"
                break
    if ticket is None and parsed.ticket_reference is not None:
        ticket = (
            Ticket.objects.select_related("requester", "queue")
            .filter(pk=parsed.ticket_reference)
            .first()
        )
        how = "subject"
    if ticket is None:
        return None, ""
    if ticket.requester_id != customer.pk:
        return None, f"refers to #{ticket.pk} ({how}) but is not from its requester"
    return ticket, ""


def _over_rate_limit(customer: User, sender: str, now: datetime) -> bool:
    # Lock the sender's account row so concurrent intakes of one sender count one at a time.
    User.objects.select_for_update().filter(pk=customer.pk).first()
    since = now - timedelta(seconds=settings.EMAIL_RATE_LIMIT_WINDOW_SECONDS)
    opened = EmailRecord.objects.filter(
        direction=EmailRecord.Direction.INBOUND,
        status=Status.CREATED,
        from_address=sender,
        created_at__gt=since,
    ).count()
    return opened >= settings.EMAIL_RATE_LIMIT_COUNT


def _body(text: str, record: EmailRecord) -> str:
    """The text for a ticket or message: bounded, never empty; an over-long text is cut and
    kept whole as an attachment."""
    text = text.strip() or "(no text)"
    if len(text) <= BODY_MAX:
        return text
    EmailAttachment.objects.create(
        email=record,
        filename="message.txt",
        content_type="text/plain",
        size=len(text.encode()),
        file=ContentFile(text.encode(), name="message.txt"),
    )
    return text[: BODY_MAX - len(TRUNCATED)] + TRUNCATED


def _attach(record: EmailRecord, attachments: tuple[Attachment, ...]) -> None:
    for item in attachments:
        EmailAttachment.objects.create(
            email=record,
            filename=item.filename[:255],
            content_type=item.content_type[:255],
            size=item.size,
            file=ContentFile(item.content, name=item.filename) if not item.refused else "",
            refused=item.refused[:200],
        )


@transaction.atomic
def email_release(*, record: EmailRecord, now: datetime) -> IngestResult:
    """Ingest a held (rate-limited) or unreadable message again, past the rate limit: an
    agent looked at it and let it through."""
    if record.status not in (Status.HELD, Status.ERROR) or record.raw is None:
        raise ValueError("Only held or unreadable messages with their raw bytes can be released.")
    raw = bytes(record.raw)
    record.delete()
    return email_ingest(raw=raw, now=now, rate_limit=False)
