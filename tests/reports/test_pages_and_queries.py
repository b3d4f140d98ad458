"""Pages work for both roles, and list pages and endpoints pin their query counts."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from tickets import reports

from .conftest import T0

pytestmark = pytest.mark.django_db


def _reports(n, reporter):
    with time_machine.travel(T0, tick=False):
        items = [
            reports.ReportInput(
                target_url=f"https://shop.example.com/listing/{i}",
                reason="fraud",
                explanation="Pays outside the shop.",
            )
            for i in range(n)
        ]
        for start in range(0, n, 50):
            reports.report_batch_submit(
                reporter=reporter, items=items[start : start + 50], good_faith=True, now=T0
            )


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("n", [5, 200])
@pytest.mark.django_db
def test_list_pages_and_endpoints_use_a_fixed_number_of_queries(
    n, customer, agent, client, api_client, settings
):
    settings.REPORT_LIMITS = {"default": 500}
    _reports(n, customer)
    client.force_login(agent)
    counts = {"queue": _count(lambda: client.get("/agent/reports/"))}
    client.force_login(customer)
    counts["mine"] = _count(lambda: client.get("/reports/"))
    counts["api"] = _count(lambda: api_client(customer).get("/api/v1/reports/"))
    assert counts == {"queue": 5, "mine": 8, "api": 2}


def test_customer_pages_render_and_agents_decide_from_the_case_page(customer, agent, client):
    _reports(2, customer)
    client.force_login(customer)
    assert client.get("/reports/batch/").status_code == 200
    page = client.get("/reports/").content.decode()
    assert "Decision by 2026-03-03 09:00" in page
    client.force_login(agent)
    queue = client.get("/agent/reports/").content.decode()
    assert "https://shop.example.com/listing/0" in queue
    case_id = reports.Report.objects.order_by("pk").first().case_id
    response = client.post(
        f"/agent/reports/cases/{case_id}/",
        {"outcome": "upheld", "facts": "Confirmed with the payment provider.", "rule": ""},
    )
    assert response.status_code == 302
    client.force_login(customer)
    page = client.get("/reports/").content.decode()
    assert "Confirmed with the payment provider." in page


def test_web_form_submits_a_report_with_good_faith(customer, client):
    client.force_login(customer)
    with time_machine.travel(T0, tick=False):
        response = client.post(
            "/reports/new/",
            {
                "target_url": "https://shop.example.com/listing/5",
                "reason": "counterfeit",
                "explanation": "Wrong logo.",
                "evidence_links": "https://my.example/photo.jpg",
                "good_faith": "on",
            },
        )
    report = reports.Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.pk}/"
    assert report.evidence_links == ["https://my.example/photo.jpg"]
    assert report.good_faith is True
    detail = client.get(response["Location"]).content.decode()
    assert "We aim to decide by 2026-03-03 09:00" in detail
    other = UserFactory(username="zed")
    client.force_login(other)
    assert client.get(response["Location"]).status_code == 404
