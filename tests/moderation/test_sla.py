"""Point 5: the moderation clock per policy (warning, breach) and the built-in 7-day rule,
end to end: submitted through the API, swept by `manage.py sla_sweep` under time-machine."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from sla.models import Event, Policy
from tests.moderation.conftest import T0
from tickets import moderation


def sweep_at(when) -> str:
    out = StringIO()
    with time_machine.travel(when, tick=False):
        call_command("sla_sweep", stdout=out)
    return out.getvalue()


def events(ticket):
    return list(Event.objects.filter(ticket=ticket).order_by("id").values_list("kind", "metric"))


def submit(api_client, customer, sku="ket-200"):
    with time_machine.travel(T0, tick=False):
        response = api_client(customer).post(
            f"/api/v1/products/{sku}/questions/", {"body": "Does it work on 120 V?"}
        )
    assert response.status_code == 201
    return response.json()


@pytest.mark.django_db
def test_the_moderation_clock_warns_then_breaches_per_the_default_policy(
    api_client, customer, product
):
    data = submit(api_client, customer)
    (clock,) = data["sla"]
    assert (clock["metric"], clock["due_at"], clock["warn_at"]) == (
        "moderation",
        "2026-03-03T09:00:00Z",
        "2026-03-03T03:00:00Z",
    )

    sweep_at(T0 + timedelta(hours=17, minutes=59))
    assert events(data["id"]) == []
    sweep_at(T0 + timedelta(hours=18))
    assert events(data["id"]) == [("warning", "moderation")]
    sweep_at(T0 + timedelta(hours=24))
    assert events(data["id"]) == [("warning", "moderation"), ("breach", "moderation")]


@pytest.mark.django_db
def test_unpublished_after_7_days_raises_the_critical_event_whatever_the_policy(
    api_client, customer, agent, product
):
    # a policy that gives moderation 30 days: the 7-day rule still holds
    Policy.objects.create(name="Slow", order=1, kinds=["question"], targets={"moderation": 43200})
    data = submit(api_client, customer)
    assert data["sla"][0]["due_at"] == "2026-04-01T09:00:00Z"

    out = sweep_at(T0 + timedelta(days=6, hours=23, minutes=59))
    assert events(data["id"]) == []
    out = sweep_at(T0 + timedelta(days=7))

    assert events(data["id"]) == [("unpublished_7_days", "moderation")]
    assert "0 new warnings, 0 new breaches" in out
    sweep_at(T0 + timedelta(days=8))  # recorded once
    assert Event.objects.filter(kind="unpublished_7_days").count() == 1


@pytest.mark.django_db
def test_content_decided_within_7_days_raises_nothing(api_client, customer, agent, product):
    data = submit(api_client, customer)
    ticket = moderation.Ticket.objects.get(pk=data["id"])
    moderation.content_moderate(
        ticket=ticket,
        moderator=agent,
        decision="reject",
        reason="spam",
        explanation="Ad.",
        now=T0 + timedelta(hours=3),
    )

    sweep_at(T0 + timedelta(days=8))

    assert events(data["id"]) == []
