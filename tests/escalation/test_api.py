from datetime import timedelta

import pytest
import time_machine

from escalation.models import Escalation, Rule
from escalation.services import events_process
from sla.sweep import sweep
from tests.escalation.conftest import T0
from tests.factories import TicketFactory
from tickets.services import ticket_create


def escalate(customer, n=1):
    tickets = [
        ticket_create(requester=customer, subject=f"t{i}", body="b", now=T0) for i in range(n)
    ]
    sweep(now=T0 + timedelta(minutes=180))
    events_process(now=T0 + timedelta(minutes=180))
    return tickets


def bulk_escalations(n):
    from sla.models import Event

    tickets = TicketFactory.create_batch(n, created_at=T0)
    events = Event.objects.bulk_create(
        Event(ticket=t, kind="warning", metric="answer", subject_key="x", created_at=T0)
        for t in tickets
    )
    Escalation.objects.bulk_create(
        Escalation(event=e, ticket_id=e.ticket_id, trigger="warning", level=1, created_at=T0)
        for e in events
    )


@pytest.mark.django_db
def test_escalations_list_per_api_md(api_client, customer, agent):
    (ticket,) = escalate(customer)

    response = api_client(agent).get("/api/v1/escalations/")

    assert response.status_code == 200
    (item,) = response.json()["results"]
    escalation = Escalation.objects.get()
    assert item == {
        "id": escalation.pk,
        "ticket": ticket.pk,
        "trigger": "warning",
        "level": 1,
        "created_at": "2026-03-02T12:00:00Z",
        "acknowledged_at": None,
        "metric": "first_response",
        "acknowledged_by": None,
        "actions": ["notified alice"],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, 200])
def test_escalations_list_query_count_is_flat(api_client, agent, n, django_assert_num_queries):
    bulk_escalations(n)
    client = api_client(agent)

    with django_assert_num_queries(2):  # count, page
        response = client.get("/api/v1/escalations/?page_size=100")

    assert response.json()["count"] == n


@pytest.mark.django_db
def test_acknowledge_once_and_filter(api_client, customer, agent, manager):
    escalate(customer)
    escalation = Escalation.objects.get()

    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        first = api_client(agent).post(f"/api/v1/escalations/{escalation.pk}/acknowledge/")
    again = api_client(manager).post(f"/api/v1/escalations/{escalation.pk}/acknowledge/")

    assert first.status_code == again.status_code == 200
    assert again.json()["acknowledged_at"] == "2026-03-02T13:00:00Z"
    assert again.json()["acknowledged_by"] == agent.pk
    open_ = api_client(agent).get("/api/v1/escalations/?acknowledged=false").json()
    assert open_["count"] == 0
    assert (
        escalation.ticket.messages.filter(
            public=False, body__startswith="Escalation acknowledged"
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_customers_see_no_escalations(api_client, customer):
    escalate(customer)

    assert api_client(customer).get("/api/v1/escalations/").status_code == 403
    assert api_client(customer).post("/api/v1/escalations/1/acknowledge/").status_code == 403
    assert api_client(None).get("/api/v1/escalations/").status_code == 401


@pytest.mark.django_db
def test_unknown_escalation_is_404(api_client, agent):
    assert api_client(agent).post("/api/v1/escalations/999/acknowledge/").status_code == 404


@pytest.mark.django_db
def test_default_rules_are_listed_and_managers_edit_them(api_client, agent, manager):
    rules = api_client(agent).get("/api/v1/escalation-rules/").json()
    assert [r["name"] for r in rules][:3] == [
        "Warn the assignee at 75 %",
        "Notify the managers at breach",
        "Reassign and raise priority at breach plus half the target",
    ]
    body = {
        "name": "Urgent reports",
        "trigger": "report_overdue",
        "notify_managers": True,
        "priorities": ["urgent"],
        "reassign": "queue",
    }
    assert (
        api_client(agent).post("/api/v1/escalation-rules/", body, format="json").status_code == 403
    )
    bad = api_client(manager).post("/api/v1/escalation-rules/", body, format="json")
    assert bad.status_code == 400
    assert bad.json()["reassign_queue"] == ["Name the queue."]
    body["reassign"] = ""
    created = api_client(manager).post("/api/v1/escalation-rules/", body, format="json")
    assert created.status_code == 201
    rule_id = created.json()["id"]
    patched = api_client(manager).patch(
        f"/api/v1/escalation-rules/{rule_id}/", {"active": False}, format="json"
    )
    assert patched.json()["active"] is False
    assert api_client(manager).delete(f"/api/v1/escalation-rules/{rule_id}/").status_code == 204
    assert not Rule.objects.filter(pk=rule_id).exists()


@pytest.mark.django_db
def test_notification_preferences(api_client, agent, manager):
    assert api_client(manager).get("/api/v1/notifications/preferences/").json() == {
        "email": "digest",
        "email_triggers": [],
    }
    response = api_client(agent).put(
        "/api/v1/notifications/preferences/",
        {"email": "immediate", "email_triggers": ["breach", "warning"]},
        format="json",
    )
    assert response.json() == {"email": "immediate", "email_triggers": ["breach", "warning"]}
    bad = api_client(agent).put(
        "/api/v1/notifications/preferences/", {"email": "sometimes"}, format="json"
    )
    assert bad.status_code == 400


@pytest.mark.django_db
def test_sla_report_per_api_md(api_client, customer, agent, manager):
    from tickets.services import ticket_reply_add

    tickets = escalate(customer, 3)
    ticket_reply_add(
        ticket=tickets[0],
        author=agent,
        body="Your kettle's element is covered: a replacement ships today with tracking.",
        public=True,
        now=T0 + timedelta(minutes=60),
    )
    ticket_reply_add(
        ticket=tickets[1],
        author=agent,
        body="Your kettle's element is covered: a replacement ships today with tracking.",
        public=True,
        now=T0 + timedelta(minutes=120),
    )

    response = api_client(manager).get(
        "/api/v1/sla/report/?since=2026-03-01T00:00:00Z&until=2026-03-03T00:00:00Z"
    )

    assert response.status_code == 200
    data = response.json()
    assert list(data) == [
        "since",
        "until",
        "metrics",
        "generic_replies",
        "not_answered",
        "moderation_backlog",
        "rejection_rate_by_rating",
        "reply_quality",
    ]
    assert data["metrics"]["first_response"] == {
        "count": 3,
        "met": 2,
        "breached": 0,
        "median_seconds": 5400.0,
        "p90_seconds": 6840.0,
    }
    assert set(data["metrics"]) == {
        "first_response",
        "answer",
        "next_response",
        "resolution",
        "moderation",
        "report_decision",
    }
    assert data["rejection_rate_by_rating"] == {str(s): 0.0 for s in range(1, 6)}
    assert data["moderation_backlog"] == 0
    quality = data["reply_quality"]
    assert quality["median_first_response_seconds"] == 5400.0
    assert quality["replies"] == 2
    assert quality["by_agent"][0]["agent"] == agent.pk


@pytest.mark.django_db
def test_sla_report_rejects_a_bad_period(api_client, manager, customer):
    client = api_client(manager)
    assert client.get("/api/v1/sla/report/?since=yesterday").status_code == 400
    reversed_ = client.get(
        "/api/v1/sla/report/?since=2026-03-03T00:00:00Z&until=2026-03-01T00:00:00Z"
    )
    assert reversed_.status_code == 400
    assert api_client(customer).get("/api/v1/sla/report/").status_code == 403
