import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections, transaction

from sla.models import Clock, Event
from sla.sweep import SweepResult, sweep
from sla.tasks import sla_sweep_task
from tests.factories import TicketFactory
from tickets.services import ticket_create

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def open_tickets(customer, n, now=T0):
    return [ticket_create(requester=customer, subject=f"t{i}", body="b", now=now) for i in range(n)]


def events():
    return sorted(Event.objects.values_list("ticket_id", "metric", "kind"))


@pytest.mark.django_db
def test_warning_at_75_percent_then_breach_each_recorded_once(customer):
    (ticket,) = open_tickets(customer, 1)

    assert sweep(now=T0 + timedelta(minutes=179)) == SweepResult(warnings=0, breaches=0)
    result = sweep(now=T0 + timedelta(minutes=180))
    again = sweep(now=T0 + timedelta(minutes=200))

    assert (result.warnings, result.breaches) == (1, 0)
    assert (again.warnings, again.breaches) == (0, 0)
    assert events() == [(ticket.pk, "first_response", "warning")]
    first = Clock.objects.get(ticket=ticket, metric="first_response")
    assert first.warned_at == T0 + timedelta(minutes=180)

    breach = sweep(now=T0 + timedelta(minutes=240))
    assert (breach.warnings, breach.breaches) == (0, 1)
    first.refresh_from_db()
    assert (first.breached, first.breached_at) == (True, T0 + timedelta(minutes=240))
    sweep(now=T0 + timedelta(days=10))
    assert events() == [
        (ticket.pk, "answer", "breach"),
        (ticket.pk, "first_response", "breach"),
        (ticket.pk, "first_response", "warning"),
        (ticket.pk, "resolution", "breach"),
    ]


@pytest.mark.django_db
def test_a_clock_first_seen_past_due_gets_its_breach_and_no_warning(customer):
    (ticket,) = open_tickets(customer, 1)

    sweep(now=T0 + timedelta(minutes=300))

    assert events() == [(ticket.pk, "first_response", "breach")]


@pytest.mark.django_db
def test_paused_and_stopped_clocks_are_not_swept(customer, agent):
    from tickets.services import ticket_update

    (pending, solved) = open_tickets(customer, 2)
    ticket_update(ticket=pending, actor=agent, status="pending", now=T0)
    ticket_update(ticket=solved, actor=agent, status="solved", now=T0)

    sweep(now=T0 + timedelta(days=10))

    assert events() == [(pending.pk, "first_response", "breach")]


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, 200])
def test_the_sweep_runs_a_fixed_number_of_statements(customer, n, django_assert_num_queries):
    TicketFactory.reset_sequence()
    tickets = [TicketFactory(requester=customer, created_at=T0) for _ in range(n)]
    Clock.objects.bulk_create(
        Clock(
            ticket=t,
            metric="first_response",
            target_minutes=60,
            started_at=T0,
            due_at=T0 + timedelta(minutes=60),
            warn_at=T0 + timedelta(minutes=45),
        )
        for t in tickets
    )

    # PostgreSQL: savepoint, plan settings, one statement per kind, release. SQLite:
    # savepoint, four INSERT ... SELECT, three UPDATE, release.
    statements = 7 if connection.vendor == "postgresql" else 9
    with django_assert_num_queries(statements):
        sweep(now=T0 + timedelta(minutes=50))
    with django_assert_num_queries(statements):
        result = sweep(now=T0 + timedelta(minutes=70))
    Clock.objects.update(escalate_at=T0 + timedelta(minutes=90))
    with django_assert_num_queries(statements):
        escalated = sweep(now=T0 + timedelta(minutes=90))
    assert escalated.escalations == n

    assert result.breaches == n
    assert Event.objects.filter(kind="breach", level=1).count() == n
    assert Event.objects.filter(kind="warning").count() == n


@pytest.mark.django_db
def test_a_breach_still_running_at_its_escalation_time_raises_level_2_once(customer):
    from sla.escalate import clocks_escalate_at_set

    (ticket,) = open_tickets(customer, 1)
    sweep(now=T0 + timedelta(minutes=240))
    first = Clock.objects.get(ticket=ticket, metric="first_response")
    assert clocks_escalate_at_set(clock_ids=[first.pk]) == 1
    assert clocks_escalate_at_set(clock_ids=[first.pk]) == 0

    assert sweep(now=T0 + timedelta(minutes=359)).escalations == 0
    assert sweep(now=T0 + timedelta(minutes=360)).escalations == 1
    assert sweep(now=T0 + timedelta(minutes=400)).escalations == 0

    first.refresh_from_db()
    assert (first.escalate_at, first.escalated_at) == (T0 + timedelta(minutes=360),) * 2
    assert list(Event.objects.filter(level=2).values_list("metric", "kind")) == [
        ("first_response", "breach")
    ]


@pytest.mark.django_db
def test_escalation_time_counts_business_hours(customer):
    from sla.escalate import clocks_escalate_at_set
    from sla.models import Calendar

    calendar = Calendar.objects.create(
        name="Office",
        timezone="UTC",
        hours={"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]},
    )
    (ticket,) = open_tickets(customer, 1)
    clock = Clock.objects.get(ticket=ticket, metric="first_response")
    Clock.objects.filter(pk=clock.pk).update(
        calendar=calendar, breached=True, due_at=T0 + timedelta(hours=7)
    )

    clocks_escalate_at_set(clock_ids=[clock.pk])

    clock.refresh_from_db()
    # 16:00 Monday plus 2 business hours: one on Monday, one from 09:00 on Tuesday.
    assert clock.escalate_at == T0 + timedelta(days=1, hours=1)


@pytest.mark.django_db
def test_sla_sweep_command_uses_the_current_time(customer):
    (ticket,) = open_tickets(customer, 1)
    from io import StringIO

    out = StringIO()
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        call_command("sla_sweep", stdout=out)

    assert "0 new warnings, 1 new breaches" in out.getvalue()
    assert events() == [(ticket.pk, "first_response", "breach")]


@pytest.mark.django_db
def test_the_scheduled_task_sweeps(customer):
    open_tickets(customer, 2)

    with time_machine.travel(T0 + timedelta(hours=3, minutes=30), tick=False):
        assert sla_sweep_task() == {"warnings": 2, "breaches": 0}


@pytest.mark.django_db
def test_the_sweep_is_scheduled_every_minute():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="sla-sweep")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "sla.tasks.sla_sweep_task",
        "I",
        1,
        -1,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sweep_killed_half_way_loses_nothing(customer):
    open_tickets(customer, 3)

    class Killed(Exception):
        pass

    with pytest.raises(Killed), transaction.atomic():
        sweep(now=T0 + timedelta(hours=5))
        raise Killed  # the process dies before the commit

    assert Event.objects.count() == 0
    assert sweep(now=T0 + timedelta(hours=5)).breaches == 3
    assert Event.objects.count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_record_each_breach_once(customer):
    open_tickets(customer, 20)
    now = T0 + timedelta(hours=5)
    results = {}
    blocked = False

    def second_sweep():
        try:
            results["second"] = sweep(now=now)
        finally:
            connections.close_all()

    with transaction.atomic():
        results["first"] = sweep(now=now)
        other = threading.Thread(target=second_sweep)
        other.start()
        # Wait until the second sweep is blocked on the first one's uncommitted rows.
        with connections["default"].cursor() as cursor:
            for _ in range(500):
                # Statistics views are cached per transaction unless cleared.
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

    assert blocked, "the second sweep never waited for the first"

    assert results["first"].breaches == 20
    assert results["second"].breaches == 0
    assert Event.objects.filter(kind="breach").count() == 20
    assert Event.objects.filter(kind="breach").values("clock").distinct().count() == 20


def _question(customer, now):
    from sla.services import sla_ticket_created
    from tests.factories import ProductFactory
    from tickets.services import ticket_facts

    question = TicketFactory(
        kind="question",
        requester=customer,
        product=ProductFactory(),
        moderation="pending",
        created_at=now,
    )
    sla_ticket_created(facts=ticket_facts(question), now=now)
    return question


@pytest.mark.django_db
@pytest.mark.parametrize("policies", ["default", "none"])
def test_content_unpublished_7_calendar_days_raises_one_critical_event(customer, policies):
    from io import StringIO

    from sla.models import Policy

    if policies == "none":
        Policy.objects.all().delete()  # the rule holds whatever the policy says
    question = _question(customer, T0)

    with time_machine.travel(T0 + timedelta(days=7) - timedelta(seconds=1), tick=False):
        call_command("sla_sweep", stdout=StringIO())
    assert not Event.objects.filter(kind="unpublished_7_days").exists()
    for minutes in (0, 1, 60):
        with time_machine.travel(T0 + timedelta(days=7, minutes=minutes), tick=False):
            call_command("sla_sweep", stdout=StringIO())

    assert list(
        Event.objects.filter(kind="unpublished_7_days").values_list("ticket_id", "metric", "level")
    ) == [(question.pk, "moderation", 1)]


@pytest.mark.django_db
def test_content_decided_in_time_raises_nothing(customer):
    from sla.services import sla_moderation_decided
    from tickets.services import ticket_facts

    question = _question(customer, T0)
    sla_moderation_decided(facts=ticket_facts(question), published=True, now=T0 + timedelta(days=6))

    sweep(now=T0 + timedelta(days=8))

    assert not Event.objects.filter(kind="unpublished_7_days").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite admits one writer")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_clock_made_late_while_the_sweep_runs_gets_its_breach_event(customer):
    # Given a stopped first_response clock whose due time has passed,
    (ticket,) = open_tickets(customer, 1)
    Clock.objects.filter(ticket=ticket).update(state="stopped")
    clock = Clock.objects.get(ticket=ticket, metric="first_response")
    run_again = threading.Thread(
        target=lambda: (
            Clock.objects.filter(pk=clock.pk).update(state="running"),
            connections.close_all(),
        )
    )

    def commit_a_rerun_before_the_breach_update(execute, sql, params, many, context):
        # ... which another transaction runs again (as clock_rerun does) and commits while
        # the sweep is under way, just before it flags breaches,
        if "breached = true" in sql and not run_again.is_alive() and run_again.ident is None:
            run_again.start()
            run_again.join()
        return execute(sql, params, many, context)

    # when the sweep runs,
    with connection.execute_wrapper(commit_a_rerun_before_the_breach_update):
        sweep(now=T0 + timedelta(hours=5))

    # then the clock it flags breached has its breach event.
    clock.refresh_from_db()
    assert clock.breached == Event.objects.filter(clock=clock, kind="breach").exists()
