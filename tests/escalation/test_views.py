import csv
import io
from datetime import timedelta

import pytest
import time_machine

from escalation.models import Escalation
from helpdesk.models import Notification
from sla.models import Clock
from tests.escalation.conftest import T0
from tests.escalation.test_api import bulk_escalations
from tests.factories import TicketFactory


def seed_clocks(n):
    tickets = TicketFactory.create_batch(n, created_at=T0)
    Clock.objects.bulk_create(
        Clock(
            ticket=t,
            metric="first_response",
            target_minutes=60,
            started_at=T0,
            due_at=T0 + timedelta(minutes=60 if i % 2 else 600),
            warn_at=T0 + timedelta(minutes=45),
            breached=bool(i % 2),
            state="running" if i % 3 else "stopped",
            stopped_at=None if i % 3 else T0 + timedelta(minutes=30 + i),
        )
        for i, t in enumerate(tickets)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, 200])
def test_dashboard_query_count_is_flat(client, manager, n, django_assert_num_queries):
    seed_clocks(n)
    bulk_escalations(n)
    client.force_login(manager)

    # session, user, SLA figures, reply rates, moderation backlog, report times, neutrality,
    # breached, at risk, escalations to acknowledge (no queue, no assignee: no name lookups)
    with time_machine.travel(T0 + timedelta(hours=5), tick=False), django_assert_num_queries(10):
        response = client.get("/manager/dashboard/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Breached and at risk now" in html
    assert 'role="img"' in html
    assert f"{n} escalation" in html


@pytest.mark.django_db
def test_dashboard_is_for_managers_only(client, agent):
    client.force_login(agent)
    assert client.get("/manager/dashboard/").status_code == 404


@pytest.mark.django_db
def test_live_section_is_an_htmx_partial(client, manager):
    seed_clocks(4)
    client.force_login(manager)

    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        response = client.get("/manager/dashboard/live/", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="live"')
    assert "<html" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "table",
    [
        "metrics",
        "queues",
        "agents",
        "reply_quality",
        "chart",
        "moderation_backlog",
        "report_decisions",
        "live",
    ],
)
def test_every_table_exports_as_csv(client, manager, table):
    seed_clocks(6)
    client.force_login(manager)

    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        response = client.get(f"/manager/dashboard/export/{table}.csv?days=7")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0]
    if table == "metrics":
        assert rows[1][:4] == ["First response", "6", "1", "3"]


@pytest.mark.django_db
def test_unknown_table_is_404(client, manager):
    client.force_login(manager)
    assert client.get("/manager/dashboard/export/_figures.csv").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, 200])
def test_escalation_page_query_count_is_flat(client, agent, n, django_assert_num_queries):
    bulk_escalations(n)
    client.force_login(agent)

    with django_assert_num_queries(4):  # session, user, count, page with tickets
        response = client.get("/agent/escalations/")

    assert response.content.decode().count(">Acknowledge</button>") == min(n, 50)


@pytest.mark.django_db
def test_acknowledge_from_the_page_with_htmx(client, agent):
    bulk_escalations(1)
    escalation = Escalation.objects.get()
    client.force_login(agent)

    response = client.post(
        f"/agent/escalations/{escalation.pk}/acknowledge/", HTTP_HX_REQUEST="true"
    )

    assert response.content.decode().lstrip().startswith(f'<tr id="escalation-{escalation.pk}"')
    escalation.refresh_from_db()
    assert escalation.acknowledged_by == agent


@pytest.mark.django_db
def test_bell_counts_unread_and_page_marks_read(client, agent):
    for i in range(3):
        Notification.objects.create(
            user=agent, kind="escalation_warning", text=f"n{i}", created_at=T0
        )
    client.force_login(agent)

    bell = client.get("/notifications/bell/", HTTP_HX_REQUEST="true").content.decode()
    assert 'aria-label="Notifications, 3 unread"' in bell
    assert 'hx-trigger="every 30s"' in bell
    first = Notification.objects.order_by("id").first()
    client.post(f"/notifications/{first.pk}/read/")
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    client.post("/notifications/0/read/")
    assert Notification.objects.filter(read_at__isnull=True).count() == 0
    page = client.get("/notifications/").content.decode()
    assert "n2" in page and "Escalation e-mails" in page


@pytest.mark.django_db
def test_preferences_form(client, agent):
    from escalation.notifications import preference_for

    client.force_login(agent)
    client.post("/notifications/preferences/", {"email": "digest", "email_triggers": ["breach"]})

    assert preference_for(agent) == ("digest", ["breach"])


@pytest.mark.django_db
def test_the_worker_warms_the_dashboard_figures_once_per_five_minute_period(settings):
    from datetime import UTC, datetime

    from django.core.cache import cache

    from escalation.report import dashboard_period, figures_cached
    from escalation.tasks import dashboard_warm_task

    settings.ESCALATION_FIGURES_CACHE_SECONDS = 300
    cache.clear()
    now = datetime(2026, 3, 2, 9, 7, 30, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        assert dashboard_warm_task() == 3  # 7, 30 and 90 days
        assert dashboard_warm_task() == 0  # already there
        since, until = dashboard_period(now=now, days=30)
        assert until == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
        assert figures_cached(since=since, until=until)
