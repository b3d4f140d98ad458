"""The export of everything the helpdesk holds about one person, as a stream of JSON.

A fixed number of queries whatever the number of tickets (one per kind of record), each read
through a cursor in chunks, ordered by ticket, and merged ticket by ticket as the JSON is
written, so memory holds one ticket's records at a time, not the person's whole history.

Other people appear only as the display name of the agent who wrote a reply or holds the
ticket; internal notes and events never appear.
"""

import json
from collections.abc import Iterator
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q

from helpdesk.models import User
from sla.models import Clock

from .models import Message, ModerationDecision, Report, Ticket
from .privacy_records import (
    CHUNK,
    ByKey,
    emails_sent,
    notifications,
    person_records,
    report_decision_data,
)

FORMAT_VERSION = 1
_PERSON = ("username", "first_name", "last_name")


def _dumps(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


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


def _report(r: Report) -> dict:
    return {
        "evidence_links": r.evidence_links,
        "good_faith": r.good_faith,
        "lane": r.lane,
        "created_at": r.created_at,
        "decided_at": r.decided_at,
        "decision": report_decision_data(r.decision),
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
    messages = ByKey(
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
    clocks = ByKey(
        Clock.objects.filter(mine).order_by("ticket_id", "started_at", "id").iterator(CHUNK),
        key=lambda c: c.ticket_id,
    )
    decisions = ByKey(
        ModerationDecision.objects.filter(mine)
        .order_by("ticket_id", "decided_at", "id")
        .iterator(CHUNK),
        key=lambda d: d.ticket_id,
    )
    reports = ByKey(
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
        for name, value in person_records(user).items():
            yield f",{_dumps(name)}:{_dumps(value)}"
        for name, items in (
            ("tickets", _tickets(user)),
            ("emails_you_sent", emails_sent(user)),
            ("notifications", notifications(user)),
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
