"""The server-rendered UI: who sees which page, forms, htmx swaps and escaping."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from helpdesk.models import User
from tests.factories import PASSWORD, QueueFactory, TicketFactory
from tickets.models import Message, Ticket
from tickets.services import ticket_create, ticket_reply_add, ticket_update

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}
DETAILS_OOB = 'id="ticket-details" class="card" aria-labelledby="details-title" hx-swap-oob="true"'
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def ticket(customer):
    return ticket_create(
        requester=customer, subject="Kettle leaks", body="It leaks from the base.", now=NOW
    )


@pytest.fixture
def conversation(ticket, customer, agent):
    """A public agent reply, an internal note and an event on the ticket."""
    ticket_reply_add(ticket=ticket, author=agent, body="Please send a photo.", public=True, now=NOW)
    ticket_reply_add(
        ticket=ticket, author=agent, body="Looks like batch 42 again.", public=False, now=NOW
    )
    ticket_update(ticket=ticket, actor=agent, priority=Ticket.Priority.HIGH, now=NOW)
    return ticket


# --- access -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "with_ticket"),
    [
        ("my_tickets", False),
        ("ticket_new", False),
        ("ticket_detail", True),
        ("agent_queue", False),
        ("agent_ticket", True),
    ],
)
def test_anonymous_visitor_is_sent_to_login(ticket, name, with_ticket):
    url = reverse(name, args=[ticket.pk] if with_ticket else [])

    response = client_for(None).get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.django_db
def test_home_sends_each_role_to_its_start_page(customer, agent, manager):
    assert client_for(None).get("/")["Location"] == "/login/"
    assert client_for(customer).get("/")["Location"] == "/tickets/"
    assert client_for(agent).get("/")["Location"] == "/agent/"
    assert client_for(manager).get("/")["Location"] == "/agent/"


@pytest.mark.django_db
def test_login_and_signup_pages_render(client):
    login = client.get("/login/")
    signup = client.get("/signup/")

    assert login.status_code == 200
    assert b"Sign in" in login.content
    assert signup.status_code == 200
    assert b"Create an account" in signup.content


@pytest.mark.django_db
def test_customer_gets_404_on_another_customers_ticket(ticket, other_customer):
    client = client_for(other_customer)

    assert client.get(reverse("ticket_detail", args=[ticket.pk])).status_code == 404
    assert (
        client.post(reverse("ticket_detail", args=[ticket.pk]), {"body": "hi"}).status_code == 404
    )
    assert Message.objects.filter(ticket=ticket).count() == 0


@pytest.mark.django_db
def test_customer_gets_404_on_agent_pages(ticket, customer):
    client = client_for(customer)

    assert client.get(reverse("agent_queue")).status_code == 404
    assert client.get(reverse("agent_ticket", args=[ticket.pk])).status_code == 404
    response = client.post(reverse("agent_ticket_update", args=[ticket.pk]), {"status": "closed"})
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


@pytest.mark.django_db
def test_unknown_ticket_is_404(agent, customer):
    assert client_for(agent).get("/agent/tickets/999999/").status_code == 404
    assert client_for(customer).get("/tickets/99999999999999999999999/").status_code == 404


@pytest.mark.django_db
def test_agent_opening_the_customer_url_lands_on_the_agent_page(ticket, agent):
    response = client_for(agent).get(reverse("ticket_detail", args=[ticket.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("agent_ticket", args=[ticket.pk])


@pytest.mark.django_db
def test_nav_depends_on_role(customer, agent, manager):
    customer_page = client_for(customer).get("/tickets/").content.decode()
    agent_page = client_for(agent).get("/agent/").content.decode()
    manager_page = client_for(manager).get("/agent/").content.decode()

    assert 'href="/tickets/new/"' in customer_page
    assert 'href="/agent/"' not in customer_page
    assert 'href="/agent/"' in agent_page
    assert 'href="/api/docs/"' in agent_page
    assert 'href="/admin/"' not in agent_page
    assert 'href="/admin/"' in manager_page


@pytest.mark.django_db
def test_base_layout_has_csrf_header_htmx_and_no_inline_script(customer):
    html = client_for(customer).get("/tickets/").content.decode()

    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer></script>' in html
    assert '<script src="/static/js/app.js" defer></script>' in html
    assert html.count("<script") == html.count("<script src=")
    assert 'action="/logout/"' in html
    assert "https://" not in html


# --- customer portal --------------------------------------------------------------------


@pytest.mark.django_db
def test_my_tickets_lists_only_mine_newest_first(customer, other_customer):
    ticket_create(requester=customer, subject="First", body="a", now=NOW)
    ticket_create(requester=customer, subject="Second", body="b", now=NOW + timedelta(hours=1))
    ticket_create(requester=other_customer, subject="Not mine", body="c", now=NOW)

    response = client_for(customer).get("/tickets/")

    subjects = [t.subject for t in response.context["page"]]
    assert subjects == ["Second", "First"]
    assert b"Not mine" not in response.content
    assert b'class="badge badge-status-open"' in response.content


@pytest.mark.django_db
def test_my_tickets_is_paginated_by_25(customer):
    TicketFactory.create_batch(30, requester=customer)

    first = client_for(customer).get("/tickets/")
    second = client_for(customer).get("/tickets/?page=2")
    beyond = client_for(customer).get("/tickets/?page=abc")

    assert len(first.context["page"]) == 25
    assert len(second.context["page"]) == 5
    assert beyond.context["page"].number == 1


@pytest.mark.django_db
def test_creating_a_ticket(customer):
    queue = QueueFactory(slug="billing", name="Billing")

    response = client_for(customer).post(
        "/tickets/new/",
        {
            "subject": "Invoice twice",
            "body": "I was charged twice.",
            "queue": "billing",
            "priority": "high",
        },
        follow=True,
    )

    ticket = Ticket.objects.get()
    assert response.redirect_chain == [(f"/tickets/{ticket.pk}/", 302)]
    assert (ticket.requester, ticket.subject, ticket.body, ticket.queue, ticket.priority) == (
        customer,
        "Invoice twice",
        "I was charged twice.",
        queue,
        "high",
    )
    assert [str(m) for m in response.context["messages"]] == [f"Ticket #{ticket.pk} created."]


@pytest.mark.django_db
def test_new_ticket_with_missing_subject_keeps_the_text(customer):
    response = client_for(customer).post(
        "/tickets/new/", {"subject": "  ", "body": "My words stay here.", "priority": "normal"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"subject": ["This field is required."]}
    assert b"My words stay here." in response.content
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_new_ticket_rejects_out_of_range_input(customer):
    response = client_for(customer).post(
        "/tickets/new/",
        {"subject": "x" * 201, "body": "y" * 20_001, "queue": "nope", "priority": "urgent"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "subject": ["Ensure this value has at most 200 characters (it has 201)."],
        "body": ["Ensure this value has at most 20000 characters (it has 20001)."],
        "queue": ["Select a valid choice. nope is not one of the available choices."],
        "priority": ["Select a valid choice. urgent is not one of the available choices."],
    }
    assert ("x" * 201).encode() in response.content
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_customer_page_shows_public_conversation_only(conversation, customer):
    response = client_for(customer).get(reverse("ticket_detail", args=[conversation.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "It leaks from the base." in html
    assert "Please send a photo." in html
    assert "Looks like batch 42 again." not in html
    assert "Internal note" not in html
    assert "Priority changed" not in html


@pytest.mark.django_db
def test_customer_reply_by_normal_post_redirects(ticket, customer):
    url = reverse("ticket_detail", args=[ticket.pk])

    response = client_for(customer).post(url, {"body": "Here is the photo."})

    assert response.status_code == 302
    assert response["Location"] == url
    assert list(ticket.messages.values_list("author", "body", "public")) == [
        (customer.pk, "Here is the photo.", True)
    ]


@pytest.mark.django_db
def test_customer_reply_by_htmx_returns_the_sections_only(ticket, customer):
    url = reverse("ticket_detail", args=[ticket.pk])

    response = client_for(customer).post(url, {"body": "Here is the photo."}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.startswith('<section id="conversation"')
    assert "Here is the photo." in html
    assert '<section id="reply-form" class="card reply-card" hx-swap-oob="true">' in html
    assert 'id="messages" class="flash-stack" aria-live="polite" hx-swap-oob="true"' in html
    assert "Reply sent." in html
    assert ticket.messages.count() == 1


@pytest.mark.django_db
def test_empty_reply_shows_an_error_and_saves_nothing(ticket, customer):
    url = reverse("ticket_detail", args=[ticket.pk])

    response = client_for(customer).post(url, {"body": "   "}, **HTMX)

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert ticket.messages.count() == 0


@pytest.mark.django_db
def test_reply_on_a_closed_ticket_is_refused_with_a_message(ticket, customer, agent):
    ticket_update(ticket=ticket, actor=agent, status=Ticket.Status.CLOSED, now=NOW)
    url = reverse("ticket_detail", args=[ticket.pk])

    response = client_for(customer).post(url, {"body": "Hello?"})

    assert response.status_code == 200
    assert response.context["reply_form"].non_field_errors() == [
        "This ticket is closed; please open a new one."
    ]
    assert ticket.messages.filter(kind=Message.Kind.REPLY).count() == 0


@pytest.mark.django_db
def test_customer_cannot_post_an_internal_note(ticket, customer):
    url = reverse("ticket_detail", args=[ticket.pk])

    client_for(customer).post(url, {"body": "secret?", "visibility": "internal"})

    assert list(ticket.messages.values_list("body", "public")) == [("secret?", True)]


@pytest.mark.django_db
def test_script_in_subject_and_body_is_escaped(customer, agent):
    ticket = ticket_create(requester=customer, subject=XSS, body=f"Hi {XSS} http://x.test", now=NOW)
    ticket_reply_add(ticket=ticket, author=agent, body=XSS, public=True, now=NOW)

    pages = [
        client_for(customer).get(reverse("ticket_detail", args=[ticket.pk])),
        client_for(customer).get("/tickets/"),
        client_for(agent).get(reverse("agent_ticket", args=[ticket.pk])),
        client_for(agent).get("/agent/"),
    ]

    for page in pages:
        html = page.content.decode()
        assert XSS not in html
        assert XSS_ESCAPED in html
    detail = pages[0].content.decode()
    assert (
        f"<p>Hi {XSS_ESCAPED} "
        '<a href="http://x.test" rel="nofollow noopener noreferrer">http://x.test</a></p>'
    ) in detail


# --- agent workspace --------------------------------------------------------------------


@pytest.mark.django_db
def test_agent_sees_internal_notes_and_events(conversation, agent):
    response = client_for(agent).get(reverse("agent_ticket", args=[conversation.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Please send a photo." in html
    assert "Looks like batch 42 again." in html
    assert '<span class="tag tag-note">Internal note</span>' in html
    assert "Priority changed from normal to high." in html
    assert 'name="visibility" value="internal"' in html
    assert 'name="visibility" value="public"' in html


@pytest.mark.django_db
def test_agent_page_shows_the_sla_clocks_of_the_default_policy(customer, agent):
    with time_machine.travel(NOW, tick=False):
        ticket = ticket_create(requester=customer, subject="Kettle", body="Leaks.", now=NOW)
        response = client_for(agent).get(reverse("agent_ticket", args=[ticket.pk]))

    assert [(c.label, c.tone, c.text) for c in response.context["clocks"]] == [
        ("First response", "ok", "due in 4 h"),
        ("Answer", "ok", "due in 1 d"),
        ("Resolution", "ok", "due in 3 d"),
    ]
    assert '<span class="clock-text" title="Mon 2 Mar 2026, 13:00 UTC">due in 4 h</span>' in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_agent_page_shows_requester_and_their_other_tickets(ticket, customer, agent):
    ticket_create(requester=customer, subject="Older one", body="x", now=NOW)
    ticket_create(requester=customer, subject="Another", body="x", now=NOW)

    response = client_for(agent).get(reverse("agent_ticket", args=[ticket.pk]))

    assert response.context["other_tickets"] == 2
    assert "2 other tickets" in response.content.decode()
    assert "carla@example.com" in response.content.decode()


@pytest.mark.django_db
def test_agent_adds_an_internal_note_by_htmx(ticket, customer, agent):
    url = reverse("agent_ticket", args=[ticket.pk])

    response = client_for(agent).post(url, {"body": "Call them.", "visibility": "internal"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Internal note added." in html
    # The side panel's selects are left alone: a status picked meanwhile keeps its request.
    assert 'id="ticket-properties"' not in html
    assert DETAILS_OOB in html
    assert list(ticket.messages.values_list("body", "public")) == [("Call them.", False)]
    customer_html = client_for(customer).get(reverse("ticket_detail", args=[ticket.pk]))
    assert "Call them." not in customer_html.content.decode()


@pytest.mark.django_db
def test_agent_public_reply_by_normal_post(ticket, agent):
    url = reverse("agent_ticket", args=[ticket.pk])

    response = client_for(agent).post(url, {"body": "Fixed.", "visibility": "public"})

    assert response.status_code == 302
    assert response["Location"] == url
    assert list(ticket.messages.values_list("body", "public")) == [("Fixed.", True)]


@pytest.mark.django_db
def test_status_change_by_htmx_redraws_what_follows_from_it_but_not_the_selects(ticket, agent):
    url = reverse("agent_ticket_update", args=[ticket.pk])

    response = client_for(agent).post(url, {"status": "pending"}, **HTMX)

    html = response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert response.status_code == 200
    assert "<html" not in html
    # The selects stay as the agent left them (a second pick right after is not lost)...
    assert response["HX-Reswap"] == "none"
    assert 'id="ticket-properties"' not in html
    assert 'id="assignee-field"' not in html
    # ...while the conversation, header, SLA clocks and details follow the change.
    assert html.startswith(
        '<section id="conversation" class="card conversation" aria-label="Conversation" '
        'hx-swap-oob="true">'
    )
    assert "Status changed from open to pending." in html
    assert '<header id="ticket-header" class="ticket-header" hx-swap-oob="true">' in html
    assert 'class="badge badge-status-pending"' in html
    assert 'hx-trigger="every 30s" hx-swap="outerHTML" hx-swap-oob="true">' in html  # #sla
    assert DETAILS_OOB in html


@pytest.mark.django_db
def test_assign_to_me_by_htmx_redraws_the_assignee_field_without_its_button(ticket, agent):
    url = reverse("agent_ticket_update", args=[ticket.pk])

    response = client_for(agent).post(url, {"assignee": str(agent.pk)}, **HTMX)

    html = response.content.decode()
    assert response["HX-Reswap"] == "none"
    assert '<div id="assignee-field" class="props-group" hx-swap-oob="true">' in html
    assert f'<option value="{agent.pk}" selected>' in html
    assert "Assign to me" not in html
    assert 'id="ticket-properties"' not in html


@pytest.mark.django_db
def test_invalid_update_by_htmx_redraws_the_properties_with_the_error(ticket, agent):
    url = reverse("agent_ticket_update", args=[ticket.pk])

    response = client_for(agent).post(url, {"status": "deleted"}, **HTMX)

    html = response.content.decode()
    assert "HX-Reswap" not in response
    assert html.startswith('<section id="ticket-properties" class="card"')
    assert "Select a valid choice. deleted is not one of the available choices." in html
    assert 'id="conversation"' not in html


@pytest.mark.django_db
def test_changing_one_field_leaves_the_others_alone(ticket, agent, manager):
    url = reverse("agent_ticket_update", args=[ticket.pk])
    ticket_update(ticket=ticket, actor=manager, assignee=manager, now=NOW)

    client_for(agent).post(url, {"priority": "urgent"}, **HTMX)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == ("open", "urgent", manager)


@pytest.mark.django_db
def test_assign_and_unassign_by_htmx(ticket, agent):
    url = reverse("agent_ticket_update", args=[ticket.pk])
    client = client_for(agent)

    client.post(url, {"assignee": str(agent.pk)}, **HTMX)
    ticket.refresh_from_db()
    assert ticket.assignee == agent

    client.post(url, {"assignee": ""}, **HTMX)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert list(ticket.messages.values_list("body", flat=True)) == [
        f"Assigned to {agent.display_name}.",
        "Unassigned.",
    ]


@pytest.mark.django_db
def test_queue_change_and_removal(ticket, agent):
    QueueFactory(slug="billing", name="Billing")
    url = reverse("agent_ticket_update", args=[ticket.pk])
    client = client_for(agent)

    client.post(url, {"queue": "billing"}, **HTMX)
    ticket.refresh_from_db()
    assert ticket.queue.slug == "billing"

    client.post(url, {"queue": ""})
    ticket.refresh_from_db()
    assert ticket.queue is None


@pytest.mark.django_db
def test_update_without_htmx_redirects_with_a_message(ticket, agent):
    url = reverse("agent_ticket_update", args=[ticket.pk])

    response = client_for(agent).post(
        url,
        {"status": "solved", "priority": "low", "assignee": "", "queue": ""},
        follow=True,
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("solved", "low")
    assert response.redirect_chain == [(reverse("agent_ticket", args=[ticket.pk]), 302)]
    assert [str(m) for m in response.context["messages"]] == [f"Ticket #{ticket.pk} updated."]


@pytest.mark.django_db
def test_invalid_update_values_are_reported_not_saved(ticket, agent, customer):
    url = reverse("agent_ticket_update", args=[ticket.pk])
    client = client_for(agent)

    bad_status = client.post(url, {"status": "deleted"}, **HTMX)
    bad_assignee = client.post(url, {"assignee": str(customer.pk)}, **HTMX)

    assert bad_status.status_code == 200
    assert "Select a valid choice. deleted is not one of the available choices." in (
        bad_status.content.decode()
    )
    assert bad_assignee.status_code == 200
    assert (
        f"Select a valid choice. {customer.pk} is not one of the available choices."
        in bad_assignee.content.decode()
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("open", None)
    assert ticket.messages.count() == 0


@pytest.mark.django_db
def test_update_page_rejects_get(ticket, agent):
    assert (
        client_for(agent).get(reverse("agent_ticket_update", args=[ticket.pk])).status_code == 405
    )


# --- agent queue ------------------------------------------------------------------------


def _ticket(requester, subject, *, hours=0, **fields):
    return TicketFactory(
        requester=requester,
        subject=subject,
        created_at=NOW + timedelta(hours=hours),
        updated_at=NOW + timedelta(hours=hours),
        **fields,
    )


@pytest.mark.django_db
def test_queue_defaults_to_active_tickets_urgent_first_then_oldest(customer, agent):
    _ticket(customer, "normal old", hours=0)
    _ticket(customer, "normal new", hours=2)
    _ticket(customer, "urgent new", hours=3, priority="urgent")
    _ticket(customer, "high", hours=1, priority="high")
    _ticket(customer, "pending low", hours=0, priority="low", status="pending")
    _ticket(customer, "solved", hours=0, status="solved")

    response = client_for(agent).get("/agent/")

    subjects = [t.subject for t in response.context["page"]]
    assert subjects == ["urgent new", "high", "normal old", "normal new", "pending low"]
    assert response.context["counts"] == {
        "open": 4,
        "pending": 1,
        "solved": 1,
        "unassigned": 5,
        "active": 5,
    }


@pytest.mark.django_db
def test_queue_puts_the_soonest_sla_due_time_first(customer, agent):
    _ticket(customer, "no clock, urgent", priority="urgent")
    _ticket(customer, "due later", sla_due_at=NOW + timedelta(hours=5))
    _ticket(customer, "overdue, low", priority="low", sla_due_at=NOW - timedelta(hours=2))
    _ticket(customer, "due soon", sla_due_at=NOW + timedelta(minutes=30))

    with time_machine.travel(NOW, tick=False):
        response = client_for(agent).get("/agent/")

    html = response.content.decode()
    subjects = [t.subject for t in response.context["page"]]
    assert subjects == ["overdue, low", "due soon", "due later", "no clock, urgent"]
    assert '<time class="due due-breached" datetime="2026-03-02T07:00:00+00:00"' in html
    assert ">2 h overdue</time>" in html
    assert ">in 30 min</time>" in html
    assert ">in 5 h</time>" in html


@pytest.mark.django_db
def test_queue_pages_follow_the_queue_order(customer, agent):
    for i in range(55):
        _ticket(customer, f"T{i:02d}", hours=-i, priority=["low", "urgent"][i % 2])
    client = client_for(agent)

    first = [t.subject for t in client.get("/agent/").context["page"]]
    second = [t.subject for t in client.get("/agent/?page=2").context["page"]]

    urgent = [f"T{i:02d}" for i in range(55) if i % 2][::-1]
    low = [f"T{i:02d}" for i in range(55) if not i % 2][::-1]
    assert first + second == urgent + low
    assert (len(first), len(second)) == (50, 5)


@pytest.mark.django_db
def test_queue_filters(customer, other_customer, agent):
    billing = QueueFactory(slug="billing", name="Billing")
    _ticket(customer, "Refund please", queue=billing, assignee=agent)
    _ticket(customer, "Refund again", kind="question")
    _ticket(other_customer, "Broken lid", priority="high")
    _ticket(customer, "Old refund", status="solved")
    client = client_for(agent)

    def subjects(query):
        return sorted(t.subject for t in client.get(f"/agent/?{query}").context["page"])

    assert subjects("q=refund") == ["Refund again", "Refund please"]
    assert subjects("q=refund&status=all") == ["Old refund", "Refund again", "Refund please"]
    assert subjects("status=solved") == ["Old refund"]
    assert subjects("kind=question") == ["Refund again"]
    assert subjects("queue=billing") == ["Refund please"]
    assert subjects("assignee=me") == ["Refund please"]
    assert subjects("assignee=unassigned") == ["Broken lid", "Refund again"]
    assert subjects("priority=high") == ["Broken lid"]
    assert subjects("requester=otto&status=all") == ["Broken lid"]


@pytest.mark.django_db
def test_queue_reports_invalid_filters_and_ignores_them(customer, agent):
    _ticket(customer, "Kettle")

    response = client_for(agent).get("/agent/?status=bogus&kind=pizza&page=999")

    html = response.content.decode()
    assert response.status_code == 200
    assert [t.subject for t in response.context["page"]] == ["Kettle"]
    assert "Kind: Select a valid choice. pizza is not one of the available choices." in html
    assert response.context["filters"]["status"] == "active"


@pytest.mark.django_db
def test_queue_htmx_request_returns_the_queue_section_only(customer, agent):
    _ticket(customer, "Kettle")

    response = client_for(agent).get("/agent/?status=open", **HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert html.startswith('<section id="queue" class="queue">')
    assert "Kettle" in html
    assert sorted(response["Vary"].split(", ")) == ["Cookie", "HX-Request"]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [5, 200])
@pytest.mark.parametrize(
    ("query", "queries"),
    [
        # session, user, queues, tab counts (one query), the page's rows (ids in a subquery)
        ("?assignee=&queue=billing", 5),
        ("?status=solved&q=Ticket", 5),
        # no tab counts closed tickets: the paginator counts them
        ("?status=all&priority=normal", 6),
    ],
)
def test_queue_query_count_does_not_grow_with_tickets(
    rows, query, queries, customer, agent, django_assert_num_queries
):
    queue = QueueFactory(slug="billing", name="Billing")
    Ticket.objects.bulk_create(
        Ticket(
            requester=customer,
            assignee=agent,
            queue=queue,
            subject=f"Ticket {i}",
            body="x",
            status="solved" if "solved" in query else "open",
            created_at=NOW,
            updated_at=NOW,
        )
        for i in range(rows)
    )
    client = client_for(agent)

    with django_assert_num_queries(queries):
        response = client.get(f"/agent/{query}")

    assert len(response.context["page"]) == min(rows, 50)
    assert response.content.decode().count('class="cell-subject"') == min(rows, 50)


# --- accounts ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_signup_creates_a_customer_and_logs_in(client):
    response = client.post(
        "/signup/",
        {
            "username": "nina",
            "email": "nina@example.com",
            "password1": "plum-tree-river-7",
            "password2": "plum-tree-river-7",
        },
        follow=True,
    )

    user = User.objects.get(username="nina")
    assert (user.email, user.role, user.check_password("plum-tree-river-7")) == (
        "nina@example.com",
        "customer",
        True,
    )
    assert response.redirect_chain == [("/tickets/", 302)]
    assert response.context["user"] == user


@pytest.mark.django_db
def test_signup_errors_are_shown(client, customer):
    response = client.post(
        "/signup/",
        {"username": "carla", "email": "not-an-email", "password1": "123", "password2": "456"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "username": ["That username is taken."],
        "email": ["Enter a valid email address."],
        "password2": ["The two password fields didn\N{RIGHT SINGLE QUOTATION MARK}t match."],
    }
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_login_with_the_right_password(client, customer):
    response = client.post("/login/", {"username": "carla", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_wrong_password_shows_the_form_error(client, customer):
    response = client.post("/login/", {"username": "carla", "password": "nope"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter a correct username and password. Note that both fields may be case-sensitive."
    ]


@pytest.mark.django_db
def test_sixth_wrong_password_is_locked_out(client, customer):
    statuses = [
        client.post("/login/", {"username": "carla", "password": "wrong"}).status_code
        for _ in range(6)
    ]
    after = client.post("/login/", {"username": "carla", "password": PASSWORD})

    assert statuses == [200, 200, 200, 200, 429, 429]
    assert after.status_code == 429
    assert b"Too many failed sign-in attempts" in after.content


@pytest.mark.django_db
def test_logout_is_a_post(customer):
    client = client_for(customer)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response["Location"] == "/login/"
    assert client.get("/tickets/").status_code == 302


@pytest.mark.django_db
def test_times_show_relative_with_the_absolute_time_in_the_viewers_zone(ticket, customer):
    client = client_for(customer)
    client.cookies["tz"] = "Europe/Paris"

    html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert '<time datetime="2026-03-02T09:00:00+00:00" title="2 Mar 2026, 10:00 CET">' in html


@pytest.mark.django_db
def test_assign_to_me_button_without_js_wins_over_the_select(ticket, agent):
    url = reverse("agent_ticket_update", args=[ticket.pk])
    # A plain form submit sends every select, then the clicked button's value last.
    data = "status=open&priority=normal&assignee=&queue=&assignee=" + str(agent.pk)

    client_for(agent).post(url, data, content_type="application/x-www-form-urlencoded")

    ticket.refresh_from_db()
    assert ticket.assignee == agent


@pytest.mark.django_db
def test_customer_sees_a_banner_while_we_wait_for_them(ticket, customer, agent):
    ticket_update(ticket=ticket, actor=agent, status=Ticket.Status.PENDING, now=NOW)

    html = client_for(customer).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert "We are waiting for your reply." in html


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [5, 60])
def test_my_tickets_query_count_does_not_grow_with_tickets(
    rows, customer, django_assert_num_queries
):
    TicketFactory.create_batch(rows, requester=customer)
    client = client_for(customer)

    # session, user, page count, page rows
    with django_assert_num_queries(4):
        response = client.get("/tickets/")

    assert len(response.context["page"]) == min(rows, 25)


@pytest.mark.django_db
@pytest.mark.parametrize("replies", [2, 40])
def test_agent_ticket_query_count_does_not_grow_with_the_conversation(
    replies, ticket, customer, agent, django_assert_num_queries
):
    for i in range(replies):
        author = agent if i % 2 else customer
        ticket_reply_add(ticket=ticket, author=author, body=f"Reply {i}", public=True, now=NOW)
    client = client_for(agent)

    # session, user, ticket, audit-log insert, agents, queues, other tickets, clocks, messages
    with django_assert_num_queries(9):
        response = client.get(reverse("agent_ticket", args=[ticket.pk]))

    assert response.content.decode().count('class="bubble"') == replies + 1
