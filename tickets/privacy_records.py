"""The export's records other than tickets: mail the person sent, notifications, contests,
sanctions and their report limit; and the merge of row groups the export streams by.

Each is one query, read through a cursor in chunks where it can grow without bound.
"""

from collections.abc import Callable, Iterable, Iterator
from itertools import groupby

from django.db.models import Q

from helpdesk.models import Notification, User

from .email.models import EmailAttachment, EmailRecord
from .models import (
    ModerationContest,
    ReportContest,
    ReportDecision,
    ReporterStanding,
    ReportSanction,
)
from .report_limits import reporter_limit
from .reports import limit_rule

CHUNK = 2000


class ByKey:
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


def report_decision_data(d: ReportDecision | None) -> dict | None:
    if d is None:
        return None
    return {"id": d.pk, "outcome": d.outcome, "statement": d.statement, "decided_at": d.decided_at}


def emails_sent(user: User) -> Iterator[dict]:
    """Mail the person sent us: the headers we stored, and what came attached."""
    addresses = {user.email, user.email.lower()} - {""}
    sent = EmailRecord.objects.filter(direction=EmailRecord.Direction.INBOUND).filter(
        Q(ticket__requester=user) | Q(ticket__isnull=True, from_address__in=addresses)
    )
    attachments = ByKey(
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


def notifications(user: User) -> Iterator[dict]:
    for n in Notification.objects.filter(user=user).order_by("pk").iterator(CHUNK):
        yield {
            "kind": n.kind,
            "ticket": n.ticket_id,
            "text": n.text,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }


def person_records(user: User) -> dict:
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
            {**report_decision_data(d), "content": d.case.content_id}
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
