"""Agents' public replies on e-mail tickets go out by mail, through a real SMTP server."""

import re
import smtplib
import socket
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail

from helpdesk.models import OutboxTask
from tests.email.conftest import eml
from tests.factories import UserFactory
from tickets.email.intake import email_ingest
from tickets.email.models import EmailRecord
from tickets.email.tasks import email_reply_send
from tickets.models import Ticket
from tickets.services import ticket_create, ticket_reply_add

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class Sink:
    """An SMTP server's DATA handler that keeps what it receives."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    yield sink
    controller.stop()


@pytest.fixture
def email_ticket(db):
    """Ana's ticket, opened by e-mail, with a second message of hers threaded in."""
    email_ingest(raw=eml("thread_new.eml"), now=NOW)
    email_ingest(raw=eml("thread_reply_gmail.eml"), now=NOW)
    return Ticket.objects.select_related("requester").get()


@pytest.mark.django_db
def test_agent_reply_arrives_over_smtp_threaded_and_the_answer_threads_back(
    smtp, email_ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply_add(
            ticket=email_ticket,
            author=agent,
            body="We asked the courier.\nThe parcel <b>is</b> on its way back to you.",
            public=True,
            now=NOW,
        )

    assert len(smtp.received) == 1
    envelope = smtp.received[0]
    assert envelope.rcpt_tos == ["ana@example.ro"]
    assert envelope.mail_from == "support@helpdesk.localhost"
    msg = BytesParser(policy=policy.default).parsebytes(envelope.content)
    record = EmailRecord.objects.get(direction="out")
    assert msg["Message-ID"] == f"<{record.rfc_message_id}>"
    assert record.rfc_message_id.endswith("@helpdesk.localhost")
    assert re.fullmatch(
        rf"t{email_ticket.pk}\.m{reply.pk}\.[0-9a-f]{{12}}@helpdesk\.localhost",
        record.rfc_message_id,
    )
    assert msg["In-Reply-To"] == "<thread-2@mail.example.ro>"
    assert msg["References"] == "<thread-1@mail.example.ro> <thread-2@mail.example.ro>"
    assert msg["Reply-To"] == "support@helpdesk.localhost"
    assert msg["To"] == "ana@example.ro"
    assert msg["From"] == "alice <support@helpdesk.localhost>"
    assert msg["Subject"] == f"Re: [#{email_ticket.pk}] Order 9001 never arrived"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert text.startswith("We asked the courier.\nThe parcel <b>is</b> on its way back to you.")
    assert "\n-- \nalice\n" in text
    assert (
        "<p>We asked the courier.<br>The parcel &lt;b&gt;is&lt;/b&gt; on its way back to you.</p>"
        in html
    )
    assert (record.status, record.attempts, record.message) == ("sent", 1, reply)
    assert record.sent_at is not None

    # The customer answers from her mail client: it threads back into the ticket.
    answer = eml(
        "reply_to_agent.eml",
        ticket=email_ticket.pk,
        in_reply_to=record.rfc_message_id,
        references=record.rfc_message_id,
    )
    result = email_ingest(raw=answer, now=NOW)
    assert (result.action, result.ticket_id) == ("threaded", email_ticket.pk)
    assert email_ticket.messages.last().body == "Thanks, I got the parcel."


@pytest.mark.django_db
def test_the_next_reply_references_the_whole_conversation(
    email_ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply_add(ticket=email_ticket, author=agent, body="First.", public=True, now=NOW)
    first = EmailRecord.objects.get(direction="out")
    answer = eml("thread_reply_apple.eml", in_reply_to=first.rfc_message_id)
    email_ingest(raw=answer, now=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply_add(ticket=email_ticket, author=agent, body="Second.", public=True, now=NOW)

    second = mail.outbox[1]
    assert second.extra_headers["In-Reply-To"] == "<thread-4@mail.example.ro>"
    assert second.extra_headers["References"] == (
        f"<thread-1@mail.example.ro> <thread-2@mail.example.ro> <{first.rfc_message_id}> "
        "<thread-4@mail.example.ro>"
    )
    assert email_ticket.messages.filter(author__email="ana@example.ro").last().body == (
        "Thank you, the parcel is here now."
    )


@pytest.mark.django_db
def test_nothing_is_sent_before_commit_nor_for_notes_customers_or_web_tickets(
    email_ticket, agent, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = ticket_reply_add(
            ticket=email_ticket, author=agent, body="Public.", public=True, now=NOW
        )
    assert mail.outbox == []
    # The send is in the outbox, handed to the worker on commit (beside it: handing the
    # generic-reply event over).
    pending = OutboxTask.objects.filter(dispatched_at=None, func__contains="email")
    assert list(pending.values_list("func", "args")) == [
        ("tickets.email.tasks.email_reply_send", [reply.pk])
    ]
    assert len(callbacks) == OutboxTask.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply_add(ticket=email_ticket, author=agent, body="Note.", public=False, now=NOW)
        web = ticket_create(requester=customer, subject="Web", body="From the portal.", now=NOW)
        ticket_reply_add(ticket=web, author=agent, body="Answer on the web.", public=True, now=NOW)
    assert mail.outbox == []
    assert EmailRecord.objects.filter(direction="out").count() == 1


class FailingSMTP(Sink):
    async def handle_DATA(self, server, session, envelope):
        return "451 4.3.0 Try again later"


@pytest.mark.django_db
def test_a_refused_send_is_recorded_and_retried_until_it_goes_out(
    settings, email_ticket, agent, django_capture_on_commit_callbacks
):
    failing = Controller(FailingSMTP(), hostname="127.0.0.1", port=_free_port())
    failing.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", failing.port
    settings.EMAIL_USE_TLS = False
    try:
        # The task raises, so the worker does not acknowledge it and the broker delivers it
        # again after Q_CLUSTER["retry"] seconds (in tests, django-q2 runs it inline and the
        # error surfaces here).
        with (
            pytest.raises(smtplib.SMTPDataError),
            django_capture_on_commit_callbacks(execute=True),
        ):
            reply = ticket_reply_add(
                ticket=email_ticket, author=agent, body="Hello.", public=True, now=NOW
            )
    finally:
        failing.stop()

    record = EmailRecord.objects.get(direction="out")
    assert (record.status, record.attempts) == ("retrying", 1)
    assert record.reason == "attempt 1: SMTPDataError: (451, b'4.3.0 Try again later')"

    # The next delivery of the task finds a server that accepts it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert email_reply_send(reply.pk) == "sent to ana@example.ro"
    assert email_reply_send(reply.pk) == "already sent"
    record.refresh_from_db()
    assert (record.status, record.attempts, record.reason) == ("sent", 2, "")
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_after_the_last_attempt_the_reply_is_marked_failed(
    settings, email_ticket, agent, django_capture_on_commit_callbacks
):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "max_attempts": 2}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
    with pytest.raises(ConnectionRefusedError), django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply_add(
            ticket=email_ticket, author=agent, body="Hello.", public=True, now=NOW
        )
    with pytest.raises(ConnectionRefusedError):
        email_reply_send(reply.pk)

    record = EmailRecord.objects.get(direction="out")
    assert (record.status, record.attempts) == ("failed", 2)
    assert email_reply_send(reply.pk) == "already failed"


@pytest.mark.django_db
def test_a_requester_without_an_address_gets_a_failed_record_not_a_crash(
    agent, django_capture_on_commit_callbacks
):
    nobody = UserFactory(username="nomail", email="")
    ticket = ticket_create(
        requester=nobody, subject="By phone", body="Typed in.", now=NOW, channel="email"
    )

    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply_add(ticket=ticket, author=agent, body="Hi.", public=True, now=NOW)

    record = EmailRecord.objects.get()
    assert (record.status, record.reason) == ("failed", "the requester has no e-mail address")
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_retry_schedule_sends_what_a_lost_or_failed_task_left_pending(
    email_ticket, agent, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django_q.models import Schedule

    from tickets.email.tasks import email_retry_pending

    # The reply is recorded, but its task never ran (the broker was down at enqueue time).
    with django_capture_on_commit_callbacks(execute=False):
        ticket_reply_add(ticket=email_ticket, author=agent, body="Hello.", public=True, now=NOW)
    record = EmailRecord.objects.get(direction="out")
    assert record.status == "queued"

    with time_machine.travel(record.created_at + timedelta(minutes=1), tick=False):
        assert email_retry_pending() == {"sent": 0, "failed": 0}  # may still be in flight
    with time_machine.travel(record.created_at + timedelta(minutes=3), tick=False):
        assert email_retry_pending() == {"sent": 1, "failed": 0}
        assert email_retry_pending() == {"sent": 0, "failed": 0}

    record.refresh_from_db()
    assert (record.status, record.attempts) == ("sent", 1)
    assert len(mail.outbox) == 1
    schedule = Schedule.objects.get(name="email-retry")
    assert (schedule.func, schedule.minutes) == ("tickets.email.tasks.email_retry_pending", 2)


@pytest.mark.django_db
def test_a_notification_about_an_e_mail_ticket_threads_into_the_conversation(
    email_ticket, django_capture_on_commit_callbacks
):
    from helpdesk.notifications import notification_send

    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipients=[email_ticket.requester],
            kind="decision",
            text="Your ticket was escalated to a manager.",
            ticket_id=email_ticket.pk,
            now=NOW,
        )

    (sent,) = mail.outbox
    assert sent.subject == f"[#{email_ticket.pk}] Your ticket was escalated to a manager."
    assert sent.extra_headers["In-Reply-To"] == "<thread-2@mail.example.ro>"
    assert (
        sent.extra_headers["References"] == "<thread-1@mail.example.ro> <thread-2@mail.example.ro>"
    )
    assert sent.reply_to == ["support@helpdesk.localhost"]
