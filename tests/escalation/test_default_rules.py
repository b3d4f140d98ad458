"""The default rules end to end: the scheduled task sweeps, then escalates, as time passes."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from escalation.models import Escalation, QueueAgent
from escalation.notifications import digest_send
from escalation.tasks import digest_send_task
from helpdesk.models import Notification
from sla.models import Clock, Event
from sla.tasks import sla_sweep_task
from tests.escalation.conftest import T0
from tests.factories import QueueFactory, UserFactory
from tickets.models import Message
from tickets.services import ticket_create, ticket_update


def cycle(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        sla_sweep_task()


def notices(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", "ticket"))


def notes(ticket):
    return list(
        Message.objects.filter(ticket=ticket, body__startswith="Escalation").values_list(
            "public", "kind", "author__username"
        )
    )


@pytest.mark.django_db
def test_warn_the_assignee_at_75_percent(customer, agent, bob, django_capture_on_commit_callbacks):
    ticket = ticket_create(requester=customer, subject="Kettle", body="Broken", now=T0)
    ticket_update(ticket=ticket, actor=agent, assignee=agent, now=T0)

    cycle(T0 + timedelta(minutes=179), django_capture_on_commit_callbacks)
    assert not Escalation.objects.exists()
    cycle(T0 + timedelta(minutes=180), django_capture_on_commit_callbacks)
    cycle(T0 + timedelta(minutes=181), django_capture_on_commit_callbacks)

    (escalation,) = Escalation.objects.all()
    assert (escalation.trigger, escalation.level, escalation.metric) == (
        "warning",
        1,
        "first_response",
    )
    assert escalation.created_at == T0 + timedelta(minutes=180)
    assert notices("escalation_warning") == [("alice", ticket.pk)]
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert mail.outbox[0].subject == (
        f"[#{ticket.pk}] About to breach (First response): #{ticket.pk} Kettle"
    )
    assert notes(ticket) == [(False, "reply", "escalation")]
    assert escalation.actions == ["notified alice"]


@pytest.mark.django_db
def test_warn_the_queues_agents_when_unassigned(
    customer, agent, bob, django_capture_on_commit_callbacks
):
    queue = QueueFactory(slug="billing")
    QueueAgent.objects.create(queue=queue, user=bob)
    ticket = ticket_create(requester=customer, subject="Invoice", body="Twice", queue=queue, now=T0)

    cycle(T0 + timedelta(minutes=180), django_capture_on_commit_callbacks)

    assert notices("escalation_warning") == [("bob", ticket.pk)]


@pytest.mark.django_db
def test_warn_every_agent_when_the_queue_names_none(
    customer, agent, bob, manager, django_capture_on_commit_callbacks
):
    ticket = ticket_create(requester=customer, subject="Hello", body="?", now=T0)

    cycle(T0 + timedelta(minutes=180), django_capture_on_commit_callbacks)

    assert notices("escalation_warning") == [("alice", ticket.pk), ("bob", ticket.pk)]


@pytest.mark.django_db
def test_notify_the_managers_at_breach_by_digest(
    customer, agent, manager, django_capture_on_commit_callbacks
):
    ticket = ticket_create(requester=customer, subject="Kettle", body="Broken", now=T0)
    ticket_update(ticket=ticket, actor=agent, assignee=agent, now=T0)
    cycle(T0 + timedelta(minutes=180), django_capture_on_commit_callbacks)
    mail.outbox.clear()

    cycle(T0 + timedelta(minutes=240), django_capture_on_commit_callbacks)

    breach = Escalation.objects.get(trigger="breach")
    assert (breach.level, breach.metric, breach.actions) == (1, "first_response", ["notified max"])
    assert notices("escalation_breach") == [("max", ticket.pk)]
    assert mail.outbox == []  # managers take the hourly digest
    with time_machine.travel(T0 + timedelta(minutes=300), tick=False):
        assert digest_send_task() == 1
        assert digest_send(now=T0 + timedelta(minutes=301)) == 0
    (digest,) = mail.outbox
    assert digest.to == ["max@example.com"]
    assert digest.subject == "Helpdesk digest: 1 escalation notice(s)"
    assert f"Breach (First response): #{ticket.pk} Kettle" in digest.body


@pytest.mark.django_db
def test_reassign_and_raise_priority_at_breach_plus_half_the_target(
    customer, agent, bob, manager, django_capture_on_commit_callbacks
):
    ticket = ticket_create(requester=customer, subject="Kettle", body="Broken", now=T0)
    ticket_update(ticket=ticket, actor=agent, assignee=agent, now=T0)
    cycle(T0 + timedelta(minutes=240), django_capture_on_commit_callbacks)
    clock = Clock.objects.get(ticket=ticket, metric="first_response")
    assert clock.escalate_at == T0 + timedelta(minutes=360)  # 240 + 240 / 2

    cycle(T0 + timedelta(minutes=359), django_capture_on_commit_callbacks)
    assert not Event.objects.filter(kind="breach", level=2).exists()
    cycle(T0 + timedelta(minutes=360), django_capture_on_commit_callbacks)
    cycle(T0 + timedelta(minutes=361), django_capture_on_commit_callbacks)

    ticket.refresh_from_db()
    assert (ticket.assignee.username, ticket.priority) == ("bob", "high")
    level2 = Escalation.objects.get(trigger="breach", level=2)
    assert level2.actions == [
        "notified Bob Nowak, max",
        "reassigned to Bob Nowak",
        "priority raised to high",
    ]
    history = list(
        Message.objects.filter(ticket=ticket, author__username="escalation")
        .order_by("id")
        .values_list("public", "body")
    )
    assert [public for public, _ in history] == [False] * len(history)
    assert [body.splitlines()[0] for _, body in history[-3:]] == [
        "Priority changed from normal to high.",
        "Assigned to Bob Nowak.",
        f"Escalation — Breach (First response, level 2): #{ticket.pk} Kettle",
    ]
    assert Event.objects.filter(kind="breach", level=2).count() == 1


@pytest.mark.django_db
def test_a_stopped_clock_does_not_escalate_again(
    customer, agent, bob, manager, django_capture_on_commit_callbacks
):
    from tickets.services import ticket_reply_add

    ticket = ticket_create(requester=customer, subject="Kettle", body="Broken", now=T0)
    cycle(T0 + timedelta(minutes=240), django_capture_on_commit_callbacks)
    ticket_reply_add(
        ticket=ticket,
        author=agent,
        body="The kettle's heating element is covered by the warranty; a replacement ships today.",
        public=True,
        now=T0 + timedelta(minutes=300),
    )

    cycle(T0 + timedelta(minutes=400), django_capture_on_commit_callbacks)

    assert not Event.objects.filter(metric="first_response", level=2).exists()


@pytest.mark.django_db
def test_retrying_the_processing_acts_once(customer, agent, django_capture_on_commit_callbacks):
    from escalation.services import events_process

    ticket = ticket_create(requester=customer, subject="Kettle", body="Broken", now=T0)
    ticket_update(ticket=ticket, actor=agent, assignee=agent, now=T0)
    cycle(T0 + timedelta(minutes=180), django_capture_on_commit_callbacks)

    again = events_process(now=T0 + timedelta(minutes=181))

    assert (again.escalations, again.acted) == (0, 0)
    assert Notification.objects.filter(kind="escalation_warning").count() == 1
    assert len(notes(ticket)) == 1


@pytest.mark.django_db
def test_a_user_who_turned_email_off_gets_only_the_in_app_notice(
    customer, agent, django_capture_on_commit_callbacks
):
    from escalation.notifications import preference_set

    preference_set(user=agent, email="off", email_triggers=[])
    ticket = ticket_create(requester=customer, subject="Kettle", body="Broken", now=T0)
    ticket_update(ticket=ticket, actor=agent, assignee=agent, now=T0)

    cycle(T0 + timedelta(minutes=180), django_capture_on_commit_callbacks)

    assert notices("escalation_warning") == [("alice", ticket.pk)]
    assert mail.outbox == []
    assert UserFactory._meta.model.objects.get(username="escalation").is_active is False
