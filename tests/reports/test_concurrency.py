"""The limit holds when 20 requests race for the last places (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from tickets.models import Report

from .conftest import report_body


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_parallel_requests_cannot_pass_the_limit_together(customer, settings):
    settings.REPORT_LIMITS = {"default": 12}
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        client = APIClient()
        client.force_authenticate(user=customer)
        try:
            barrier.wait(timeout=10)
            response = client.post("/api/v1/reports/", report_body(n), format="json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [201] * 12 + [429] * 8
    assert Report.objects.filter(reporter=customer).count() == 12
