"""The export of everything the helpdesk holds about one person, as a stream of JSON.

A fixed number of queries whatever the number of tickets (one per kind of record), each read
through a cursor in chunks, ordered by ticket, and merged ticket by ticket as the JSON is
written, so memory holds one ticket's records at a time, not the person's whole history.

Other people appear only as the display name of the agent who wrote a reply or holds the
ticket; internal notes and events never appear.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import groupby

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q

from helpdesk.models import Notification, User
from sla.models import Clock

from .email.models import EmailAttachment, EmailRecord
from .models import (
    Message,
    ModerationContest,
    ModerationDecision,
    Report,
    ReportContest,
    ReportDecision,
    ReporterStanding,
    ReportSanction,
    Ticket,
)
from .report_limits import reporter_limit
from .reports import limit_rule

CHUNK = 2000
FORMAT_VERSION = 1
_PERSON = ("username", "first_name", "last_name")


def _dumps(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


class _ByKey:
    """Rows of a cursor ordered by a key, handed out key by key as the writer asks for
    them in the same order (a merge join, one row group in memory at a time)."""

    def __init__(self, rows: Iterable, key: Callable):
        self._groups = groupby(rows, key=key)
        self._next = next(self._groups, None)

    def take(self, wanted) -> list:
        while self._next is not None and self._next[0] < wanted:
            self._next = next(self._groups, None)
        if self._next is None or self._next[0] != wanted:
            return []
        rows = list(self._next[1])
        self._next = next(self._groups, None)
        return rows


def _name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


def account_data(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.effective_role,
        "time_zone": user.time_zone,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }


def _message(m: Message, user: User) -> dict:
    return {
        "id": m.pk,
        "from": "you" if m.author_id == user.pk else _name(m.author),
        "body": m.body,
        "channel": m.channel,
        "created_at": m.created_at,
    }


def _clock(c: Clock) -> dict:
    return {
        "metric": c.metric,
        "cycle": c.cycle,
        "state": c.state,
        "started_at": c.started_at,
        "promised_by": c.due_at,
        "stopped_at": c.stopped_at,
    }


def _decision(d: ModerationDecision) -> dict:
    return {
        "decision": d.decision,
        "reason": d.reason,
        "explanation": d.explanation,
        "decided_at": d.decided_at,
    }


def _report_decision(d: ReportDecision | None) -> dict | None:
    if d is None:
        return None
    return {"id": d.pk, "outcome": d.outcome, "statement": d.statement, "decided_at": d.decided_at}


def _report(r: Report) -> dict:
    return {
        "evidence_links": r.evidence_links,
        "good_faith": r.good_faith,
        "lane": r.lane,
        "created_at": r.created_at,
        "decided_at": r.decided_at,
        "decision": _report_decision(r.decision),
    }


def _ticket(t: Ticket, *, messages, clocks, decisions, reports, user: User) -> dict:
    report = reports[0] if reports else None
    return {
        "id": t.pk,
        "kind": t.kind,
        "subject": t.subject,
        "body": t.body,
        "status": t.status,
        "priority": t.priority,
        "queue": t.queue.name if t.queue_id else None,
        "channel": t.channel,
        "assigned_to": _name(t.assignee),
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "product": {"sku": t.product.sku, "name": t.product.name} if t.product_id else None,
        "rating": t.rating,
        "moderation": t.moderation,
        "outcome": t.outcome,
        "target_url": t.target_url or None,
        "reason": t.reason or None,
        "personal_data_removed_at": t.purged_at,
        "messages": [_message(m, user) for m in messages],
        "sla_promises": [_clock(c) for c in clocks],
        "moderation_decisions": [_decision(d) for d in decisions],
        "report": _report(report) if report is not None else None,
    }


def _tickets(user: User) -> Iterator[dict]:
    """The person's tickets, oldest first, each with its public conversation, its clocks,
    its moderation decisions and (for a report) the report and its decision."""
    mine = Q(ticket__requester=user)
    tickets = (
        Ticket.objects.filter(requester=user)
        .select_related("queue", "product", "assignee")
        .only(
            *("kind", "subject", "body", "status", "priority", "channel", "created_at"),
            *("updated_at", "rating", "moderation", "outcome", "target_url", "reason"),
            *("purged_at", "queue__name", "product__sku", "product__name"),
            *(f"assignee__{name}" for name in _PERSON),
        )
        .order_by("pk")
    )
    messages = _ByKey(
        Message.objects.filter(mine, public=True, kind=Message.Kind.REPLY)
        .select_related("author")
        .only(
            *("ticket_id", "author_id", "body", "channel", "created_at"),
            *(f"author__{name}" for name in _PERSON),
        )
        .order_by("ticket_id", "created_at", "id")
        .iterator(CHUNK),
        key=lambda m: m.ticket_id,
    )
    clocks = _ByKey(
        Clock.objects.filter(mine).order_by("ticket_id", "started_at", "id").iterator(CHUNK),
        key=lambda c: c.ticket_id,
    )
    decisions = _ByKey(
        ModerationDecision.objects.filter(mine)
        .order_by("ticket_id", "decided_at", "id")
        .iterator(CHUNK),
        key=lambda d: d.ticket_id,
    )
    reports = _ByKey(
        Report.objects.filter(mine)
        .select_related("decision")
        .order_by("ticket_id")
        .iterator(CHUNK),
        key=lambda r: r.ticket_id,
    )
    for ticket in tickets.iterator(CHUNK):
        yield _ticket(
            ticket,
            messages=messages.take(ticket.pk),
            clocks=clocks.take(ticket.pk),
            decisions=decisions.take(ticket.pk),
            reports=reports.take(ticket.pk),
            user=user,
        )


def _emails(user: User) -> Iterator[dict]:
    """Mail the person sent us: the headers we stored, and what came attached."""
    addresses = {user.email, user.email.lower()} - {""}
    sent = EmailRecord.objects.filter(direction=EmailRecord.Direction.INBOUND).filter(
        Q(ticket__requester=user) | Q(ticket__isnull=True, from_address__in=addresses)
    )
    attachments = _ByKey(
        EmailAttachment.objects.filter(email__in=sent.values("pk"))
        .order_by("email_id", "id")
        .iterator(CHUNK),
        key=lambda a: a.email_id,
    )
    for e in sent.defer("raw").order_by("pk").iterator(CHUNK):
        yield {
            "message_id": e.rfc_message_id,
            "ticket": e.ticket_id,
            "from": e.from_address,
            "to": e.to_addresses,
            "subject": e.subject,
            "date": e.sent_date,
            "received_at": e.created_at,
            "in_reply_to": e.in_reply_to,
            "references": e.references,
            "status": e.status,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in attachments.take(e.pk)
            ],
        }


def _notifications(user: User) -> Iterator[dict]:
    for n in Notification.objects.filter(user=user).order_by("pk").iterator(CHUNK):
        yield {
            "kind": n.kind,
            "ticket": n.ticket_id,
            "text": n.text,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }


def _records(user: User) -> dict:
    """The person's smaller records, read whole (contests, sanctions, their report limit)."""
    standing = ReporterStanding.objects.filter(user=user).first()
    rule = limit_rule()
    upheld, rejected = (standing.upheld, standing.rejected) if standing else (0, 0)
    return {
        "moderation_contests": [
            {
                "ticket": c.ticket_id,
                "statement": c.statement,
                "created_at": c.created_at,
                "state": c.state,
                "reviewed_at": c.reviewed_at,
                "review_explanation": c.review_explanation,
            }
            for c in ModerationContest.objects.filter(author=user).order_by("pk")
        ],
        "report_decisions_on_your_content": [
            {**_report_decision(d), "content": d.case.content_id}
            for d in ReportDecision.objects.filter(case__content__requester=user)
            .select_related("case")
            .order_by("pk")
        ],
        "report_contests": [
            {
                "decision": c.decision_id,
                "sanction": c.sanction_id,
                "explanation": c.explanation,
                "created_at": c.created_at,
                "outcome": c.outcome,
                "reply": c.reply,
                "decided_at": c.decided_at,
            }
            for c in ReportContest.objects.filter(by=user).order_by("pk")
        ],
        "report_sanctions": [
            {
                "kind": s.kind,
                "reason": s.reason,
                "created_at": s.created_at,
                "ends_at": s.ends_at,
                "lifted_at": s.lifted_at,
            }
            for s in ReportSanction.objects.filter(user=user).order_by("pk")
        ],
        "report_limits": {
            "upheld": upheld,
            "rejected": rejected,
            "limit": reporter_limit(upheld=upheld, rejected=rejected, rule=rule),
            "window_seconds": int(rule.window.total_seconds()),
            "trusted_flagger": bool(standing and standing.trusted_flagger),
            "warned_at": standing.warned_at if standing else None,
            "suspended_until": standing.suspended_until if standing else None,
            "suspension_reason": standing.suspension_reason if standing else "",
        },
    }


def _array(items: Iterator[dict]) -> Iterator[str]:
    yield "["
    for index, item in enumerate(items):
        yield ("," if index else "") + _dumps(item)
    yield "]"


def user_export(*, user: User, now: datetime) -> Iterator[bytes]:
    """The JSON document, in pieces: account and small records first, then the streamed
    lists. One query per kind of record, whatever their number."""

    def pieces() -> Iterator[str]:
        head = {"format": FORMAT_VERSION, "exported_at": now, "account": account_data(user)}
        yield _dumps(head)[:-1]
        for name, value in _records(user).items():
            yield f",{_dumps(name)}:{_dumps(value)}"
        for name, items in (
            ("tickets", _tickets(user)),
            ("emails_you_sent", _emails(user)),
            ("notifications", _notifications(user)),
        ):
            yield f",{_dumps(name)}:"
            yield from _array(items)
        yield "}"

    buffer: list[str] = []
    size = 0
    for piece in pieces():
        buffer.append(piece)
        size += len(piece)
        if size >= 64 * 1024:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    yield "".join(buffer).encode()
