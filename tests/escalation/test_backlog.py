"""A backlog of events (the worker or the broker was away) is escalated in one go: a run that
reaches its bound hands the rest to a fresh task rather than to the next minute's sweep."""

from datetime import timedelta

import pytest
import time_machine

from escalation import services
from escalation.models import Escalation
from escalation.tasks import events_process_task
from helpdesk.models import OutboxTask
from sla.models import Event
from sla.sweep import sweep
from tests.escalation.conftest import T0
from tickets.services import ticket_create


@pytest.mark.django_db
def test_a_run_that_reaches_its_bound_hands_the_rest_on(
    customer, manager, monkeypatch, django_capture_on_commit_callbacks
):
    for i in range(5):
        ticket_create(requester=customer, subject=f"Late {i}", body="Where is it?", now=T0)
    later = T0 + timedelta(hours=5)
    sweep(now=later)  # one first-response breach per ticket
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    monkeypatch.setattr(services, "MAX_BATCHES", 1)

    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        first = events_process_task()

    assert first == {"escalations": 2, "acted": 2}
    # Two more runs, each handed on by the one before, through the outbox: 2 + 2 + 1.
    assert list(OutboxTask.objects.values_list("func", "dispatched_at")) == [
        ("escalation.tasks.events_process_task", later),
        ("escalation.tasks.events_process_task", later),
    ]
    assert Escalation.objects.count() == Event.objects.filter(kind="breach").count() == 5


@pytest.mark.django_db
def test_a_run_that_finishes_hands_nothing_on(customer, monkeypatch):
    ticket_create(requester=customer, subject="Late", body="Where is it?", now=T0)
    later = T0 + timedelta(hours=5)
    sweep(now=later)
    monkeypatch.setattr(services, "BATCH_SIZE", 2)

    with time_machine.travel(later, tick=False):
        assert events_process_task() == {"escalations": 1, "acted": 1}

    assert not OutboxTask.objects.exists()
