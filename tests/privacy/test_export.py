"""The export: everything about the caller, nothing about anyone else, in a fixed number of
queries, as a download from the page and from the API."""

import json
from datetime import timedelta

import pytest
import time_machine

from tests.factories import MessageFactory, TicketFactory, UserFactory
from tests.privacy.conftest import SECRET_WORDS, T0, build_world
from tickets.models import Message, Ticket

LATER = T0 + timedelta(days=1)


def download(client, url="/account/data/export/"):
    with time_machine.travel(LATER, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response, json.loads(b"".join(response.streaming_content))


def test_the_page_download_is_an_attachment_named_with_the_date(world, client):
    client.force_login(world.customer)

    response, data = download(client)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    # The customer's time zone is Europe/Paris: still 2026-03-03 there at 10:00 (UTC+1).
    assert response["Content-Disposition"] == 'attachment; filename="helpdesk-data-2026-03-03.json"'
    assert response["Cache-Control"] == "no-store"
    assert data["account"]["username"] == "carla"


def test_the_export_holds_the_account_and_every_kind_of_record(world, client):
    client.force_login(world.customer)

    _, data = download(client)

    assert list(data) == [
        "format",
        "exported_at",
        "account",
        "moderation_contests",
        "report_decisions_on_your_content",
        "report_contests",
        "report_sanctions",
        "report_limits",
        "tickets",
        "emails_you_sent",
        "notifications",
    ]
    assert data["exported_at"] == "2026-03-03T09:00:00Z"
    account = data["account"]
    assert {k: account[k] for k in ("username", "email", "first_name", "last_name", "role")} == {
        "username": "carla",
        "email": "carla@example.com",
        "first_name": "Carla",
        "last_name": "Diaz",
        "role": "customer",
    }
    assert account["time_zone"] == "Europe/Paris"
    assert account["date_joined"] and "last_login" in account
    kinds = [t["kind"] for t in data["tickets"]]
    assert sorted(kinds) == [
        "question",
        "report",
        "review",
        "review",
        "support",
        "support",
        "support",
    ]
    assert [t["id"] for t in data["tickets"]] == sorted(t["id"] for t in data["tickets"])
    assert data["report_limits"] == {
        "upheld": 1,
        "rejected": 0,
        "limit": 73,
        "window_seconds": 3600,
        "trusted_flagger": False,
        "warned_at": None,
        "suspended_until": None,
        "suspension_reason": "",
    }
    assert [c["statement"] for c in data["moderation_contests"]] == [
        f"It is my own address, {SECRET_WORDS}"
    ]
    assert {n["text"] for n in data["notifications"]} >= {f"Hello {SECRET_WORDS}"}


def test_a_ticket_has_its_public_conversation_promises_and_decisions(world, client):
    client.force_login(world.customer)

    _, data = download(client)

    tickets = {t["id"]: t for t in data["tickets"]}
    ticket = tickets[world.open_ticket.pk]
    assert ticket["subject"] == f"Refund for {SECRET_WORDS}"
    assert [(m["from"], m["body"]) for m in ticket["messages"]] == [
        ("Alice Martin", f"Dear {SECRET_WORDS}"),
        ("you", f"Still {SECRET_WORDS}"),
    ]  # never the internal note
    assert {c["metric"] for c in ticket["sla_promises"]} == {
        "first_response",
        "answer",
        "resolution",
        "next_response",
    }
    first = next(c for c in ticket["sla_promises"] if c["metric"] == "first_response")
    assert first["started_at"] == "2026-03-02T09:00:00Z"
    assert first["promised_by"] == "2026-03-02T13:00:00Z"
    rejected = tickets[world.rejected_review.pk]
    assert [(d["decision"], d["reason"]) for d in rejected["moderation_decisions"]] == [
        ("reject", "personal_data")
    ]
    report = tickets[world.report.pk]["report"]
    assert report["evidence_links"] == ["https://photos.example.com/carla-diaz"]
    assert report["decision"]["outcome"] == "upheld"
    assert "photos are the reporter's" in report["decision"]["statement"]
    assert tickets[world.solved_ticket.pk]["assigned_to"] is None


def test_the_e_mail_the_customer_sent_with_its_headers_and_attachment(world, client):
    client.force_login(world.customer)

    _, data = download(client)

    [mail] = data["emails_you_sent"]
    assert mail["message_id"] == "order-1@mail.example.com"
    assert mail["from"] == "carla@example.com"
    assert mail["subject"] == f"Order for {SECRET_WORDS}"
    assert mail["ticket"] == world.email_ticket.pk
    assert mail["attachments"] == [
        {"filename": "invoice-carla.txt", "content_type": "text/plain", "size": 40}
    ]


def test_nothing_of_another_customer_or_of_internal_notes(world, client):
    client.force_login(world.customer)

    _, data = download(client)

    text = json.dumps(data)
    assert "otto" not in text.lower()
    assert "toaster" not in text.lower()
    assert "Note on" not in text  # the agent's internal note
    assert '"alice"' not in text  # the agent's username: only their display name shows
    assert "Alice Martin" in text


def test_the_api_export_for_a_customer_and_for_an_agent(world, api_client):
    response, data = download(api_client(world.customer), "/api/v1/me/export/")
    assert response["Content-Disposition"].startswith('attachment; filename="helpdesk-data-')
    assert data["account"]["username"] == "carla"
    assert len(data["tickets"]) == 7

    _, data = download(api_client(world.agent), "/api/v1/me/export/")
    assert data["account"]["username"] == "alice"
    assert data["account"]["role"] == "agent"
    assert data["tickets"] == []  # an agent's replies belong to the customers' tickets


def test_anonymous_gets_401_from_the_api_and_the_login_page_from_the_site(db, client):
    assert client.get("/api/v1/me/export/").status_code == 401
    response = client.get("/account/data/export/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def _customer_with(n: int):
    customer = UserFactory(username=f"big{n}", email=f"big{n}@example.com")
    agent = UserFactory(username="agent-x", role="agent")
    tickets = TicketFactory.create_batch(n, requester=customer, created_at=T0)
    for ticket in tickets:
        MessageFactory(ticket=ticket, created_at=T0)
        MessageFactory(ticket=ticket, author=agent, created_at=T0)
    return customer


@pytest.mark.parametrize("n", [5, 200])
def test_a_fixed_number_of_queries_whatever_the_number_of_tickets(
    db, client, n, django_assert_num_queries
):
    build_world()
    customer = _customer_with(n)
    client.force_login(customer)

    # session, user, then one query per kind of record (13), the stream read to its end
    with django_assert_num_queries(15), time_machine.travel(LATER, tick=False):
        response = client.get("/account/data/export/")
        data = json.loads(b"".join(response.streaming_content))

    assert len(data["tickets"]) == n
    assert sum(len(t["messages"]) for t in data["tickets"]) == 2 * n


def test_ten_thousand_tickets_stream_in_chunks(db, client):
    customer = UserFactory(username="heavy", email="heavy@example.com")
    Ticket.objects.bulk_create(
        Ticket(requester=customer, subject=f"T{i}", body="x" * 200, created_at=T0, updated_at=T0)
        for i in range(10_000)
    )
    Message.objects.bulk_create(
        Message(ticket_id=pk, author=customer, body="y" * 200, created_at=T0)
        for pk in Ticket.objects.filter(requester=customer).values_list("pk", flat=True)
    )
    client.force_login(customer)

    response = client.get("/account/data/export/")
    chunks = list(response.streaming_content)

    assert len(chunks) > 20  # streamed, not built whole in memory
    assert max(len(c) for c in chunks) < 80_000
    data = json.loads(b"".join(chunks))
    assert len(data["tickets"]) == 10_000
    assert all(len(t["messages"]) == 1 for t in data["tickets"])
