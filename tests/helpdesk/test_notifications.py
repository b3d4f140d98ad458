from datetime import UTC, datetime

import pytest
from django.core import mail

from helpdesk.models import Notification
from helpdesk.notifications import notification_send

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_notification_is_in_app_at_once_and_mailed_after_commit(
    customer, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipients=[customer, customer, agent],
            kind="decision",
            text="Your review is live.",
            now=NOW,
            url="/tickets/1/",
        )

    assert sorted(Notification.objects.values_list("user__username", "text")) == [
        ("alice", "Your review is live."),
        ("carla", "Your review is live."),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "carla@example.com"]
    sent = mail.outbox[0]
    assert sent.body == "Your review is live.\n\nhttp://127.0.0.1:8000/tickets/1/"
    assert sent.subject == "Your review is live."
    assert sent.reply_to == ["support@helpdesk.localhost"]
    assert sent.extra_headers["Message-ID"].endswith("@helpdesk.localhost>")
    assert sent.alternatives[0].mimetype == "text/html"
    assert sent.alternatives[0].content == (
        '<div><p>Your review is live.</p></div><p><a href="http://127.0.0.1:8000/tickets/1/">'
        "http://127.0.0.1:8000/tickets/1/</a></p>"
    )
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


@pytest.mark.django_db
def test_nothing_is_mailed_when_the_change_rolls_back(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification_send(recipients=[customer], kind="x", text="t", now=NOW)

    assert len(callbacks) == 1  # runs only on commit
    assert mail.outbox == []


@pytest.mark.django_db
def test_api_lists_the_callers_notifications_newest_first_and_marks_them_read(
    api_client, customer, other_customer
):
    (old,) = notification_send(recipients=[customer], kind="a", text="old", now=NOW, email=False)
    (new,) = notification_send(
        recipients=[customer], kind="b", text="new", now=NOW.replace(hour=10), email=False
    )
    notification_send(recipients=[other_customer], kind="c", text="not yours", now=NOW, email=False)

    listed = api_client(customer).get("/api/v1/notifications/")
    read = api_client(customer).post(f"/api/v1/notifications/{old.pk}/read/")
    foreign = api_client(other_customer).post(f"/api/v1/notifications/{old.pk}/read/")

    assert [n["text"] for n in listed.json()["results"]] == ["new", "old"]
    assert listed.json()["results"][0] == {
        "id": new.pk,
        "kind": "b",
        "ticket": None,
        "text": "new",
        "url": "",
        "created_at": "2026-03-02T10:00:00Z",
        "read_at": None,
    }
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert foreign.status_code == 404
    assert api_client(None).get("/api/v1/notifications/").status_code == 401


@pytest.mark.django_db
def test_a_ticket_notification_carries_the_ticket_reference_and_escapes_html(
    customer, django_capture_on_commit_callbacks
):
    from tests.factories import TicketFactory

    ticket = TicketFactory(requester=customer)
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipients=[customer],
            kind="decision",
            text="<b>Rejected</b>: spam",
            now=NOW,
            ticket_id=ticket.pk,
        )

    sent = mail.outbox[0]
    assert sent.subject == f"[#{ticket.pk}] <b>Rejected</b>: spam"
    assert "&lt;b&gt;Rejected&lt;/b&gt;" in sent.alternatives[0].content
