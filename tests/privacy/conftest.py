"""A customer with something of every kind the helpdesk keeps, built through the services."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from helpdesk.models import User
from helpdesk.notifications import notification_send
from tests.factories import ProductFactory, UserFactory
from tickets import moderation, reports
from tickets.email.intake import email_ingest
from tickets.models import Ticket
from tickets.services import ticket_create, ticket_reply_add, ticket_update

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
SECRET_WORDS = "Carla Diaz, 12 Rue des Lilas"  # in everything the customer writes


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEFAULT_FROM_EMAIL = "Helpdesk <support@helpdesk.localhost>"
    settings.HELPDESK_EMAIL_ADDRESSES = ["support@helpdesk.localhost"]


def raw_email(*, sender: str, subject: str, body: str, message_id: str, attach: bool = True):
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "support@helpdesk.localhost"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{message_id}>"
    mail["Date"] = "Mon, 02 Mar 2026 08:00:00 +0000"
    mail.set_content(body)
    if attach:
        mail.add_attachment(
            f"Invoice for {SECRET_WORDS}".encode(),
            maintype="text",
            subtype="plain",
            filename="invoice-carla.txt",
        )
    return mail.as_bytes()


@dataclass
class World:
    customer: User
    other: User
    agent: User
    second_agent: User
    open_ticket: Ticket
    solved_ticket: Ticket
    email_ticket: Ticket
    question: Ticket
    review: Ticket
    rejected_review: Ticket
    report: Ticket
    others_ticket: Ticket


def build_world(*, now: datetime = T0) -> World:
    customer = UserFactory(
        username="carla",
        email="carla@example.com",
        first_name="Carla",
        last_name="Diaz",
        time_zone="Europe/Paris",
    )
    other = UserFactory(username="otto", email="otto@example.com", first_name="Otto")
    agent = UserFactory(username="alice", first_name="Alice", last_name="Martin", role="agent")
    second_agent = UserFactory(username="bob", first_name="Bob", role="agent")
    product = ProductFactory(sku="ket-200", name="KET-200 Kettle")

    open_ticket = ticket_create(
        requester=customer, subject=f"Refund for {SECRET_WORDS}", body=SECRET_WORDS, now=now
    )
    ticket_reply_add(
        ticket=open_ticket, author=agent, body=f"Dear {SECRET_WORDS}", public=True, now=now
    )
    ticket_reply_add(
        ticket=open_ticket, author=agent, body=f"Note on {SECRET_WORDS}", public=False, now=now
    )
    ticket_reply_add(
        ticket=open_ticket, author=customer, body=f"Still {SECRET_WORDS}", public=True, now=now
    )

    solved_ticket = ticket_create(
        requester=customer, subject="Kettle leaks", body=f"Leaks at {SECRET_WORDS}", now=now
    )
    ticket_reply_add(
        ticket=solved_ticket,
        author=agent,
        body="Please send the kettle back with the prepaid label.",
        public=True,
        now=now + timedelta(hours=1),
    )
    ticket_update(ticket=solved_ticket, actor=agent, status="solved", now=now + timedelta(hours=2))

    result = email_ingest(
        raw=raw_email(
            sender="Carla Diaz <carla@example.com>",
            subject=f"Order for {SECRET_WORDS}",
            body=f"Please help, {SECRET_WORDS}",
            message_id="order-1@mail.example.com",
        ),
        now=now,
    )
    email_ticket = Ticket.objects.get(pk=result.ticket_id)

    question = moderation.question_submit(
        author=customer, product=product, body=f"Does it suit {SECRET_WORDS}?", now=now
    )
    review = moderation.review_submit(
        author=customer, product=product, rating=2, title="Meh", body=SECRET_WORDS, now=now
    )
    moderation.content_moderate(
        ticket=review, moderator=agent, decision="publish", now=now + timedelta(hours=1)
    )
    rejected_review = moderation.review_submit(
        author=customer, product=product, rating=1, title="Bad", body=SECRET_WORDS, now=now
    )
    moderation.content_moderate(
        ticket=rejected_review,
        moderator=agent,
        decision="reject",
        reason="personal_data",
        explanation=f"It gives your address, {SECRET_WORDS}",
        now=now + timedelta(hours=1),
    )
    moderation.decision_contest(
        ticket=rejected_review,
        author=customer,
        statement=f"It is my own address, {SECRET_WORDS}",
        now=now + timedelta(hours=2),
    )

    report = reports.report_submit(
        reporter=customer,
        item=reports.ReportInput(
            target_url="https://shop.example.com/listing/1",
            reason="copyright",
            explanation=f"My photos, taken by {SECRET_WORDS}",
            evidence_links=["https://photos.example.com/carla-diaz"],
        ),
        good_faith=True,
        now=now,
    )
    reports.report_decide(
        ticket=report,
        agent=agent,
        outcome="upheld",
        facts="The photos are the reporter's.",
        now=now + timedelta(hours=3),
    )
    notification_send(
        recipients=[customer],
        kind="custom",
        text=f"Hello {SECRET_WORDS}",
        now=now,
        ticket_id=open_ticket.pk,
        email=False,
    )
    others_ticket = ticket_create(
        requester=other, subject="Otto's toaster", body="It burns the toast.", now=now
    )
    ticket_reply_add(
        ticket=others_ticket, author=agent, body="Which setting?", public=True, now=now
    )
    return World(
        customer=User.objects.get(pk=customer.pk),
        other=other,
        agent=agent,
        second_agent=second_agent,
        open_ticket=open_ticket,
        solved_ticket=solved_ticket,
        email_ticket=email_ticket,
        question=question,
        review=review,
        rejected_review=rejected_review,
        report=report,
        others_ticket=others_ticket,
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


# The browser tests in this folder use the browser fixtures of tests/browser.
from tests.browser.conftest import browser, new_page  # noqa: E402, F401
