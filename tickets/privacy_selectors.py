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
)

FORMAT_VERSION = 1
_PERSON = ("username", "first_name", "last_name")


def _dumps(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _name(row: dict, prefix: str) -> str | None:
    """A person's display name (full name, else username) from a row's joined columns."""
    username = row[f"{prefix}__username"]
    if username is None:
        return None
    full = f"{row[f'{prefix}__first_name']} {row[f'{prefix}__last_name']}".strip()
    return full or username


def _person(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}__{name}" for name in _PERSON)


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


def _message(m: dict, user: User) -> dict:
    return {
        "id": m["id"],
        "from": "you" if m["author_id"] == user.pk else _name(m, "author"),
        "body": m["body"],
        "channel": m["channel"],
        "created_at": m["created_at"],
    }


def _clock(c: dict) -> dict:
    return {
        "metric": c["metric"],
        "cycle": c["cycle"],
        "state": c["state"],
        "started_at": c["started_at"],
        "promised_by": c["due_at"],
        "stopped_at": c["stopped_at"],
    }


def _decision(d: dict) -> dict:
    return {
        "decision": d["decision"],
        "reason": d["reason"],
        "explanation": d["explanation"],
        "decided_at": d["decided_at"],
    }


def _report(r: dict) -> dict:
    decision = None
    if r["decision_id"] is not None:
        decision = {
            "id": r["decision_id"],
            "outcome": r["decision__outcome"],
            "statement": r["decision__statement"],
            "decided_at": r["decision__decided_at"],
        }
    return {
        "evidence_links": r["evidence_links"],
        "good_faith": r["good_faith"],
        "lane": r["lane"],
        "created_at": r["created_at"],
        "decided_at": r["decided_at"],
        "decision": decision,
    }


def _ticket(t: dict, *, messages, clocks, decisions, reports, user: User) -> dict:
    return {
        "id": t["id"],
        "kind": t["kind"],
        "subject": t["subject"],
        "body": t["body"],
        "status": t["status"],
        "priority": t["priority"],
        "queue": t["queue__name"],
        "channel": t["channel"],
        "assigned_to": _name(t, "assignee"),
        "created_at": t["created_at"],
        "updated_at": t["updated_at"],
        "product": (
            {"sku": t["product__sku"], "name": t["product__name"]} if t["product__sku"] else None
        ),
        "rating": t["rating"],
        "moderation": t["moderation"],
        "outcome": t["outcome"],
        "target_url": t["target_url"] or None,
        "reason": t["reason"] or None,
        "personal_data_removed_at": t["purged_at"],
        "messages": [_message(m, user) for m in messages],
        "sla_promises": [_clock(c) for c in clocks],
        "moderation_decisions": [_decision(d) for d in decisions],
        "report": _report(reports[0]) if reports else None,
    }


def _by_ticket(qs, *fields: str, order: tuple[str, ...] = ("pk",)) -> ByKey:
    """Rows of `qs` as dicts, read in chunks through a cursor, grouped by ticket."""
    rows = qs.order_by("ticket_id", *order).values("ticket_id", *fields).iterator(CHUNK)
    return ByKey(rows, key=lambda row: row["ticket_id"])


def _tickets(user: User) -> Iterator[dict]:
    """The person's tickets, oldest first, each with its public conversation, its clocks,
    its moderation decisions and (for a report) the report and its decision. Rows are read
    as dicts: building model instances cost more than the queries."""
    mine = Q(ticket__requester=user)
    tickets = (
        Ticket.objects.filter(requester=user)
        .order_by("pk")
        .values(
            *("id", "kind", "subject", "body", "status", "priority", "channel", "created_at"),
            *("updated_at", "rating", "moderation", "outcome", "target_url", "reason"),
            *("purged_at", "queue__name", "product__sku", "product__name"),
            *_person("assignee"),
        )
    )
    messages = _by_ticket(
        Message.objects.filter(mine, public=True, kind=Message.Kind.REPLY),
        *("id", "author_id", "body", "channel", "created_at", *_person("author")),
        order=("created_at", "id"),
    )
    clocks = _by_ticket(
        Clock.objects.filter(mine),
        *("metric", "cycle", "state", "started_at", "due_at", "stopped_at"),
        order=("started_at", "id"),
    )
    decisions = _by_ticket(
        ModerationDecision.objects.filter(mine),
        *("decision", "reason", "explanation", "decided_at"),
        order=("decided_at", "id"),
    )
    reports = _by_ticket(
        Report.objects.filter(mine),
        *("evidence_links", "good_faith", "lane", "created_at", "decided_at", "decision_id"),
        *("decision__outcome", "decision__statement", "decision__decided_at"),
    )
    for ticket in tickets.iterator(CHUNK):
        pk = ticket["id"]
        yield _ticket(
            ticket,
            messages=messages.take(pk),
            clocks=clocks.take(pk),
            decisions=decisions.take(pk),
            reports=reports.take(pk),
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
