"""Writes for public content: product questions and reviews, their moderation, answers,
resubmissions and contests.

Every question and review is a Ticket with a moderation clock from the moment it is
submitted (sla.services.sla_ticket_created); every decision stops it, is kept as a
ModerationDecision and is sent to the author at once with its statement of reasons.
"""

import calendar
from datetime import datetime

from django.db import transaction
from django.urls import reverse

from helpdesk.models import User
from helpdesk.notifications import notification_send
from sla import services as sla
from sla.models import Event

from .models import ModerationContest, ModerationDecision, Product, Ticket
from .services import (
    TicketError,
    _queue_calendar,
    ticket_create,
    ticket_facts,
    ticket_reply_add,
    ticket_sla_due_refresh,
)

Decision = ModerationDecision.Decision
Reason = ModerationDecision.Reason
CONTEST_MONTHS = 6
SUBJECT_MAX = 200


class ModerationError(TicketError):
    """A moderation request that conflicts with the content's state (HTTP 409)."""


# --- products ---------------------------------------------------------------------------------


def product_create(*, sku: str, name: str, description: str = "") -> Product:
    return Product.objects.create(sku=sku, name=name, description=description)


# --- submission -------------------------------------------------------------------------------


def subject_from(body: str) -> str:
    first = body.strip().splitlines()[0] if body.strip() else body
    return first if len(first) <= SUBJECT_MAX else first[: SUBJECT_MAX - 1] + "…"


def _content_create(*, kind: str, author: User, product: Product, now: datetime, **fields):
    if author.is_agent:
        raise PermissionError("Questions and reviews are written by customers.")
    ticket = Ticket.objects.create(
        kind=kind,
        requester=author,
        product=product,
        moderation=Ticket.Moderation.PENDING,
        status=Ticket.Status.OPEN,
        created_at=now,
        updated_at=now,
        **fields,
    )
    sla.sla_ticket_created(facts=ticket_facts(ticket), now=now, new_ticket=True)
    ticket_sla_due_refresh(ticket_ids=[ticket.pk])
    ticket.refresh_from_db(fields=["sla_due_at"])
    return ticket


@transaction.atomic
def question_submit(*, author: User, product: Product, body: str, now: datetime) -> Ticket:
    return _content_create(
        kind=Ticket.Kind.QUESTION,
        author=author,
        product=product,
        now=now,
        subject=subject_from(body),
        body=body,
    )


@transaction.atomic
def review_submit(
    *, author: User, product: Product, rating: int, title: str, body: str, now: datetime
) -> Ticket:
    if not 1 <= rating <= 5:
        raise ValueError("A rating is 1 to 5 stars.")
    return _content_create(
        kind=Ticket.Kind.REVIEW,
        author=author,
        product=product,
        now=now,
        subject=title,
        body=body,
        rating=rating,
    )


# --- decisions --------------------------------------------------------------------------------


def contest_deadline(decided_at: datetime) -> datetime:
    """Six calendar months after the decision (the 31st becomes the month's last day)."""
    month0 = decided_at.month - 1 + CONTEST_MONTHS
    year, month = decided_at.year + month0 // 12, month0 % 12 + 1
    day = min(decided_at.day, calendar.monthrange(year, month)[1])
    return decided_at.replace(year=year, month=month, day=day)


def _submitted_at(ticket: Ticket) -> datetime:
    """When the content entered moderation: the start of its latest moderation clock."""
    started = (
        ticket.clocks.filter(metric="moderation")
        .order_by("-cycle")
        .values_list("started_at", flat=True)
        .first()
    )
    return started or ticket.created_at


def _what(ticket: Ticket) -> str:
    name = ticket.product.name if ticket.product_id else "the product"
    if ticket.kind == Ticket.Kind.REVIEW:
        return f"Your review “{ticket.subject}” of {name}"
    return f"Your question about {name}"


def content_url(ticket: Ticket) -> str:
    return reverse("my_content_detail", args=[ticket.pk])


def statement_of_reasons(decision: ModerationDecision) -> str:
    """What the author reads: the decision, its ground and what they can do about it."""
    ticket = decision.ticket
    if decision.decision == Decision.PUBLISH:
        text = f"{_what(ticket)} is published."
        if decision.on_contest:
            text += " We reviewed your contest and reversed the earlier decision."
        if decision.explanation:
            text += f"\n{decision.explanation}"
        return text
    reason = Reason(decision.reason).label
    if decision.decision == Decision.CONVERT:
        ref = f" #{decision.support_ticket_id}" if decision.support_ticket_id else ""
        return (
            f"{_what(ticket)} is about an order or our service, so we did not publish it: we "
            f"turned it into support ticket{ref}, where our team answers you.\n"
            f"Reason: {reason}.\n{decision.explanation}"
        )
    deadline = contest_deadline(decision.decided_at)
    return (
        f"{_what(ticket)} was not published.\n"
        f"Reason: {reason}.\n{decision.explanation}\n"
        f"You can edit it and submit it again, or contest this decision until "
        f"{deadline:%d %b %Y}; another moderator will review it."
    )


def _notify(decision: ModerationDecision, now: datetime, kind: str = "moderation_decision"):
    ticket = decision.ticket
    notification_send(
        recipients=[ticket.requester],
        kind=kind,
        text=statement_of_reasons(decision),
        now=now,
        ticket_id=ticket.pk,
        url=content_url(ticket),
    )


def _validate(decision: str, reason: str, explanation: str) -> None:
    if decision not in Decision.values:
        raise ValueError(f"Unknown decision {decision!r}.")
    if decision == Decision.PUBLISH:
        return
    if reason not in Reason.values:
        raise ValueError("A rejection needs a reason from the list.")
    if not explanation.strip():
        raise ValueError("A rejection needs an explanation for the author.")


@transaction.atomic
def content_moderate(
    *,
    ticket: Ticket,
    moderator: User,
    decision: str,
    now: datetime,
    reason: str = "",
    explanation: str = "",
) -> ModerationDecision:
    """Publish, reject (with a reason and an explanation) or turn into a support ticket.

    The moderation clock stops; a published question starts waiting for its answer; the
    author is notified at once, in the app and by e-mail.
    """
    if not moderator.is_agent:
        raise PermissionError("Only agents moderate.")
    if ticket.kind not in (Ticket.Kind.QUESTION, Ticket.Kind.REVIEW):
        raise ModerationError("Only questions and reviews are moderated.")
    given = ticket
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("product", "requester")
        .get(pk=ticket.pk)
    )
    if ticket.moderation != Ticket.Moderation.PENDING:
        raise ModerationError(f"This {ticket.kind} is {ticket.moderation}, not pending.")
    if decision == Decision.CONVERT:
        reason = Reason.SERVICE_QUESTION
        explanation = explanation or "Questions about orders and service get a personal answer."
    if decision == Decision.PUBLISH:
        reason = ""
    _validate(decision, reason, explanation)
    support = None
    if decision == Decision.CONVERT:
        support = ticket_create(
            requester=ticket.requester,
            subject=ticket.subject,
            body=ticket.body,
            now=now,
        )
    record = ModerationDecision.objects.create(
        ticket=ticket,
        decision=decision,
        reason=reason,
        explanation=explanation.strip(),
        moderator=moderator,
        submitted_at=_submitted_at(ticket),
        decided_at=now,
        support_ticket=support,
    )
    _apply(ticket, published=decision == Decision.PUBLISH, moderator=moderator, now=now)
    ticket.refresh_from_db(fields=["sla_due_at"])
    for name in ("moderation", "status", "assignee_id", "updated_at", "sla_due_at"):
        setattr(given, name, getattr(ticket, name))  # the caller's copy shows the decision
    _notify(record, now)
    return record


def _apply(ticket: Ticket, *, published: bool, moderator: User, now: datetime) -> None:
    ticket.moderation = Ticket.Moderation.PUBLISHED if published else Ticket.Moderation.REJECTED
    # A published question stays open until it is answered; everything else is done.
    waiting = published and ticket.kind == Ticket.Kind.QUESTION
    ticket.status = Ticket.Status.OPEN if waiting else Ticket.Status.SOLVED
    ticket.assignee = ticket.assignee or moderator
    ticket.updated_at = now
    ticket.save(update_fields=["moderation", "status", "assignee", "updated_at"])
    sla.sla_moderation_decided(
        facts=ticket_facts(ticket),
        published=published,
        now=now,
        queue_calendar=_queue_calendar(ticket),
    )
    ticket_sla_due_refresh(ticket_ids=[ticket.pk])


def content_bulk_publish(*, ticket_ids: list[int], moderator: User, now: datetime) -> int:
    """Publish every pending item of `ticket_ids`; items decided meanwhile are skipped."""
    published = 0
    for ticket in Ticket.objects.filter(
        pk__in=ticket_ids, moderation=Ticket.Moderation.PENDING
    ).order_by("created_at", "id"):
        try:
            content_moderate(ticket=ticket, moderator=moderator, decision=Decision.PUBLISH, now=now)
        except ModerationError:
            continue
        published += 1
    return published


# --- the author's remedies --------------------------------------------------------------------


def _latest_decision(ticket: Ticket) -> ModerationDecision | None:
    return ticket.moderation_decisions.order_by("-decided_at", "-id").first()


@transaction.atomic
def content_resubmit(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    now: datetime,
    title: str | None = None,
    rating: int | None = None,
) -> Ticket:
    """The author edits rejected content: it goes back to moderation with a new clock."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if author.pk != ticket.requester_id:
        raise PermissionError("Only the author edits this.")
    if ticket.moderation != Ticket.Moderation.REJECTED:
        raise ModerationError("Only rejected content can be edited and submitted again.")
    latest = _latest_decision(ticket)
    if latest is not None and latest.decision == Decision.CONVERT:
        raise ModerationError("This became a support ticket; please follow it there.")
    if latest is not None and hasattr(latest, "contest") and latest.contest.state == "open":
        raise ModerationError("Your contest of this decision is still being reviewed.")
    ticket.body = body
    if ticket.kind == Ticket.Kind.REVIEW:
        if title is not None:
            ticket.subject = title
        if rating is not None:
            if not 1 <= rating <= 5:
                raise ValueError("A rating is 1 to 5 stars.")
            ticket.rating = rating
    else:
        ticket.subject = subject_from(body)
    ticket.moderation = Ticket.Moderation.PENDING
    ticket.status = Ticket.Status.OPEN
    ticket.updated_at = now
    ticket.save(update_fields=["body", "subject", "rating", "moderation", "status", "updated_at"])
    sla.sla_content_resubmitted(
        facts=ticket_facts(ticket), now=now, queue_calendar=_queue_calendar(ticket)
    )
    ticket_sla_due_refresh(ticket_ids=[ticket.pk])
    ticket.refresh_from_db(fields=["sla_due_at"])
    return ticket


@transaction.atomic
def decision_contest(
    *, ticket: Ticket, author: User, statement: str, now: datetime
) -> ModerationContest:
    """The author contests the latest rejection, within six months of it."""
    if author.pk != ticket.requester_id:
        raise PermissionError("Only the author contests a decision.")
    latest = _latest_decision(ticket)
    if (
        latest is None
        or latest.decision != Decision.REJECT
        or ticket.moderation != Ticket.Moderation.REJECTED
    ):
        raise ModerationError("Only a rejection can be contested.")
    if hasattr(latest, "contest"):
        raise ModerationError("This decision has been contested already.")
    if now > contest_deadline(latest.decided_at):
        raise ModerationError("The six months to contest this decision are over.")
    if not statement.strip():
        raise ValueError("Say why the decision is wrong.")
    contest = ModerationContest.objects.create(
        decision=latest, ticket=ticket, author=author, statement=statement.strip(), created_at=now
    )
    sla.event_record(
        ticket_id=ticket.pk,
        kind=Event.Kind.DECISION_CONTESTED,
        subject_key=f"moderation-contest:{contest.pk}",
        now=now,
    )
    return contest


@transaction.atomic
def contest_decide(
    *,
    contest: ModerationContest,
    reviewer: User,
    reverse_decision: bool,
    explanation: str,
    now: datetime,
) -> ModerationContest:
    """Another moderator reviews the contest: publish after all, or keep the rejection."""
    contest = (
        ModerationContest.objects.select_for_update(of=("self",))
        .select_related("decision", "ticket__product", "ticket__requester")
        .get(pk=contest.pk)
    )
    if not reviewer.is_agent:
        raise PermissionError("Only agents review contests.")
    if contest.state != ModerationContest.State.OPEN:
        raise ModerationError("This contest has been decided already.")
    if reviewer.pk == contest.decision.moderator_id:
        raise ModerationError("A contest is reviewed by another moderator than the first.")
    if not explanation.strip():
        raise ValueError("Explain the outcome to the author.")
    ticket = contest.ticket
    contest.reviewer = reviewer
    contest.reviewed_at = now
    contest.review_explanation = explanation.strip()
    if reverse_decision:
        contest.state = ModerationContest.State.REVERSED
        record = ModerationDecision.objects.create(
            ticket=ticket,
            decision=Decision.PUBLISH,
            explanation=contest.review_explanation,
            moderator=reviewer,
            submitted_at=contest.created_at,
            decided_at=now,
            on_contest=True,
        )
        _apply(ticket, published=True, moderator=reviewer, now=now)
        _notify(record, now, kind="contest_decision")
    else:
        contest.state = ModerationContest.State.UPHELD
        notification_send(
            recipients=[ticket.requester],
            kind="contest_decision",
            text=(
                f"We reviewed your contest. {_what(ticket)} stays unpublished.\n"
                f"{contest.review_explanation}"
            ),
            now=now,
            ticket_id=ticket.pk,
            url=content_url(ticket),
        )
    contest.save(update_fields=["state", "reviewer", "reviewed_at", "review_explanation"])
    return contest


# --- answers ----------------------------------------------------------------------------------


@transaction.atomic
def question_answer(*, ticket: Ticket, agent: User, body: str, now: datetime):
    """A public answer to a published question; the first one stops its answer clock."""
    if not agent.is_agent:
        raise PermissionError("Only agents answer product questions.")
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("product").get(pk=ticket.pk)
    )
    if ticket.kind != Ticket.Kind.QUESTION or ticket.moderation != Ticket.Moderation.PUBLISHED:
        raise ModerationError("Only published questions are answered in public.")
    message = ticket_reply_add(ticket=ticket, author=agent, body=body, public=True, now=now)
    sla.clocks_stop(ticket_id=ticket.pk, metrics=["answer"], now=now)
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.SOLVED, updated_at=now)
    ticket_sla_due_refresh(ticket_ids=[ticket.pk])
    notification_send(
        recipients=[ticket.requester],
        kind="question_answered",
        text=f"{_what(ticket)} has an answer.",
        now=now,
        ticket_id=ticket.pk,
        url=content_url(ticket),
    )
    return message
