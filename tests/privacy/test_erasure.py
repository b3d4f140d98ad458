"""Erasure through the service: the person's data gone from every table, the statistics
whole, their open work closed with its clocks stopped, a fixed number of statements."""

from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.files.storage import default_storage
from rest_framework.authtoken.models import Token

from helpdesk.models import Notification, User
from sla.models import Clock, Event
from tests.factories import MessageFactory, TicketFactory, UserFactory
from tests.privacy.conftest import T0, build_world
from tickets import moderation
from tickets.email.models import EmailAttachment, EmailRecord
from tickets.models import (
    Erasure,
    Message,
    ModerationContest,
    ModerationDecision,
    Report,
    ReporterStanding,
    Ticket,
)
from tickets.privacy import ErasureError, user_erase
from tickets.redaction import REDACTED
from tickets.services import ticket_update

LATER = T0 + timedelta(days=3)
# What the customer is known by: none of it may be left anywhere after the erasure.
TRACES = ("carla", "diaz", "lilas", "europe/paris")
# Apps whose tables hold people's data (django_q holds task results; see docs).
SCANNED_APPS = {"helpdesk", "tickets", "sla", "escalation", "auth", "admin", "axes", "authtoken"}


def traces_left(*, exclude_user: int | None = None) -> list[str]:
    """Every text, JSON or bytes value in the scanned tables that still names the customer."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in SCANNED_APPS:
            continue
        for row in model.objects.values():
            for column, value in row.items():
                if isinstance(value, bytes | memoryview):
                    value = bytes(value).decode(errors="replace")
                text = str(value).lower()
                if any(trace in text for trace in TRACES):
                    found.append(f"{model._meta.label}.{column}={value!r:.80}")
    return found


def erase(user, now=LATER, **kwargs):
    with time_machine.travel(now, tick=False):
        return user_erase(user=user, now=now, **kwargs)


def test_nothing_names_the_customer_any_more_in_any_table(world):
    Token.objects.create(user=world.customer)
    assert traces_left()  # the scan finds them before

    erase(world.customer)

    assert traces_left() == []


def test_the_account_is_anonymised_and_cannot_log_in(world, client):
    Token.objects.create(user=world.customer)
    joined = world.customer.date_joined

    erasure = erase(world.customer)

    user = User.objects.get(pk=world.customer.pk)
    assert user.username == f"deleted-{user.pk}"
    assert (user.email, user.first_name, user.last_name, user.time_zone) == ("", "", "", "")
    assert not user.has_usable_password()
    assert not user.is_active
    assert user.last_login is None
    assert user.date_joined == joined
    assert not Token.objects.filter(user=user).exists()
    assert not Notification.objects.filter(user=user).exists()
    login = client.post("/login/", {"username": "carla", "password": "correct-horse-battery"})
    assert login.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
    assert erasure.user == user
    assert erasure.requested_by == user
    assert erasure.via == "web"
    assert erasure.created_at == LATER


def test_the_erasure_record_counts_and_holds_no_personal_data(world):
    erasure = erase(world.customer)

    assert erasure.counts == {
        "messages": 5,
        "emails": 1,
        "attachments": 1,
        "tickets": 7,
        "tickets_closed": 7,
        "content_withdrawn": 1,
        "report_contests": 0,
        "sanctions": 0,
        "notifications": 5,
        "tokens": 0,
    }
    assert not any(t in str(erasure.counts).lower() for t in TRACES)


def test_what_people_wrote_is_redacted_and_what_is_counted_is_kept(world):
    before = {
        t.pk: (t.kind, t.rating, t.moderation, t.outcome, t.reason, t.created_at, t.queue_id)
        for t in Ticket.objects.filter(requester=world.customer)
    }
    decisions = list(ModerationDecision.objects.values_list("decision", "reason", "decided_at"))
    generic_flags = list(Message.objects.order_by("pk").values_list("pk", "generic"))

    erase(world.customer)

    tickets = Ticket.objects.filter(requester=world.customer)
    assert {t.subject for t in tickets} == {REDACTED}
    assert {t.body for t in tickets} == {REDACTED}
    assert {t.purged_at for t in tickets} == {LATER}
    after = {
        t.pk: (t.kind, t.rating, t.moderation, t.outcome, t.reason, t.created_at, t.queue_id)
        for t in tickets
    }
    # The pending question is withdrawn from moderation; everything else is as it was.
    before[world.question.pk] = (
        *before[world.question.pk][:2],
        None,
        *before[world.question.pk][3:],
    )
    assert after == before
    replies = Message.objects.filter(ticket__requester=world.customer, kind="reply")
    assert {m.body for m in replies} == {REDACTED}  # agents' replies and notes too
    assert (
        list(ModerationDecision.objects.values_list("decision", "reason", "decided_at"))
        == decisions
    )
    assert set(ModerationDecision.objects.values_list("explanation", flat=True)) == {"", REDACTED}
    assert ModerationContest.objects.get().statement == REDACTED
    assert Report.objects.get().evidence_links == []
    kept = Message.objects.filter(pk__in=[pk for pk, _ in generic_flags])
    assert list(kept.order_by("pk").values_list("pk", "generic")) == generic_flags
    assert any(generic for _, generic in generic_flags)
    assert ReporterStanding.objects.get(user=world.customer).upheld == 1


def test_e_mail_headers_raw_data_and_attachment_files_are_removed(world):
    attachment = EmailAttachment.objects.get()
    path = attachment.file.name
    assert default_storage.exists(path)

    erase(world.customer)

    record = EmailRecord.objects.get(direction="in")
    assert record.rfc_message_id == f"removed-{record.pk}@invalid"
    assert (record.from_address, record.to_addresses, record.in_reply_to, record.references) == (
        "",
        "",
        "",
        "",
    )
    assert record.subject == REDACTED
    assert record.raw is None
    attachment.refresh_from_db()
    assert attachment.filename == REDACTED
    assert attachment.file.name == ""
    assert attachment.size > 0
    assert not default_storage.exists(path)


def test_open_tickets_are_closed_with_their_clocks_stopped_and_a_note(world):
    erase(world.customer)

    tickets = Ticket.objects.filter(requester=world.customer)
    assert set(tickets.values_list("status", flat=True)) == {"closed"}
    assert set(tickets.values_list("sla_due_at", flat=True)) == {None}
    assert not Clock.objects.filter(ticket__requester=world.customer).exclude(state="stopped")
    # Three days after the customer wrote again, the next-response clock (8 h) is late.
    answer = Clock.objects.get(ticket=world.open_ticket, metric="next_response")
    assert (answer.stopped_at, answer.breached, answer.breached_at) == (
        LATER,
        True,
        answer.due_at,
    )
    assert Event.objects.filter(clock=answer, kind="breach").count() == 1
    note = Message.objects.filter(ticket=world.open_ticket, kind="event").latest("pk")
    assert note.body == (
        "Status changed from open to closed: the requester's personal data was erased "
        "at their request."
    )
    assert not note.public
    assert note.created_at == LATER


def test_the_sla_report_is_the_same_before_and_after(world, api_client, settings):
    settings.ESCALATION_FIGURES_CACHE_SECONDS = 0
    manager = UserFactory(username="max", role="manager")
    # The agents settle the customer's open work first: the report counts what happened to
    # every clock, and an erasure must change none of it.
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        for ticket in (world.open_ticket, world.email_ticket):
            ticket_update(
                ticket=ticket, actor=world.agent, status="solved", now=T0 + timedelta(days=1)
            )
        settled = T0 + timedelta(days=1)
        moderation.content_moderate(
            ticket=world.question, moderator=world.agent, decision="publish", now=settled
        )
        moderation.question_answer(
            ticket=world.question, agent=world.agent, body="Yes, on 230 V.", now=settled
        )
    url = "/api/v1/sla/report/?since=2026-03-01T00:00:00Z&until=2026-03-05T00:00:00Z"
    before = api_client(manager).get(url).json()
    assert before["metrics"]["first_response"]["count"] == 4

    erase(world.customer)

    assert api_client(manager).get(url).json() == before


def test_the_other_customer_keeps_everything(world):
    before = list(Message.objects.filter(ticket=world.others_ticket).values())

    erase(world.customer)

    world.others_ticket.refresh_from_db()
    assert world.others_ticket.subject == "Otto's toaster"
    assert world.others_ticket.purged_at is None
    assert list(Message.objects.filter(ticket=world.others_ticket).values()) == before
    assert User.objects.get(pk=world.other.pk).email == "otto@example.com"


def test_agents_and_managers_are_not_erased_this_way(world):
    with pytest.raises(PermissionError, match="in the admin"):
        erase(world.agent)
    assert User.objects.get(pk=world.agent.pk).username == "alice"
    assert not Erasure.objects.exists()


def test_an_account_is_erased_once(world):
    erase(world.customer)

    with pytest.raises(ErasureError, match="erased already"):
        erase(world.customer)
    assert Erasure.objects.count() == 1


def test_a_taken_username_gets_a_suffix(world):
    UserFactory(username=f"deleted-{world.customer.pk}")

    erase(world.customer)

    name = User.objects.get(pk=world.customer.pk).username
    assert name.startswith(f"deleted-{world.customer.pk}-")
    assert len(name) == len(f"deleted-{world.customer.pk}-") + 8


def _customer_with(n: int) -> User:
    customer = UserFactory(username=f"many{n}", email=f"many{n}@example.com")
    agent = User.objects.get(username="alice")
    for i in range(n):
        ticket = TicketFactory(
            requester=customer, created_at=T0, status="open" if i % 2 else "closed"
        )
        MessageFactory(ticket=ticket, created_at=T0)
        MessageFactory(ticket=ticket, author=agent, created_at=T0)
    return customer


@pytest.mark.parametrize("n", [5, 200])
def test_a_fixed_number_of_statements_whatever_the_number_of_tickets(
    db, n, django_assert_num_queries
):
    build_world()
    customer = _customer_with(n)

    # 32 statements, and the SAVEPOINT and RELEASE of the service's transaction
    with django_assert_num_queries(34):
        erasure = erase(customer)

    assert erasure.counts["tickets"] == n
    assert erasure.counts["messages"] == 2 * n
    assert erasure.counts["tickets_closed"] == n // 2
