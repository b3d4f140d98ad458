"""Contract tests for tickets and messages (API.md, "Tickets")."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.factories import QueueFactory, TicketFactory, UserFactory
from tickets.models import Message, Ticket
from tickets.services import ticket_create, ticket_reply_add, ticket_update

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW_JSON = "2026-03-02T09:00:00Z"
UNSTORABLE = ["Null characters and unpaired surrogates are not allowed."]


def _ticket(requester, *, minutes=0, **kwargs):
    return ticket_create(
        requester=requester,
        subject=kwargs.pop("subject", "Kettle"),
        body=kwargs.pop("body", "It leaks."),
        now=NOW + timedelta(minutes=minutes),
        **kwargs,
    )


def _ids(response):
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def queue(db):
    return QueueFactory(slug="billing", name="Billing")


# --- create -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_customer_creates_a_ticket(api_client, customer, queue):
    with time_machine.travel(NOW, tick=False):
        response = api_client(customer).post(
            "/api/v1/tickets/",
            {"subject": "Kettle", "body": "It leaks.", "queue": "billing", "priority": "high"},
        )

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json() == {
        "id": ticket.pk,
        "kind": "support",
        "subject": "Kettle",
        "body": "It leaks.",
        "status": "open",
        "priority": "high",
        "queue": "billing",
        "requester": customer.pk,
        "assignee": None,
        "created_at": NOW_JSON,
        "updated_at": NOW_JSON,
        "moderation": None,
        "outcome": None,
        "product": None,
        "rating": None,
        "target_url": "",
        "reason": "",
        "sla": [
            {
                "metric": metric,
                "state": "running",
                "breached": False,
                "started_at": NOW_JSON,
                "due_at": due,
                "warn_at": warn,
                "stopped_at": None,
                "breached_at": None,
            }
            for metric, due, warn in [
                ("first_response", "2026-03-02T13:00:00Z", "2026-03-02T12:00:00Z"),
                ("answer", "2026-03-03T09:00:00Z", "2026-03-03T03:00:00Z"),
                ("resolution", "2026-03-05T09:00:00Z", "2026-03-04T15:00:00Z"),
            ]
        ],
        "channel": "api",
        "requester_username": "carla",
    }
    assert (ticket.channel, ticket.queue, ticket.requester) == ("api", queue, customer)


@pytest.mark.django_db
def test_create_defaults(api_client, customer):
    response = api_client(customer).post("/api/v1/tickets/", {"subject": "K", "body": "L"})

    assert response.status_code == 201
    body = response.json()
    assert (body["priority"], body["queue"], body["status"]) == ("normal", None, "open")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"body": "x"}, {"subject": ["This field is required."]}),
        ({"subject": "", "body": "x"}, {"subject": ["This field may not be blank."]}),
        ({"subject": "   ", "body": "x"}, {"subject": ["This field may not be blank."]}),
        (
            {"subject": "s" * 201, "body": "x"},
            {"subject": ["Ensure this field has no more than 200 characters."]},
        ),
        (
            {"subject": "s", "body": "b" * 20_001},
            {"body": ["Ensure this field has no more than 20000 characters."]},
        ),
        ({"subject": "s", "body": 5}, {"body": ["Not a valid string."]}),
        ({"subject": "s", "body": "b", "queue": 1}, {"queue": ["Not a valid string."]}),
        ({"subject": "s", "body": ["x"]}, {"body": ["Not a valid string."]}),
        (
            {"subject": "s", "body": "b", "priority": "asap"},
            {"priority": ['"asap" is not a valid choice.']},
        ),
        (
            {"subject": "s", "body": "b", "queue": "nope"},
            {"queue": ["Object with slug=nope does not exist."]},
        ),
        ({"subject": "s", "body": "b", "status": "closed"}, {"status": ["Unknown field."]}),
        ({"subject": "s\x00", "body": "b"}, {"subject": UNSTORABLE}),
    ],
)
def test_create_validation(api_client, customer, payload, errors):
    response = api_client(customer).post("/api/v1/tickets/", payload)

    assert response.status_code == 400
    fields = ", ".join(sorted(errors))
    assert response.json() == {"detail": f"Invalid input: {fields}.", **errors}
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_create_bounds_are_inclusive(api_client, customer):
    response = api_client(customer).post(
        "/api/v1/tickets/", {"subject": "s" * 200, "body": "b" * 20_000}
    )

    assert response.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\u0000"])
def test_create_rejects_lone_surrogates_and_nul(api_client, customer, escape):
    raw = f'{{"subject": "Kettle", "body": "It leaks {escape} badly."}}'

    response = api_client(customer).post("/api/v1/tickets/", raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input: body.", "body": UNSTORABLE}
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_surrogate_pair_is_an_ordinary_character(api_client, customer):
    raw = '{"subject": "Kettle \\ud83d\\ude00", "body": "b"}'

    response = api_client(customer).post("/api/v1/tickets/", raw, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["subject"] == "Kettle \U0001f600"


@pytest.mark.django_db
def test_malformed_json_is_a_400(api_client, customer):
    response = api_client(customer).post(
        "/api/v1/tickets/", '{"subject": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


@pytest.mark.django_db
def test_body_must_be_an_object(api_client, customer):
    response = api_client(customer).post("/api/v1/tickets/", ["x"], format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: non_field_errors.",
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "manager"])
def test_agents_and_managers_do_not_open_tickets(api_client, role):
    user = UserFactory(username=f"u-{role}", role=role)

    response = api_client(user).post("/api/v1/tickets/", {"subject": "K", "body": "L"})

    assert response.status_code == 403
    assert response.json() == {"detail": "Only customers can do this."}


# --- list ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_customers_list_their_own_tickets(api_client, customer, other_customer):
    mine = [_ticket(customer, minutes=m) for m in (1, 2)]
    _ticket(other_customer, minutes=3)

    response = api_client(customer).get("/api/v1/tickets/")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert _ids(response) == [mine[1].pk, mine[0].pk]  # newest first


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "manager"])
def test_agents_and_managers_list_all_tickets(api_client, customer, other_customer, role):
    first = _ticket(customer, minutes=1)
    second = _ticket(other_customer, minutes=2)
    user = UserFactory(username=f"u-{role}", role=role)

    response = api_client(user).get("/api/v1/tickets/")

    assert _ids(response) == [second.pk, first.pk]
    row = response.json()["results"][1]
    assert row["requester"] == customer.pk
    assert row["created_at"] == "2026-03-02T09:01:00Z"


@pytest.mark.django_db
def test_list_is_paginated_by_25(api_client, agent, customer):
    tickets = [_ticket(customer, minutes=m) for m in range(27)]

    first = api_client(agent).get("/api/v1/tickets/")
    second = api_client(agent).get("/api/v1/tickets/", {"page": 2})
    beyond = api_client(agent).get("/api/v1/tickets/", {"page": 3})

    assert first.json()["count"] == 27
    assert len(first.json()["results"]) == 25
    assert first.json()["next"] == "http://testserver/api/v1/tickets/?page=2"
    assert first.json()["previous"] is None
    assert _ids(second) == [tickets[1].pk, tickets[0].pk]
    assert second.json()["next"] is None
    assert second.json()["previous"] == "http://testserver/api/v1/tickets/"
    assert beyond.status_code == 404
    assert beyond.json() == {"detail": "Invalid page."}


@pytest.mark.django_db
def test_page_size_is_capped_at_100(api_client, agent, customer):
    TicketFactory.create_batch(101, requester=customer)

    response = api_client(agent).get("/api/v1/tickets/", {"page_size": 1000})

    assert len(response.json()["results"]) == 100


@pytest.fixture
def varied(customer, other_customer, agent, queue):
    """Five tickets differing in kind, status, queue, assignee and moderation."""
    t = {
        "plain": _ticket(customer, minutes=1),
        "queued": _ticket(customer, minutes=2, queue=queue),
        "assigned": _ticket(other_customer, minutes=3),
        "question": TicketFactory(
            requester=customer, kind="question", moderation="pending", created_at=NOW
        ),
        "review": TicketFactory(
            requester=customer,
            kind="review",
            moderation="published",
            rating=4,
            created_at=NOW + timedelta(minutes=4),
        ),
    }
    ticket_update(ticket=t["assigned"], actor=agent, assignee=agent, status="pending", now=NOW)
    return t


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "support"}, ["assigned", "queued", "plain"]),
        ({"kind": "review"}, ["review"]),
        ({"status": "pending"}, ["assigned"]),
        ({"status": "open", "queue": "billing"}, ["queued"]),
        ({"queue": "nope"}, []),
        ({"moderation": "pending"}, ["question"]),
        ({"moderation": "null"}, ["assigned", "queued", "plain"]),
        ({"breached": "true"}, []),
        ({"breached": "false"}, ["review", "assigned", "queued", "plain", "question"]),
        # Earliest running due time first; the question and review have no clock: last.
        ({"ordering": "due_at"}, ["plain", "queued", "assigned", "question", "review"]),
        ({"ordering": "created_at", "kind": "support"}, ["plain", "queued", "assigned"]),
    ],
)
def test_list_filters(api_client, agent, varied, params, expected):
    response = api_client(agent).get("/api/v1/tickets/", params)

    assert response.status_code == 200
    assert _ids(response) == [varied[name].pk for name in expected]


@pytest.mark.django_db
def test_breached_filter_and_due_ordering_follow_the_sweep(api_client, agent, customer):
    from sla.sweep import sweep

    late = _ticket(customer, minutes=0)
    soon = _ticket(customer, minutes=200)
    sweep(now=NOW + timedelta(minutes=241))  # late's first response (due 13:00) is breached

    breached = api_client(agent).get("/api/v1/tickets/", {"breached": "true"})
    fine = api_client(agent).get("/api/v1/tickets/", {"breached": "false"})
    by_due = api_client(agent).get("/api/v1/tickets/", {"ordering": "due_at"})

    assert _ids(breached) == [late.pk]
    assert _ids(fine) == [soon.pk]
    assert _ids(by_due) == [late.pk, soon.pk]
    first = breached.json()["results"][0]["sla"][0]
    assert (first["metric"], first["breached"], first["breached_at"]) == (
        "first_response",
        True,
        "2026-03-02T13:00:00Z",
    )


@pytest.mark.django_db
def test_filter_by_assignee(api_client, agent, manager, varied):
    by_agent = api_client(manager).get("/api/v1/tickets/", {"assignee": agent.pk})
    by_manager = api_client(manager).get("/api/v1/tickets/", {"assignee": manager.pk})

    assert _ids(by_agent) == [varied["assigned"].pk]
    assert _ids(by_manager) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"kind": "SUPPORT"}, "kind"),
        ({"ordering": "-due_at"}, "ordering"),
        ({"assignee": "abc"}, "assignee"),
        ({"assignee": "0"}, "assignee"),
        ({"assignee": str(2**63)}, "assignee"),
        ({"assignee": "9" * 40}, "assignee"),
        ({"moderation": "maybe"}, "moderation"),
        ({"breached": "1"}, "breached"),
        ({"breached": "yes"}, "breached"),
        ({"queue": "q" * 51}, "queue"),
    ],
)
def test_invalid_filter_values_are_a_400_naming_the_filter(api_client, agent, params, field):
    response = api_client(agent).get("/api/v1/tickets/", params)

    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["detail", field]
    assert body["detail"] == f"Invalid input: {field}."


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "queue=%00",
        "status=open%00",
        "kind=%00",
        "assignee=1%00",
        "moderation=%00",
        "ordering=due_at%00",
        "page=%00",
        "x%00=1",
    ],
)
def test_nul_in_the_query_string_is_a_400(api_client, agent, customer, query):
    _ticket(customer)

    response = api_client(agent).get(f"/api/v1/tickets/?{query}")

    assert response.status_code == 400
    assert list(response.json().values())[1] == UNSTORABLE


@pytest.mark.django_db
def test_invalid_utf8_in_the_query_string_is_not_a_500(api_client, agent):
    response = api_client(agent).get("/api/v1/tickets/?queue=%ED%A0%80")

    assert response.status_code == 200
    assert response.json()["count"] == 0


# --- detail -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requester_reads_their_ticket(api_client, customer):
    ticket = _ticket(customer)

    response = api_client(customer).get(f"/api/v1/tickets/{ticket.pk}/")

    assert response.status_code == 200
    assert response.json()["id"] == ticket.pk
    assert response.json()["created_at"] == NOW_JSON
    assert response.json()["channel"] == "web"


@pytest.mark.django_db
def test_other_customer_gets_404(api_client, customer, other_customer):
    ticket = _ticket(customer)

    response = api_client(other_customer).get(f"/api/v1/tickets/{ticket.pk}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such ticket."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ticket_id",
    ["abc", "1.0", "-1", "0", "\u0661", str(2**63 - 1), str(2**63), "9" * 100, "%00", "1%00"],
)
@pytest.mark.parametrize("suffix", ["", "messages/"])
def test_malformed_or_huge_ids_are_a_json_404(api_client, agent, ticket_id, suffix):
    response = api_client(agent).get(f"/api/v1/tickets/{ticket_id}/{suffix}")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such ticket."}


@pytest.mark.django_db
def test_put_and_delete_are_not_allowed(api_client, agent, customer):
    ticket = _ticket(customer)
    client = api_client(agent)

    assert client.put(f"/api/v1/tickets/{ticket.pk}/", {}).status_code == 405
    assert client.delete(f"/api/v1/tickets/{ticket.pk}/").status_code == 405


# --- update -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_agent_updates_a_ticket(api_client, agent, customer, queue):
    ticket = _ticket(customer)
    later = NOW + timedelta(hours=1)

    with time_machine.travel(later, tick=False):
        response = api_client(agent).patch(
            f"/api/v1/tickets/{ticket.pk}/",
            {"status": "pending", "priority": "urgent", "assignee": agent.pk, "queue": "billing"},
        )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["priority"], body["assignee"], body["queue"]) == (
        "pending",
        "urgent",
        agent.pk,
        "billing",
    )
    assert (body["created_at"], body["updated_at"]) == (NOW_JSON, "2026-03-02T10:00:00Z")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee, ticket.queue) == (
        "pending",
        "urgent",
        agent,
        queue,
    )
    assert list(ticket.messages.values_list("kind", "public", "body")) == [
        ("event", False, "Status changed from open to pending."),
        ("event", False, "Priority changed from normal to urgent."),
        ("event", False, f"Assigned to {agent.display_name}."),
        ("event", False, "Moved to queue Billing."),
    ]


@pytest.mark.django_db
def test_null_unassigns_and_clears_the_queue(api_client, agent, customer, queue):
    ticket = _ticket(customer, queue=queue)
    ticket_update(ticket=ticket, actor=agent, assignee=agent, now=NOW)

    response = api_client(agent).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"assignee": None, "queue": None}
    )

    assert response.status_code == 200
    assert (response.json()["assignee"], response.json()["queue"]) == (None, None)
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.queue) == (None, None)


@pytest.mark.django_db
def test_an_empty_patch_changes_nothing(api_client, agent, customer):
    ticket = _ticket(customer)

    response = api_client(agent).patch(f"/api/v1/tickets/{ticket.pk}/", {})

    assert response.status_code == 200
    assert response.json()["updated_at"] == NOW_JSON
    assert not ticket.messages.exists()


@pytest.mark.django_db
def test_manager_may_be_assigned(api_client, manager, customer):
    ticket = _ticket(customer)

    response = api_client(manager).patch(f"/api/v1/tickets/{ticket.pk}/", {"assignee": manager.pk})

    assert response.json()["assignee"] == manager.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"assignee": "customer"}, "assignee", None),
        ({"assignee": 10**6}, "assignee", 'Invalid pk "1000000" - object does not exist.'),
        ({"assignee": 2**64}, "assignee", f'Invalid pk "{2**64}" - object does not exist.'),
        ({"assignee": -1}, "assignee", 'Invalid pk "-1" - object does not exist.'),
        ({"assignee": 1.5}, "assignee", "Must be an integer."),
        ({"assignee": True}, "assignee", "Must be an integer."),
        ({"assignee": "x"}, "assignee", "Must be an integer."),
        ({"assignee": "1"}, "assignee", "Must be an integer."),
        ({"status": 1}, "status", "Not a valid string."),
        ({"status": "done"}, "status", '"done" is not a valid choice.'),
        ({"priority": None}, "priority", "This field may not be null."),
        ({"queue": "nope"}, "queue", "Object with slug=nope does not exist."),
        ({"subject": "new"}, "subject", "Unknown field."),
        ({"queue": "\x00"}, "queue", UNSTORABLE[0]),
    ],
)
def test_update_validation(api_client, agent, customer, payload, field, message):
    ticket = _ticket(customer)
    if payload.get("assignee") == "customer":
        payload = {"assignee": customer.pk}
        message = f"User {customer.pk} is not an agent."

    response = api_client(agent).patch(f"/api/v1/tickets/{ticket.pk}/", payload)

    assert response.status_code == 400
    assert response.json() == {"detail": f"Invalid input: {field}.", field: [message]}
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == ("open", None)


@pytest.mark.django_db
def test_requester_cannot_update_their_own_ticket(api_client, customer):
    ticket = _ticket(customer)

    response = api_client(customer).patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "closed"})

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only agents change a ticket's status, priority, assignee or queue."
    }
    ticket.refresh_from_db()
    assert ticket.status == "open"


@pytest.mark.django_db
def test_other_customer_patch_is_a_404(api_client, customer, other_customer):
    ticket = _ticket(customer)

    response = api_client(other_customer).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"status": "closed"}
    )

    assert response.status_code == 404


# --- messages -----------------------------------------------------------------------------


@pytest.fixture
def conversation(customer, agent):
    """A ticket with a customer message, an agent reply, an internal note and an event."""
    ticket = _ticket(customer)
    ticket_reply_add(ticket=ticket, author=customer, body="Any news?", public=True, now=NOW)
    ticket_reply_add(ticket=ticket, author=agent, body="On it.", public=True, now=NOW)
    ticket_reply_add(ticket=ticket, author=agent, body="Faulty batch.", public=False, now=NOW)
    ticket_update(ticket=ticket, actor=agent, priority="high", now=NOW)
    return ticket


@pytest.mark.django_db
def test_agents_see_the_reply_quality_verdict_customers_do_not(api_client, agent, conversation):
    response = api_client(agent).get(f"/api/v1/tickets/{conversation.pk}/messages/")

    on_it = response.json()["results"][1]
    assert (on_it["body"], on_it["generic"]) == ("On it.", True)
    assert on_it["generic_reasons"] == ["Shares no key term with the question: 'leaks'"]


@pytest.mark.django_db
def test_customer_sees_public_messages_only(api_client, customer, agent, conversation):
    response = api_client(customer).get(f"/api/v1/tickets/{conversation.pk}/messages/")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    first, second = conversation.messages.filter(public=True)
    assert body["results"] == [
        {
            "id": first.pk,
            "author": customer.pk,
            "body": "Any news?",
            "public": True,
            "created_at": NOW_JSON,
            "generic": None,
            "generic_reasons": [],
            "channel": "web",
            "kind": "reply",
        },
        {
            "id": second.pk,
            "author": agent.pk,
            "body": "On it.",
            "public": True,
            "created_at": NOW_JSON,
            "generic": None,
            "generic_reasons": [],
            "channel": "web",
            "kind": "reply",
        },
    ]


@pytest.mark.django_db
def test_agent_sees_notes_and_events(api_client, agent, conversation):
    response = api_client(agent).get(f"/api/v1/tickets/{conversation.pk}/messages/")

    assert [(m["body"], m["public"], m["kind"]) for m in response.json()["results"]] == [
        ("Any news?", True, "reply"),
        ("On it.", True, "reply"),
        ("Faulty batch.", False, "reply"),
        ("Priority changed from normal to high.", False, "event"),
    ]


@pytest.mark.django_db
def test_messages_are_paginated(api_client, agent, customer):
    ticket = _ticket(customer)
    for n in range(26):
        ticket_reply_add(ticket=ticket, author=customer, body=f"m{n}", public=True, now=NOW)

    response = api_client(agent).get(f"/api/v1/tickets/{ticket.pk}/messages/", {"page": 2})

    assert response.json()["count"] == 26
    assert [m["body"] for m in response.json()["results"]] == ["m25"]


@pytest.mark.django_db
def test_customer_replies(api_client, customer):
    ticket = _ticket(customer)

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        response = api_client(customer).post(
            f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Still leaking."}
        )

    assert response.status_code == 201
    message = Message.objects.get()
    assert response.json() == {
        "id": message.pk,
        "author": customer.pk,
        "body": "Still leaking.",
        "public": True,
        "created_at": "2026-03-02T09:05:00Z",
        "generic": None,
        "generic_reasons": [],
        "channel": "api",
        "kind": "reply",
    }
    ticket.refresh_from_db()
    assert ticket.updated_at == NOW + timedelta(minutes=5)


@pytest.mark.django_db
def test_customer_cannot_write_an_internal_note(api_client, customer):
    ticket = _ticket(customer)

    response = api_client(customer).post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "psst", "public": False}
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: public.",
        "public": ["Only agents write internal notes."],
    }
    assert not Message.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["pending", "solved"])
def test_requester_message_reopens_the_ticket(api_client, customer, agent, status):
    ticket = _ticket(customer)
    ticket_update(ticket=ticket, actor=agent, status=status, now=NOW)

    response = api_client(customer).post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Not fixed."}
    )

    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert api_client(customer).get(f"/api/v1/tickets/{ticket.pk}/").json()["status"] == "open"


@pytest.mark.django_db
def test_agent_reply_does_not_reopen(api_client, customer, agent):
    ticket = _ticket(customer)
    ticket_update(ticket=ticket, actor=agent, status="pending", now=NOW)

    api_client(agent).post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Any news?"})

    ticket.refresh_from_db()
    assert ticket.status == "pending"


@pytest.mark.django_db
def test_agent_writes_an_internal_note(api_client, customer, agent):
    ticket = _ticket(customer)

    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Check the batch.", "public": False}
    )

    assert response.status_code == 201
    assert (response.json()["public"], response.json()["author"]) == (False, agent.pk)
    listed = api_client(customer).get(f"/api/v1/tickets/{ticket.pk}/messages/")
    assert listed.json()["count"] == 0


@pytest.mark.django_db
def test_customer_message_on_a_closed_ticket_is_a_409(api_client, customer, agent):
    ticket = _ticket(customer)
    ticket_update(ticket=ticket, actor=agent, status="closed", now=NOW)

    response = api_client(customer).post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Hello?"}
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "This ticket is closed; please open a new one."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"body": ["This field is required."]}),
        ({"body": ""}, {"body": ["This field may not be blank."]}),
        (
            {"body": "b" * 20_001},
            {"body": ["Ensure this field has no more than 20000 characters."]},
        ),
        ({"body": "b", "public": "maybe"}, {"public": ["Must be a boolean (true or false)."]}),
        ({"body": "b", "author": 1}, {"author": ["Unknown field."]}),
        ({"body": "b\x00"}, {"body": UNSTORABLE}),
    ],
)
def test_message_validation(api_client, customer, payload, errors):
    ticket = _ticket(customer)

    response = api_client(customer).post(f"/api/v1/tickets/{ticket.pk}/messages/", payload)

    assert response.status_code == 400
    fields = ", ".join(sorted(errors))
    assert response.json() == {"detail": f"Invalid input: {fields}.", **errors}


@pytest.mark.django_db
def test_other_customer_cannot_read_or_post_messages(api_client, customer, other_customer):
    ticket = _ticket(customer)
    client = api_client(other_customer)

    listed = client.get(f"/api/v1/tickets/{ticket.pk}/messages/")
    posted = client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "hi"})

    assert (listed.status_code, posted.status_code) == (404, 404)
    assert not Message.objects.exists()


# --- query counts -------------------------------------------------------------------------

# count + page (with queue, requester, assignee and product joined). The SLA engine adds one
# prefetch for the clocks of the page.
TICKET_LIST_QUERIES = 3
# the ticket + count + page (authors joined) + the agent's view in the audit log
MESSAGE_LIST_QUERIES = 4


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [5, 200])
def test_ticket_list_query_count_is_fixed(api_client, django_assert_num_queries, agent, rows):
    queues = QueueFactory.create_batch(3)
    requesters = UserFactory.create_batch(3)
    for n in range(rows):
        TicketFactory(
            requester=requesters[n % 3], queue=queues[n % 3], assignee=agent if n % 2 else None
        )
    client = api_client(agent)

    with django_assert_num_queries(TICKET_LIST_QUERIES):
        response = client.get("/api/v1/tickets/", {"page_size": 100})

    assert len(response.json()["results"]) == min(rows, 100)


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [5, 200])
def test_customer_ticket_list_query_count_is_fixed(
    api_client, django_assert_num_queries, customer, rows
):
    TicketFactory.create_batch(rows, requester=customer)
    client = api_client(customer)

    with django_assert_num_queries(TICKET_LIST_QUERIES):
        client.get("/api/v1/tickets/", {"page_size": 100, "status": "open"})


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [5, 200])
def test_message_list_query_count_is_fixed(
    api_client, django_assert_num_queries, customer, agent, rows
):
    ticket = _ticket(customer)
    for n in range(rows):
        author = agent if n % 2 else customer
        ticket_reply_add(ticket=ticket, author=author, body=f"m{n}", public=True, now=NOW)
    client = api_client(agent)

    with django_assert_num_queries(MESSAGE_LIST_QUERIES):
        response = client.get(f"/api/v1/tickets/{ticket.pk}/messages/", {"page_size": 100})

    assert len(response.json()["results"]) == min(rows, 100)


# the ticket, the SLA policies, its clocks, its due time; the request's transaction and the
# service's savepoint (savepoints here: the test is a transaction) add 4; nothing read back
TICKET_CREATE_QUERIES = 8


@pytest.mark.django_db
def test_creating_a_ticket_reads_nothing_back(api_client, customer, django_assert_num_queries):
    client = api_client(customer)

    with django_assert_num_queries(TICKET_CREATE_QUERIES):
        created = client.post("/api/v1/tickets/", {"subject": "Kettle", "body": "It leaks."})

    assert created.status_code == 201
    shown = client.get(f"/api/v1/tickets/{created.json()['id']}/").json()
    assert created.json() == shown
    assert [c["metric"] for c in created.json()["sla"]] == [
        "first_response",
        "answer",
        "resolution",
    ]
