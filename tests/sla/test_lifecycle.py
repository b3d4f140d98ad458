"""Every row of DESIGN.md's metrics table, driven through the tickets services."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla import services as sla
from sla.models import Calendar, Clock, Event, Policy
from tests.factories import ProductFactory, TicketFactory
from tickets.models import Ticket
from tickets.services import (
    ticket_create,
    ticket_facts,
    ticket_reply_add,
    ticket_update,
)

BUC = ZoneInfo("Europe/Bucharest")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
# A reply that answers "Kettle: it leaks." (a generic one would not stop the answer clock).
FIX = "The leak comes from the base seal; tighten the base ring or we send a new seal."
WEEKDAYS_9_TO_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def clock(ticket, metric, cycle=1):
    return Clock.objects.get(ticket=ticket, metric=metric, cycle=cycle)


@pytest.fixture
def office_policy(db):
    calendar = Calendar.objects.create(
        name="Bucharest office", timezone="Europe/Bucharest", hours=WEEKDAYS_9_TO_5, country="RO"
    )
    return Policy.objects.create(
        name="Office hours",
        order=1,
        calendar=calendar,
        targets={"first_response": 240, "answer": 480, "resolution": 1440},
    )


def new_ticket(customer, now=T0):
    return ticket_create(requester=customer, subject="Kettle", body="It leaks.", now=now)


@pytest.mark.django_db
def test_created_ticket_starts_first_response_answer_and_resolution_from_default_policy(
    customer,
):
    ticket = new_ticket(customer)

    clocks = {c.metric: c for c in ticket.clocks.all()}
    assert sorted(clocks) == ["answer", "first_response", "resolution"]
    assert clocks["first_response"].due_at == T0 + timedelta(minutes=240)
    assert clocks["first_response"].warn_at == T0 + timedelta(minutes=180)
    assert clocks["answer"].due_at == T0 + timedelta(minutes=1440)
    assert clocks["resolution"].due_at == T0 + timedelta(minutes=4320)
    assert {c.state for c in clocks.values()} == {"running"}
    ticket.refresh_from_db()
    assert ticket.sla_due_at == T0 + timedelta(minutes=240)


@pytest.mark.django_db
def test_friday_16_00_with_4_hours_is_due_monday_12_00_local(customer, office_policy):
    friday_16 = datetime(2026, 11, 20, 16, 0, tzinfo=BUC)

    ticket = new_ticket(customer, now=friday_16)

    assert clock(ticket, "first_response").due_at == datetime(2026, 11, 23, 12, 0, tzinfo=BUC)


@pytest.mark.django_db
def test_friday_16_00_across_the_march_dst_change_is_due_monday_12_00_local(
    customer, office_policy
):
    friday_16 = datetime(2026, 3, 27, 16, 0, tzinfo=BUC)  # clocks go forward on Sunday 29th

    ticket = new_ticket(customer, now=friday_16)

    due = clock(ticket, "first_response").due_at
    assert due.astimezone(BUC).replace(tzinfo=None) == datetime(2026, 3, 30, 12, 0)
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # EEST is UTC+3


@pytest.mark.django_db
def test_a_public_holiday_from_the_holidays_package_is_skipped(customer, office_policy):
    # Monday 30 November (St Andrew) and Tuesday 1 December (national day) are holidays.
    friday_16 = datetime(2026, 11, 27, 16, 0, tzinfo=BUC)

    ticket = new_ticket(customer, now=friday_16)

    assert clock(ticket, "first_response").due_at == datetime(2026, 12, 2, 12, 0, tzinfo=BUC)


@pytest.mark.django_db
def test_the_queue_calendar_applies_when_the_policy_has_none(customer):
    from tests.factories import QueueFactory

    calendar = Calendar.objects.create(
        name="Support hours", timezone="Europe/Bucharest", hours=WEEKDAYS_9_TO_5
    )
    queue = QueueFactory(slug="support", calendar=calendar)
    friday_16 = datetime(2026, 11, 20, 16, 0, tzinfo=BUC)

    ticket = ticket_create(requester=customer, subject="s", body="b", queue=queue, now=friday_16)

    first = clock(ticket, "first_response")
    assert first.due_at == datetime(2026, 11, 23, 12, 0, tzinfo=BUC)
    assert first.calendar_id == calendar.pk


@pytest.mark.django_db
def test_first_public_agent_reply_stops_first_response_and_answer_not_an_internal_note(
    customer, agent
):
    ticket = new_ticket(customer)
    ticket_reply_add(ticket=ticket, author=agent, body="Note", public=False, now=T0)
    assert clock(ticket, "first_response").state == "running"

    replied = T0 + timedelta(hours=1)
    ticket_reply_add(ticket=ticket, author=agent, body=FIX, public=True, now=replied)

    for metric in ("first_response", "answer"):
        stopped = clock(ticket, metric)
        assert (stopped.state, stopped.stopped_at, stopped.breached) == ("stopped", replied, False)
    assert clock(ticket, "resolution").state == "running"
    ticket.refresh_from_db()
    assert ticket.sla_due_at == clock(ticket, "resolution").due_at


@pytest.mark.django_db
def test_a_generic_reply_stops_first_response_but_not_the_answer_clock(customer):
    ticket = new_ticket(customer)

    sla.sla_agent_replied(ticket_id=ticket.pk, generic=True, now=T0 + timedelta(hours=1))

    assert clock(ticket, "first_response").state == "stopped"
    assert clock(ticket, "answer").state == "running"


@pytest.mark.django_db
def test_a_late_reply_marks_the_clock_breached_with_one_breach_event(customer, agent):
    ticket = new_ticket(customer)

    late = T0 + timedelta(hours=5)
    ticket_reply_add(ticket=ticket, author=agent, body=FIX, public=True, now=late)

    first = clock(ticket, "first_response")
    assert (first.breached, first.breached_at) == (True, T0 + timedelta(hours=4))
    assert list(Event.objects.values_list("kind", "metric")) == [("breach", "first_response")]


@pytest.mark.django_db
def test_customer_message_after_an_agent_reply_starts_a_next_response_cycle(customer, agent):
    ticket = new_ticket(customer)
    ticket_reply_add(ticket=ticket, author=customer, body="Also...", public=True, now=T0)
    assert not ticket.clocks.filter(metric="next_response").exists()

    ticket_reply_add(ticket=ticket, author=agent, body="Descale it.", public=True, now=T0)
    asked = T0 + timedelta(hours=2)
    ticket_reply_add(ticket=ticket, author=customer, body="How?", public=True, now=asked)
    ticket_reply_add(ticket=ticket, author=customer, body="Hello?", public=True, now=asked)

    first_cycle = clock(ticket, "next_response")
    assert (first_cycle.state, first_cycle.started_at) == ("running", asked)
    assert first_cycle.due_at == asked + timedelta(minutes=480)
    answered = asked + timedelta(hours=1)
    ticket_reply_add(ticket=ticket, author=agent, body="Vinegar.", public=True, now=answered)
    assert clock(ticket, "next_response").state == "stopped"

    again = answered + timedelta(hours=1)
    ticket_reply_add(ticket=ticket, author=customer, body="Thanks, but", public=True, now=again)
    second = clock(ticket, "next_response", cycle=2)
    assert (second.state, second.started_at) == ("running", again)


@pytest.mark.django_db
def test_pending_ten_hours_moves_resolution_due_ten_hours_later(customer, agent):
    ticket = new_ticket(customer)
    due_before = clock(ticket, "resolution").due_at

    ticket_update(ticket=ticket, actor=agent, status="pending", now=T0 + timedelta(hours=1))
    paused = clock(ticket, "resolution")
    assert (paused.state, paused.paused_at) == ("paused", T0 + timedelta(hours=1))
    assert clock(ticket, "answer").state == "paused"
    assert clock(ticket, "first_response").state == "running"
    ticket_update(ticket=ticket, actor=agent, status="open", now=T0 + timedelta(hours=11))

    resumed = clock(ticket, "resolution")
    assert resumed.state == "running"
    assert resumed.due_at == due_before + timedelta(hours=10)
    assert clock(ticket, "answer").due_at == T0 + timedelta(minutes=1440, hours=10)


@pytest.mark.django_db
def test_customer_reply_on_pending_ticket_resumes_its_clocks(customer, agent):
    ticket = new_ticket(customer)
    ticket_update(ticket=ticket, actor=agent, status="pending", now=T0)

    ticket_reply_add(
        ticket=ticket, author=customer, body="Here", public=True, now=T0 + timedelta(hours=3)
    )

    assert clock(ticket, "resolution").due_at == T0 + timedelta(minutes=4320, hours=3)
    assert clock(ticket, "resolution").state == "running"


@pytest.mark.django_db
def test_pending_in_business_hours_counts_only_business_time(customer, agent, office_policy):
    monday_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BUC)
    ticket = new_ticket(customer, now=monday_10)
    due_before = clock(ticket, "resolution").due_at  # 24 business hours: Thursday 10:00
    assert due_before == datetime(2026, 11, 26, 10, 0, tzinfo=BUC)

    ticket_update(ticket=ticket, actor=agent, status="pending", now=monday_10)
    # Pending from Monday 10:00 to Tuesday 11:00: 7 + 2 = 9 business hours.
    ticket_update(
        ticket=ticket, actor=agent, status="open", now=datetime(2026, 11, 24, 11, 0, tzinfo=BUC)
    )

    assert clock(ticket, "resolution").due_at == datetime(2026, 11, 27, 11, 0, tzinfo=BUC)


@pytest.mark.django_db
def test_solved_stops_resolution_and_reopening_resumes_it(customer, agent):
    ticket = new_ticket(customer)
    due_before = clock(ticket, "resolution").due_at

    ticket_update(ticket=ticket, actor=agent, status="solved", now=T0 + timedelta(hours=2))
    assert {c.state for c in ticket.clocks.all()} == {"stopped"}
    ticket.refresh_from_db()
    assert ticket.sla_due_at is None

    ticket_reply_add(
        ticket=ticket,
        author=customer,
        body="Broken again",
        public=True,
        now=T0 + timedelta(hours=7),
    )

    ticket.refresh_from_db()
    resolution = clock(ticket, "resolution")
    assert (ticket.status, resolution.state) == ("open", "running")
    assert resolution.due_at == due_before + timedelta(hours=5)
    assert ticket.sla_due_at == resolution.due_at


@pytest.mark.django_db
def test_not_answered_runs_the_answer_clock_again_from_its_original_start(customer, agent):
    ticket = new_ticket(customer)
    ticket_reply_add(
        ticket=ticket, author=agent, body="Thanks!", public=True, now=T0 + timedelta(hours=1)
    )
    due = clock(ticket, "answer").due_at

    event = sla.sla_not_answered(ticket_id=ticket.pk, now=T0 + timedelta(hours=2))

    answer = clock(ticket, "answer")
    assert (answer.state, answer.stopped_at, answer.due_at) == ("running", None, due)
    assert (event.kind, event.level) == ("not_answered", 1)


@pytest.mark.django_db
def test_moderation_clock_runs_from_submission_to_decision_then_answer_starts(customer):
    question = TicketFactory(
        kind=Ticket.Kind.QUESTION,
        requester=customer,
        product=ProductFactory(),
        moderation="pending",
        created_at=T0,
    )
    sla.sla_ticket_created(facts=ticket_facts(question), now=T0)
    assert clock(question, "moderation").due_at == T0 + timedelta(minutes=1440)

    published = T0 + timedelta(hours=3)
    sla.sla_moderation_decided(facts=ticket_facts(question), published=True, now=published)

    assert clock(question, "moderation").state == "stopped"
    answer = clock(question, "answer")
    assert (answer.started_at, answer.due_at) == (published, published + timedelta(minutes=1440))


@pytest.mark.django_db
def test_report_decision_clock_stops_at_the_decision(customer):
    report = TicketFactory(
        kind=Ticket.Kind.REPORT,
        requester=customer,
        created_at=T0,
        target_url="https://shop.example/listing/1",
        reason="copyright",
    )
    sla.sla_ticket_created(facts=ticket_facts(report), now=T0)

    sla.sla_report_decided(ticket_id=report.pk, now=T0 + timedelta(hours=30))

    decided = clock(report, "report_decision")
    assert (decided.state, decided.breached) == ("stopped", True)
    assert decided.breached_at == T0 + timedelta(hours=24)


@pytest.mark.django_db
def test_the_lowest_order_matching_policy_wins(customer, agent):
    Policy.objects.create(
        name="Urgent", order=10, priorities=["urgent"], targets={"first_response": 30}
    )
    Policy.objects.create(
        name="Billing", order=20, queues=["billing"], targets={"first_response": 60}
    )

    urgent = ticket_create(requester=customer, subject="s", body="b", priority="urgent", now=T0)
    normal = new_ticket(customer)

    assert clock(urgent, "first_response").due_at == T0 + timedelta(minutes=30)
    # The urgent policy sets no answer target, so the default policy's applies.
    assert clock(urgent, "answer").due_at == T0 + timedelta(minutes=1440)
    assert clock(normal, "first_response").due_at == T0 + timedelta(minutes=240)


@pytest.mark.django_db
def test_a_policy_change_applies_to_new_clocks_and_sla_recompute_rebaselines(customer, agent):
    from io import StringIO

    from django.core.management import call_command

    old = new_ticket(customer)
    ticket_update(ticket=old, actor=agent, status="pending", now=T0 + timedelta(hours=1))
    ticket_update(ticket=old, actor=agent, status="open", now=T0 + timedelta(hours=3))
    Policy.objects.filter(order=1000).update(
        targets={"first_response": 60, "answer": 120, "resolution": 600}
    )
    fresh = new_ticket(customer, now=T0 + timedelta(hours=4))
    assert clock(old, "resolution").due_at == T0 + timedelta(minutes=4320, hours=2)
    assert clock(fresh, "resolution").due_at == T0 + timedelta(hours=4, minutes=600)

    out = StringIO()
    call_command("sla_recompute", stdout=out)

    # Resolution keeps the 2 hours it spent pending; first_response is already past due
    # under the new target but only the sweep marks breaches.
    assert clock(old, "resolution").due_at == T0 + timedelta(minutes=600, hours=2)
    assert clock(old, "resolution").target_minutes == 600
    assert clock(old, "first_response").due_at == T0 + timedelta(minutes=60)
    old.refresh_from_db()
    assert old.sla_due_at == T0 + timedelta(minutes=60)
    assert "2 tickets with running or paused clocks." in out.getvalue()
    assert "Re-baselined 3 clocks on 2 tickets." in out.getvalue()
