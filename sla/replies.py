"""The database layer of reply quality: stored fingerprints of sent replies.

Finding reuse among every reply sent in the last 30 days is an index lookup on the band
keys (`replyband_key_sent_idx`), never a scan; the pure verdict is `sla.quality`.
"""

import struct
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction

from .fingerprints import SIGNATURE_SIZE, Fingerprint, reply_fingerprint, similarity
from .models import ReplyBand, ReplyFingerprint
from .quality import Assessment, RecentReply, assess_reply

REUSE_WINDOW = timedelta(days=30)
CANDIDATES = 50
QUESTION_EXCERPT = 1000
SAME_TEMPLATE = 0.5
SIGNATURE_FORMAT = f"<{SIGNATURE_SIZE}I"
FINGERPRINTS = ReplyFingerprint._meta.db_table
BANDS = ReplyBand._meta.db_table


@dataclass(frozen=True)
class Candidate:
    id: int
    template_id: int | None
    fingerprint: Fingerprint
    question: str


def reply_candidates(*, fingerprint: Fingerprint, ticket_id: int, now: datetime) -> list[Candidate]:
    """Replies on other tickets sharing a band with this one, newest first: one query."""
    if not fingerprint.bands:
        return []
    # Plain SQL: this runs on every keystroke pause of an agent, and compiling the ORM
    # query cost more than running it. The band rows' own order and limit keep the plan on
    # replyband_key_sent_idx: without them PostgreSQL walks every recent fingerprint for
    # heavily reused templates.
    keys = ", ".join(["%s"] * len(fingerprint.bands))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT f.id, f.template_id, f.signature, f.shingle_count, f.question_excerpt
            FROM {FINGERPRINTS} f
            WHERE f.id IN (
                SELECT b.fingerprint_id FROM {BANDS} b
                WHERE b.key IN ({keys}) AND b.sent_at >= %s
                ORDER BY b.sent_at DESC LIMIT %s
            ) AND f.ticket_id <> %s
            ORDER BY f.sent_at DESC LIMIT %s
            """,
            [
                *fingerprint.bands,
                now - REUSE_WINDOW,
                CANDIDATES * len(fingerprint.bands),
                ticket_id,
                CANDIDATES,
            ],
        )
        rows = cursor.fetchall()
    return [
        Candidate(
            id=pk,
            template_id=template_id,
            # Candidates are compared by signature only: their band keys are not rebuilt.
            fingerprint=Fingerprint(
                signature=struct.unpack(SIGNATURE_FORMAT, bytes(signature)), bands=(), size=size
            ),
            question=question,
        )
        for pk, template_id, signature, size, question in rows
    ]


def reply_assess(
    *,
    ticket_id: int,
    question: str,
    reply: str,
    previous_replies: list[str],
    now: datetime,
) -> tuple[Assessment, Fingerprint, list[Candidate]]:
    """The verdict on a reply about to be sent (or being typed), with what it was based on."""
    fingerprint = reply_fingerprint(reply)
    candidates = reply_candidates(fingerprint=fingerprint, ticket_id=ticket_id, now=now)
    assessment = assess_reply(
        question,
        reply,
        previous_replies=previous_replies,
        recent_replies=[
            RecentReply("", question=c.question, fingerprint=c.fingerprint) for c in candidates
        ],
    )
    return assessment, fingerprint, candidates


@transaction.atomic
def reply_record(
    *,
    message_id: int,
    ticket_id: int,
    author_id: int | None,
    question: str,
    fingerprint: Fingerprint,
    candidates: list[Candidate],
    assessment: Assessment,
    now: datetime,
) -> ReplyFingerprint:
    """Store a sent reply's fingerprint and bands; it joins its closest match's template."""
    best = max(candidates, key=lambda c: similarity(fingerprint, c.fingerprint), default=None)
    template_id = None
    if best is not None and similarity(fingerprint, best.fingerprint) >= SAME_TEMPLATE:
        template_id = best.template_id or best.id
    record = ReplyFingerprint.objects.create(
        message_id=message_id,
        ticket_id=ticket_id,
        author_id=author_id,
        sent_at=now,
        signature=fingerprint.to_bytes(),
        shingle_count=fingerprint.size,
        question_excerpt=question[:QUESTION_EXCERPT],
        template_id=template_id,
        generic=assessment.generic,
        score=assessment.score,
    )
    if template_id is None:
        record.template_id = record.pk
        record.save(update_fields=["template"])
    ReplyBand.objects.bulk_create(
        [ReplyBand(fingerprint=record, key=key, sent_at=now) for key in set(fingerprint.bands)]
    )
    return record


def reply_flag_not_answered(*, message_id: int) -> int:
    return ReplyFingerprint.objects.filter(message_id=message_id).update(not_answered=True)
