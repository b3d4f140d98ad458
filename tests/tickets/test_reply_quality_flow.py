"""The story of issue 4 through the API: time to an answer, not time to a reply."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from sla.models import Clock, Event, ReplyFingerprint

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUESTION = (
    "Hello, my KET-200 kettle switches itself off before the water boils, every time since "
    "last week. Is this the thermostat, and is it covered by the warranty? Order 55012."
)
POLITE = (
    "Dear Carla,\n\nThank you for contacting us. We value your feedback and we have "
    "forwarded your request to the relevant department. We apologize for any inconvenience."
    "\n\nKind regards,\nAlice\nCustomer Care"
)
POLITE_AGAIN = (
    "Dear Carla,\n\nThank you for contacting us. We value your feedback and we have "
    "forwarded your request to the relevant department. We apologize for any inconvenience "
    "and thank you for your patience.\n\nBest regards,\nAlice\nCustomer Care"
)
REPHRASED = "I asked two things: is the thermostat faulty, and will the warranty cover it?"
ANSWER = (
    "Yes: a KET-200 that switches off before boiling has a faulty thermostat, and the 2-year "
    "warranty covers it. We will send a replacement kettle for order 55012 today."
)


def at(minutes):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


def post(client, url, data):
    response = client.post(url, data, format="json")
    assert response.status_code in (200, 201), response.json()
    return response.json()


def answer_clock(ticket_id):
    return Clock.objects.get(ticket_id=ticket_id, metric="answer")


@pytest.mark.django_db
def test_two_polite_replies_that_answer_nothing_are_flagged_the_third_answers(
    api_client, customer, agent
):
    carla, alice = api_client(customer), api_client(agent)
    with at(0):
        ticket = post(carla, "/api/v1/tickets/", {"subject": "Kettle turns off", "body": QUESTION})
    messages = f"/api/v1/tickets/{ticket['id']}/messages/"

    with at(30):
        first = post(alice, messages, {"body": POLITE})
    with at(60):
        checked = post(
            alice, "/api/v1/replies/check/", {"ticket": ticket["id"], "body": POLITE_AGAIN}
        )
    with at(61):
        second = post(alice, messages, {"body": POLITE_AGAIN})

    assert first["generic"] is True
    assert any(r.startswith("Mostly stock phrases") for r in first["generic_reasons"])
    assert checked["generic"] is True and checked["score"] >= 0.5
    assert second["generic"] is True
    assert any("previous reply" in r for r in second["generic_reasons"])
    # First response was met by the first reply; the answer clock still runs.
    first_response = Clock.objects.get(ticket_id=ticket["id"], metric="first_response")
    assert (first_response.state, first_response.stopped_at) == (
        "stopped",
        T0 + timedelta(minutes=30),
    )
    assert answer_clock(ticket["id"]).state == "running"
    assert list(
        Event.objects.filter(kind="generic_reply")
        .order_by("level")
        .values_list("level", "subject_key")
    ) == [(1, f"message:{first['id']}"), (2, f"message:{second['id']}")]

    with at(90):
        post(carla, messages, {"body": REPHRASED})
    with at(120):
        third = post(alice, messages, {"body": ANSWER})

    assert third["generic"] is False
    clock = answer_clock(ticket["id"])
    assert (clock.state, clock.stopped_at) == ("stopped", T0 + timedelta(minutes=120))
    # The customer never sees the verdicts.
    seen = api_client(customer).get(messages).json()["results"]
    assert {m["generic"] for m in seen} == {None}
    assert {tuple(m["generic_reasons"]) for m in seen} == {()}


@pytest.mark.django_db
def test_not_answered_puts_the_answer_clock_back_and_counts_against_the_reply(
    api_client, customer, agent
):
    carla, alice = api_client(customer), api_client(agent)
    with at(0):
        ticket = post(carla, "/api/v1/tickets/", {"subject": "Kettle turns off", "body": QUESTION})
    url = f"/api/v1/tickets/{ticket['id']}/not-answered/"
    with at(5):
        too_early = carla.post(url, {}, format="json")
    with at(30):
        reply = post(alice, f"/api/v1/tickets/{ticket['id']}/messages/", {"body": ANSWER})
        alice.patch(f"/api/v1/tickets/{ticket['id']}/", {"status": "solved"}, format="json")
    assert answer_clock(ticket["id"]).state == "stopped"

    with at(300):
        flagged = post(carla, url, {"comment": "It still switches off; the seal was not it."})

    assert too_early.status_code == 409
    assert flagged["status"] == "open"
    clock = answer_clock(ticket["id"])
    # From its original start: due 24 h after the ticket was opened, time in between counts.
    assert (clock.state, clock.stopped_at, clock.due_at) == (
        "running",
        None,
        T0 + timedelta(days=1),
    )
    event = Event.objects.get(kind="not_answered")
    assert (event.ticket_id, event.level, event.subject_key) == (
        ticket["id"],
        1,
        f"message:{reply['id']}",
    )
    assert ReplyFingerprint.objects.get(message_id=reply["id"]).not_answered is True
    conversation = carla.get(f"/api/v1/tickets/{ticket['id']}/messages/").json()["results"]
    assert conversation[-1]["body"] == "It still switches off; the seal was not it."


@pytest.mark.django_db
def test_only_the_requester_says_not_answered_and_only_agents_check_replies(
    api_client, customer, other_customer, agent
):
    with at(0):
        ticket = post(api_client(customer), "/api/v1/tickets/", {"subject": "s", "body": QUESTION})
    url = f"/api/v1/tickets/{ticket['id']}/not-answered/"

    assert api_client(other_customer).post(url, {}, format="json").status_code == 404
    assert api_client(agent).post(url, {}, format="json").status_code == 403
    assert api_client(None).post(url, {}, format="json").status_code == 401
    check = {"ticket": ticket["id"], "body": ANSWER}
    assert (
        api_client(customer).post("/api/v1/replies/check/", check, format="json").status_code == 403
    )
    missing = api_client(agent).post(
        "/api/v1/replies/check/", {"ticket": 999, "body": "x"}, format="json"
    )
    assert missing.status_code == 404
    empty = api_client(agent).post(
        "/api/v1/replies/check/", {"ticket": ticket["id"], "body": ""}, format="json"
    )
    assert empty.status_code == 400 and "body" in empty.json()


@pytest.mark.django_db
def test_a_template_reused_across_different_questions_is_flagged_with_its_count(
    api_client, customer, agent
):
    alice = api_client(agent)
    template = (
        "Thank you for reaching out. Our team is looking into it and will get back to you as "
        "soon as possible. Please allow 3-5 business days for a full response. Best regards."
    )
    questions = [
        "My router drops Wi-Fi every evening at 8 pm, the LED blinks red.",
        "The robot vacuum does not return to its dock, battery dies in the hallway.",
        "I was charged twice for invoice INV-7781, please refund one payment.",
        "Headphones left earbud has no sound after the firmware update 2.1.",
    ]
    ids = []
    for n, question in enumerate(questions):
        with at(n):
            t = post(
                api_client(customer), "/api/v1/tickets/", {"subject": "Help", "body": question}
            )
            ids.append(t["id"])
            post(alice, f"/api/v1/tickets/{t['id']}/messages/", {"body": template})

    last = Event.objects.filter(ticket_id=ids[-1], kind="generic_reply").get()
    assert any("Reused on" in r for r in last.detail["reasons"])
    fps = ReplyFingerprint.objects.filter(ticket_id__in=ids).order_by("sent_at")
    templates = {fp.template_id for fp in fps}
    assert templates == {fps[0].pk}


@pytest.mark.django_db
def test_a_generic_reply_escalates_right_after_commit_not_at_the_next_sweep(
    api_client, customer, agent, django_capture_on_commit_callbacks
):
    from escalation.models import Escalation

    with at(0):
        ticket = post(api_client(customer), "/api/v1/tickets/", {"subject": "s", "body": QUESTION})
    with at(30), django_capture_on_commit_callbacks(execute=True):
        post(api_client(agent), f"/api/v1/tickets/{ticket['id']}/messages/", {"body": POLITE})

    assert list(Escalation.objects.values_list("ticket_id", "trigger", "level")) == [
        (ticket["id"], "generic_reply", 1)
    ]
