"""The log of agents' views: written where agents open a ticket's content, one INSERT each;
read by managers on /manager/audit/ and GET /api/v1/audit/ticket-views/."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import TicketFactory, UserFactory
from tests.privacy.conftest import T0
from tickets.models import TicketView

NOW = T0 + timedelta(days=1)


def views():
    return list(
        TicketView.objects.order_by("id").values_list(
            "user__username", "ticket_id", "page", "channel"
        )
    )


@pytest.fixture
def manager(db):
    return UserFactory(username="max", first_name="Max", role="manager")


def test_opening_the_agent_ticket_page_writes_one_entry(world, client):
    client.force_login(world.agent)

    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        assert client.get(f"/agent/tickets/{world.open_ticket.pk}/").status_code == 200

    assert views() == [("alice", world.open_ticket.pk, "agent_ticket", "web")]
    assert TicketView.objects.get().viewed_at == NOW
    inserts = [q["sql"] for q in queries if "tickets_ticketview" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")


def test_htmx_refreshes_and_posts_on_the_page_are_not_new_views(world, client):
    client.force_login(world.agent)
    url = f"/agent/tickets/{world.open_ticket.pk}/"

    client.get(url)
    client.get(f"/tickets/{world.open_ticket.pk}/sla/", HTTP_HX_REQUEST="true")  # the polling
    client.get(url, HTTP_HX_REQUEST="true")
    client.post(url, {"body": "We are on it.", "visibility": "internal"}, HTTP_HX_REQUEST="true")

    assert len(views()) == 1


def test_the_requester_opening_their_own_ticket_is_not_logged(world, client):
    client.force_login(world.customer)

    assert client.get(f"/tickets/{world.open_ticket.pk}/").status_code == 200
    assert views() == []


def test_the_api_ticket_and_its_messages_are_logged(world, api_client):
    client = api_client(world.agent)

    assert client.get(f"/api/v1/tickets/{world.open_ticket.pk}/").status_code == 200
    assert client.get(f"/api/v1/tickets/{world.open_ticket.pk}/messages/").status_code == 200
    assert client.get(f"/api/v1/tickets/{world.open_ticket.pk}/sla/").status_code in (404, 200)
    api_client(world.customer).get(f"/api/v1/tickets/{world.open_ticket.pk}/")

    assert views() == [
        ("alice", world.open_ticket.pk, "api_ticket", "api"),
        ("alice", world.open_ticket.pk, "api_messages", "api"),
    ]


def test_a_ticket_an_agent_may_not_see_writes_nothing(world, api_client):
    assert api_client(world.agent).get("/api/v1/tickets/999999/").status_code == 404
    assert views() == []


def test_the_report_case_page_logs_each_report_shown(world, client):
    from tickets.models import Report

    case_id = Report.objects.get(ticket=world.report).case_id
    client.force_login(world.second_agent)

    assert client.get(f"/agent/reports/cases/{case_id}/").status_code == 200

    assert views() == [("bob", world.report.pk, "report_case", "web")]


def test_the_moderation_queue_logs_the_content_it_shows(world, client, api_client):
    client.force_login(world.agent)

    assert client.get("/moderation/").status_code == 200
    # The pending question, the contested rejection
    assert sorted(v[1] for v in views()) == sorted([world.question.pk, world.rejected_review.pk])
    assert {v[2] for v in views()} == {"moderation_queue"}

    assert api_client(world.agent).get("/api/v1/moderation/").status_code == 200
    assert views()[-1] == ("alice", world.question.pk, "api_moderation", "api")


# --- managers read the log ------------------------------------------------------------------


def _log(agent, tickets, start):
    TicketView.objects.bulk_create(
        TicketView(
            user=agent,
            ticket=ticket,
            viewed_at=start + timedelta(minutes=i),
            channel="web",
            page="agent_ticket",
        )
        for i, ticket in enumerate(tickets)
    )


def test_the_managers_page_lists_and_filters_the_log(world, client, manager):
    _log(world.agent, [world.open_ticket, world.solved_ticket], T0)
    _log(world.second_agent, [world.open_ticket], T0 + timedelta(days=2))
    client.force_login(manager)

    html = client.get("/manager/audit/").content.decode()
    assert html.count("<tr>") == 4  # the head and three views
    assert "Alice Martin" in html and "Bob" in html
    # Times in the viewer's zone, with the instant in a <time datetime>
    assert '<time datetime="2026-03-02T09:00:00+00:00">2 Mar 2026, 09:00:00 UTC</time>' in html

    by_agent = client.get(f"/manager/audit/?user={world.second_agent.pk}").content.decode()
    assert by_agent.count("<tr>") == 2
    by_ticket = client.get(f"/manager/audit/?ticket={world.solved_ticket.pk}").content.decode()
    assert by_ticket.count("<tr>") == 2
    by_days = client.get("/manager/audit/?since=2026-03-04&until=2026-03-04").content.decode()
    assert by_days.count("<tr>") == 2 and "Bob" in by_days


def test_days_are_the_viewers_days(world, client, manager):
    manager.time_zone = "America/New_York"
    manager.save()
    # 2026-03-02 04:30 UTC is still 1 March in New York (UTC-5)
    _log(world.agent, [world.open_ticket], datetime(2026, 3, 2, 4, 30, tzinfo=UTC))
    client.force_login(manager)

    march_1 = client.get("/manager/audit/?since=2026-03-01&until=2026-03-01").content.decode()
    march_2 = client.get("/manager/audit/?since=2026-03-02&until=2026-03-02").content.decode()

    assert march_1.count("<tr>") == 2
    assert "Nothing matches these filters." in march_2
    assert "1 Mar 2026, 23:30:00 EST" in march_1


@pytest.mark.parametrize(
    "query",
    [
        "ticket=abc",
        "ticket=0",
        "ticket=99999999999999999999",
        "since=2026-13-01",
        "since=0001-01-01",
        "until=9999-12-31",
        "since=2026-03-04&until=2026-03-01",
        "user=999999",
        "page=9999",
    ],
)
def test_bad_filters_show_an_error_not_a_crash(world, client, manager, query):
    client.force_login(manager)

    response = client.get(f"/manager/audit/?{query}")

    assert response.status_code == 200


def test_the_page_is_paginated_with_htmx_and_real_links(world, client, manager):
    _log(world.agent, [world.open_ticket] * 60, T0)
    client.force_login(manager)

    html = client.get("/manager/audit/").content.decode()
    assert html.count("<tr>") == 51
    assert 'href="?page=2"' in html and 'hx-get="?page=2"' in html
    partial = client.get("/manager/audit/?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="audit-log"')
    assert partial.count("<tr>") == 11
    assert "<html" not in partial


@pytest.mark.parametrize("rows", [5, 200])
def test_the_page_runs_a_fixed_number_of_queries(
    world, client, manager, rows, django_assert_num_queries
):
    tickets = TicketFactory.create_batch(rows, requester=world.customer)
    _log(world.agent, tickets, T0)
    client.force_login(manager)

    # session, user, agents for the filter, count, page rows (who joined)
    with django_assert_num_queries(5):
        response = client.get(f"/manager/audit/?user={world.agent.pk}")

    assert response.content.decode().count("<tr>") == min(rows, 50) + 1


def test_only_managers_see_the_page_and_its_link(world, client, manager):
    client.force_login(world.agent)
    assert client.get("/manager/audit/").status_code == 404
    assert 'href="/manager/audit/"' not in client.get("/agent/").content.decode()
    client.force_login(world.customer)
    assert client.get("/manager/audit/").status_code == 404
    client.force_login(manager)
    assert 'href="/manager/audit/"' in client.get("/agent/").content.decode()


# --- the API ----------------------------------------------------------------------------------


def test_the_api_lists_the_log_with_filters(world, api_client, manager):
    _log(world.agent, [world.open_ticket, world.solved_ticket], T0)
    _log(world.second_agent, [world.open_ticket], T0 + timedelta(days=2))
    client = api_client(manager)

    data = client.get("/api/v1/audit/ticket-views/").json()
    assert data["count"] == 3
    assert data["results"][0] == {
        "id": data["results"][0]["id"],
        "ticket": world.open_ticket.pk,
        "user": world.second_agent.pk,
        "username": "bob",
        "viewed_at": "2026-03-04T09:00:00Z",
        "channel": "web",
        "page": "agent_ticket",
    }
    assert (
        client.get(f"/api/v1/audit/ticket-views/?ticket={world.solved_ticket.pk}").json()["count"]
        == 1
    )
    assert client.get(f"/api/v1/audit/ticket-views/?user={world.agent.pk}").json()["count"] == 2
    window = "since=2026-03-02T09:00:30Z&until=2026-03-04T09:00:00Z"
    assert client.get(f"/api/v1/audit/ticket-views/?{window}").json()["count"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "ticket=x",
        "user=0",
        "ticket=99999999999999999999",
        "since=yesterday",
        "since=2026-03-04T00:00:00Z&until=2026-03-01T00:00:00Z",
        "since=0001-01-01T00:00:00%2B14:00",
    ],
)
def test_the_api_rejects_bad_filters_with_400(world, api_client, manager, query):
    response = api_client(manager).get(f"/api/v1/audit/ticket-views/?{query}")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_the_api_is_for_managers_only(world, api_client, manager):
    assert api_client(world.agent).get("/api/v1/audit/ticket-views/").status_code == 403
    assert api_client(world.customer).get("/api/v1/audit/ticket-views/").status_code == 403
    assert api_client(None).get("/api/v1/audit/ticket-views/").status_code == 401


@pytest.mark.parametrize("rows", [5, 200])
def test_the_api_runs_a_fixed_number_of_queries(
    world, api_client, manager, rows, django_assert_num_queries
):
    _log(world.agent, TicketFactory.create_batch(rows, requester=world.customer), T0)

    # count, page rows (who joined)
    with django_assert_num_queries(2):
        response = api_client(manager).get("/api/v1/audit/ticket-views/?page_size=100")

    assert len(response.json()["results"]) == min(rows, 100)
