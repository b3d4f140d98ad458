import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction

from escalation.models import Escalation
from escalation.services import events_process
from helpdesk.models import Notification
from sla.sweep import sweep
from tests.escalation.conftest import T0
from tickets.models import Message
from tickets.services import ticket_create


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_cycles_at_once_escalate_each_event_once(customer, agent, manager):
    tickets = [
        ticket_create(requester=customer, subject=f"t{i}", body="b", now=T0) for i in range(10)
    ]
    now = T0 + timedelta(hours=5)
    results = {}
    blocked = False

    def second_cycle():
        try:
            sweep(now=now)
            results["second"] = events_process(now=now)
        finally:
            connections.close_all()

    with transaction.atomic():
        sweep(now=now)
        results["first"] = events_process(now=now)
        other = threading.Thread(target=second_cycle)
        other.start()
        with connections["default"].cursor() as cursor:
            for _ in range(500):
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    blocked = True
                    break
                other.join(timeout=0.01)
    other.join(timeout=30)

    assert blocked, "the second cycle never waited for the first"
    # One breach per ticket (first response; answer and resolution are not due yet).
    assert results["first"].escalations == 10
    assert results["second"].escalations == 0
    assert Escalation.objects.count() == 10
    assert Escalation.objects.values("event").distinct().count() == 10
    assert Notification.objects.filter(kind="escalation_breach").count() == 10
    assert Message.objects.filter(body__startswith="Escalation").count() == 10
    assert {t.pk for t in tickets} == set(Escalation.objects.values_list("ticket", flat=True))
