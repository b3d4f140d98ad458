"""Moderation services: clocks, decisions with reasons, notifications, remedies, answers."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from helpdesk.models import Notification
from sla.models import Clock
from tests.moderation.conftest import T0, ask, review
from tickets import moderation
from tickets.models import Message, ModerationContest, ModerationDecision, Ticket


def clocks(ticket):
    return list(
        Clock.objects.filter(ticket=ticket)
        .order_by("metric", "cycle")
        .values_list("metric", "cycle", "state", "started_at", "due_at")
    )


@pytest.mark.django_db
def test_a_question_waits_for_moderation_with_its_clock_at_once(customer, product):
    ticket = ask(customer, product, body="Does it work on 120 V?\nI live in the US.")

    assert (ticket.kind, ticket.moderation, ticket.status) == ("question", "pending", "open")
    assert ticket.subject == "Does it work on 120 V?"
    # the default policy: moderation 1440 minutes, 24/7
    assert clocks(ticket) == [("moderation", 1, "running", T0, T0 + timedelta(hours=24))]
    assert ticket.sla_due_at == T0 + timedelta(hours=24)


@pytest.mark.django_db
def test_a_review_carries_its_rating_and_title(customer, product):
    ticket = review(customer, product, rating=2, title="Leaks", body="After a month.")

    assert (ticket.kind, ticket.rating, ticket.subject, ticket.body) == (
        "review",
        2,
        "Leaks",
        "After a month.",
    )
    assert clocks(ticket)[0][:3] == ("moderation", 1, "running")


@pytest.mark.django_db
def test_agents_do_not_post_content(agent, product):
    with pytest.raises(PermissionError):
        ask(agent, product)


@pytest.mark.django_db
def test_publishing_a_question_stops_moderation_starts_the_answer_clock_and_tells_the_author(
    customer, agent, product, django_capture_on_commit_callbacks
):
    ticket = ask(customer, product)

    with django_capture_on_commit_callbacks(execute=True):
        decision = moderation.content_moderate(
            ticket=ticket, moderator=agent, decision="publish", now=T0 + timedelta(hours=2)
        )

    ticket.refresh_from_db()
    assert (ticket.moderation, ticket.status, ticket.assignee_id) == ("published", "open", agent.pk)
    assert (decision.decision, decision.reason, decision.submitted_at) == ("publish", "", T0)
    assert clocks(ticket) == [
        ("answer", 1, "running", T0 + timedelta(hours=2), T0 + timedelta(hours=26)),
        ("moderation", 1, "stopped", T0, T0 + timedelta(hours=24)),
    ]
    assert ticket.sla_due_at == T0 + timedelta(hours=26)
    (note,) = Notification.objects.filter(user=customer)
    assert note.kind == "moderation_decision"
    assert note.text == "Your question about KET-200 Kettle is published."
    assert note.url == f"/my/content/{ticket.pk}/"
    assert [m.to for m in mail.outbox] == [[customer.email]]


@pytest.mark.django_db
def test_a_rejection_carries_its_reason_explanation_and_remedies(
    customer, agent, product, django_capture_on_commit_callbacks
):
    ticket = review(customer, product, rating=1, title="Call me", body="0171 5550199")

    with django_capture_on_commit_callbacks(execute=True):
        moderation.content_moderate(
            ticket=ticket,
            moderator=agent,
            decision="reject",
            reason="personal_data",
            explanation="Reviews are public; please leave out your phone number.",
            now=T0 + timedelta(hours=1),
        )

    ticket.refresh_from_db()
    assert (ticket.moderation, ticket.status) == ("rejected", "solved")
    assert clocks(ticket) == [("moderation", 1, "stopped", T0, T0 + timedelta(hours=24))]
    (note,) = Notification.objects.filter(user=customer)
    assert note.text == (
        "Your review “Call me” of KET-200 Kettle was not published.\n"
        "Reason: Personal data.\n"
        "Reviews are public; please leave out your phone number.\n"
        "You can edit it and submit it again, or contest this decision until 02 Sep 2026; "
        "another moderator will review it."
    )
    assert (
        mail.outbox[0].subject
        == f"[#{ticket.pk}] Your review “Call me” of KET-200 Kettle was not published."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reason", "explanation", "message"),
    [
        ("", "Because.", "A rejection needs a reason from the list."),
        ("negative_opinion", "Too harsh.", "A rejection needs a reason from the list."),
        ("spam", "  ", "A rejection needs an explanation for the author."),
    ],
)
def test_a_rejection_without_a_listed_reason_or_explanation_is_refused(
    customer, agent, product, reason, explanation, message
):
    ticket = review(customer, product, rating=1)

    with pytest.raises(ValueError, match=message):
        moderation.content_moderate(
            ticket=ticket,
            moderator=agent,
            decision="reject",
            reason=reason,
            explanation=explanation,
            now=T0,
        )
    ticket.refresh_from_db()
    assert ticket.moderation == "pending"
    assert ModerationDecision.objects.count() == 0


@pytest.mark.django_db
def test_a_decided_item_cannot_be_decided_again(customer, agent, product):
    ticket = ask(customer, product)
    moderation.content_moderate(ticket=ticket, moderator=agent, decision="publish", now=T0)

    with pytest.raises(moderation.ModerationError, match="is published, not pending"):
        moderation.content_moderate(ticket=ticket, moderator=agent, decision="publish", now=T0)


@pytest.mark.django_db
def test_an_order_question_becomes_a_support_ticket_rather_than_rejected(customer, agent, product):
    ticket = ask(customer, product, body="Where is my order 4411?")

    decision = moderation.content_moderate(
        ticket=ticket, moderator=agent, decision="convert", now=T0 + timedelta(minutes=5)
    )

    support = decision.support_ticket
    assert (support.kind, support.requester_id, support.body) == (
        "support",
        customer.pk,
        "Where is my order 4411?",
    )
    assert decision.reason == "service_question"
    assert Clock.objects.filter(ticket=support, state="running").count() == 3
    ticket.refresh_from_db()
    assert ticket.moderation == "rejected"
    (note,) = Notification.objects.filter(user=customer)
    assert f"we turned it into support ticket #{support.pk}" in note.text


@pytest.mark.django_db
def test_bulk_publish_publishes_the_pending_ones_only(customer, agent, product):
    a, b, c = (ask(customer, product, body=f"Q{i}?") for i in range(3))
    moderation.content_moderate(
        ticket=c, moderator=agent, decision="reject", reason="spam", explanation="Ad.", now=T0
    )

    count = moderation.content_bulk_publish(
        ticket_ids=[a.pk, b.pk, c.pk], moderator=agent, now=T0 + timedelta(hours=1)
    )

    assert count == 2
    states = dict(Ticket.objects.values_list("pk", "moderation"))
    assert states == {a.pk: "published", b.pk: "published", c.pk: "rejected"}
    assert Notification.objects.filter(user=customer).count() == 3


@pytest.mark.django_db
def test_the_author_edits_and_resubmits_with_a_new_moderation_clock(customer, agent, product):
    ticket = review(customer, product, rating=2, title="See www.example.net", body="Loud.")
    moderation.content_moderate(
        ticket=ticket,
        moderator=agent,
        decision="reject",
        reason="links",
        explanation="No links.",
        now=T0 + timedelta(hours=1),
    )

    resubmitted = moderation.content_resubmit(
        ticket=ticket,
        author=customer,
        title="Loud motor",
        rating=3,
        body="The motor is loud.",
        now=T0 + timedelta(hours=3),
    )

    assert (resubmitted.moderation, resubmitted.status) == ("pending", "open")
    assert (resubmitted.subject, resubmitted.rating) == ("Loud motor", 3)
    assert clocks(ticket) == [
        ("moderation", 1, "stopped", T0, T0 + timedelta(hours=24)),
        ("moderation", 2, "running", T0 + timedelta(hours=3), T0 + timedelta(hours=27)),
    ]
    assert resubmitted.sla_due_at == T0 + timedelta(hours=27)
    # and a decision then measures from the resubmission
    decision = moderation.content_moderate(
        ticket=ticket, moderator=agent, decision="publish", now=T0 + timedelta(hours=4)
    )
    assert decision.submitted_at == T0 + timedelta(hours=3)


@pytest.mark.django_db
def test_only_the_author_resubmits_and_only_rejected_content(
    customer, other_customer, agent, product
):
    ticket = ask(customer, product)
    with pytest.raises(moderation.ModerationError):
        moderation.content_resubmit(ticket=ticket, author=customer, body="Edited?", now=T0)
    moderation.content_moderate(
        ticket=ticket, moderator=agent, decision="reject", reason="spam", explanation="Ad.", now=T0
    )
    with pytest.raises(PermissionError):
        moderation.content_resubmit(ticket=ticket, author=other_customer, body="Mine?", now=T0)


@pytest.mark.django_db
def test_a_contest_within_six_months_is_reviewed_by_another_moderator(
    customer, agent, second_agent, product
):
    ticket = review(customer, product, rating=1, title="Awful", body="Broke in a week.")
    decided = T0 + timedelta(hours=1)
    moderation.content_moderate(
        ticket=ticket,
        moderator=agent,
        decision="reject",
        reason="offensive",
        explanation="Insults.",
        now=decided,
    )
    assert moderation.contest_deadline(decided) == decided.replace(month=9)

    contest = moderation.decision_contest(
        ticket=ticket, author=customer, statement="There is no insult in it.", now=decided
    )
    with pytest.raises(moderation.ModerationError, match="another moderator"):
        moderation.contest_decide(
            contest=contest, reviewer=agent, reverse_decision=True, explanation="Ok.", now=decided
        )
    moderation.contest_decide(
        contest=contest,
        reviewer=second_agent,
        reverse_decision=True,
        explanation="Re-read: a negative opinion, no insult. Published.",
        now=decided + timedelta(days=1),
    )

    contest.refresh_from_db()
    ticket.refresh_from_db()
    assert (contest.state, contest.reviewer_id) == ("reversed", second_agent.pk)
    assert ticket.moderation == "published"
    last = ticket.moderation_decisions.order_by("-id").first()
    assert (last.decision, last.on_contest, last.moderator_id) == ("publish", True, second_agent.pk)
    note = Notification.objects.filter(user=customer, kind="contest_decision").get()
    assert note.text == (
        "Your review “Awful” of KET-200 Kettle is published. We reviewed your contest and "
        "reversed the earlier decision.\nRe-read: a negative opinion, no insult. Published."
    )


@pytest.mark.django_db
def test_a_contest_after_six_months_or_twice_is_refused(customer, agent, product):
    ticket = ask(customer, product)
    moderation.content_moderate(
        ticket=ticket, moderator=agent, decision="reject", reason="spam", explanation="Ad.", now=T0
    )

    with pytest.raises(moderation.ModerationError, match="six months"):
        moderation.decision_contest(
            ticket=ticket, author=customer, statement="Late.", now=T0 + timedelta(days=185)
        )
    moderation.decision_contest(
        ticket=ticket, author=customer, statement="Not an ad.", now=T0 + timedelta(days=183)
    )
    with pytest.raises(moderation.ModerationError, match="contested already"):
        moderation.decision_contest(ticket=ticket, author=customer, statement="Again.", now=T0)
    assert ModerationContest.objects.count() == 1


@pytest.mark.django_db
def test_an_upheld_contest_tells_the_author(customer, agent, second_agent, product):
    ticket = ask(customer, product)
    moderation.content_moderate(
        ticket=ticket, moderator=agent, decision="reject", reason="spam", explanation="Ad.", now=T0
    )
    contest = moderation.decision_contest(ticket=ticket, author=customer, statement="No.", now=T0)

    moderation.contest_decide(
        contest=contest,
        reviewer=second_agent,
        reverse_decision=False,
        explanation="It links to a shop.",
        now=T0,
    )

    ticket.refresh_from_db()
    assert ticket.moderation == "rejected"
    note = Notification.objects.filter(user=customer, kind="contest_decision").get()
    assert note.text == (
        "We reviewed your contest. Your question about KET-200 Kettle stays unpublished.\n"
        "It links to a shop."
    )


@pytest.mark.django_db
def test_the_first_answer_stops_the_answer_clock_and_is_public(customer, agent, product):
    ticket = ask(customer, product)
    published = T0 + timedelta(hours=1)
    moderation.content_moderate(ticket=ticket, moderator=agent, decision="publish", now=published)

    message = moderation.question_answer(
        ticket=ticket, agent=agent, body="No: 220-240 V only.", now=published + timedelta(hours=3)
    )

    assert (message.public, message.kind, message.author_id) == (True, "reply", agent.pk)
    answer = Clock.objects.get(ticket=ticket, metric="answer")
    assert (answer.state, answer.started_at, answer.stopped_at, answer.breached) == (
        "stopped",
        published,
        published + timedelta(hours=3),
        False,
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.sla_due_at) == ("solved", None)
    assert Notification.objects.filter(user=customer, kind="question_answered").count() == 1


@pytest.mark.django_db
def test_unpublished_questions_are_not_answered_in_public(customer, agent, product):
    ticket = ask(customer, product)

    with pytest.raises(moderation.ModerationError):
        moderation.question_answer(ticket=ticket, agent=agent, body="Hi", now=T0)
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_a_contest_raises_decision_contested_and_the_managers_hear_of_it(
    customer, agent, manager, product, django_capture_on_commit_callbacks
):
    from escalation.models import Escalation
    from sla.models import Event

    ticket = review(customer, product, rating=2, title="Meh", body="Slow heating.")
    moderation.content_moderate(
        ticket=ticket,
        moderator=agent,
        decision="reject",
        reason="spam",
        explanation="Ad.",
        now=T0,
    )

    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        contest = moderation.decision_contest(
            ticket=ticket, author=customer, statement="It is my honest review.", now=T0
        )

    event = Event.objects.get(kind="decision_contested")
    assert (event.ticket_id, event.subject_key) == (ticket.pk, f"moderation-contest:{contest.pk}")
    escalation = Escalation.objects.get(event=event)
    assert escalation.trigger == "decision_contested"
    assert Notification.objects.filter(user=manager, ticket=ticket).exists()
