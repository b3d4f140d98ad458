from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from helpdesk.models import User
from tickets.models import Message, Product, Queue, Ticket


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _snapshot() -> dict:
    return {
        "users": User.objects.count(),
        "queues": Queue.objects.count(),
        "products": Product.objects.count(),
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "updated": sorted(Ticket.objects.values_list("updated_at", flat=True)),
    }


def _counts(qs, *fields) -> dict:
    return {row[:-1]: row[-1] for row in qs.values_list(*fields).annotate(n=Count("id"))}


@pytest.mark.django_db
def test_seed_demo_creates_a_lived_in_helpdesk():
    output = _seed()

    assert _counts(User.objects.order_by(), "role") == {
        ("agent",): 3,
        ("manager",): 1,
        ("customer",): 12,
    }
    assert _counts(Ticket.objects.order_by(), "kind") == {
        ("support",): 30,
        ("question",): 10,
        ("review",): 12,
        ("report",): 8,
    }
    assert _counts(Ticket.objects.filter(kind="support").order_by(), "status") == {
        ("open",): 12,
        ("pending",): 4,
        ("solved",): 6,
        ("closed",): 8,
    }
    assert _counts(Ticket.objects.filter(kind="question").order_by(), "moderation") == {
        ("pending",): 4,
        ("published",): 4,
        ("rejected",): 2,
    }
    assert _counts(Ticket.objects.filter(kind="review").order_by(), "moderation") == {
        ("pending",): 4,
        ("published",): 6,
        ("rejected",): 2,
    }
    assert _counts(Ticket.objects.filter(kind="report").order_by(), "outcome") == {
        (None,): 3,
        ("upheld",): 3,
        ("rejected",): 2,
    }
    assert set(Ticket.objects.filter(kind="review").values_list("rating", flat=True)) == {
        1,
        2,
        3,
        4,
        5,
    }
    assert Queue.objects.filter(slug__in=["support", "billing"]).count() == 2
    assert Product.objects.get(sku="ket-200").name.startswith("KET-200")
    assert Message.objects.filter(public=False, kind="reply").exists()  # internal notes
    assert "Created 16 users, 2 queues, 8 products, 60 tickets" in output
    assert "demo-pass-2026" in output


@pytest.mark.django_db
def test_seed_demo_users_can_log_in_and_the_manager_has_the_admin():
    _seed()

    max_ = User.objects.get(username="max")
    assert max_.role == "manager"
    assert max_.is_staff and max_.is_superuser
    assert User.objects.get(username="alice").check_password("demo-pass-2026")
    assert User.objects.get(username="carla").check_password("demo-pass-2026")
    assert not User.objects.get(username="carla").is_staff


@pytest.mark.django_db
def test_seed_demo_a_customer_follow_up_reopened_a_solved_ticket():
    _seed()

    ticket = Ticket.objects.get(subject="Kettle lid does not open fully")
    assert ticket.status == "open"
    events = list(ticket.messages.filter(kind="event").values_list("body", flat=True))
    assert "Status changed from open to solved." in events
    assert ticket.messages.order_by("created_at").last().author.username == "carla"


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    _seed()
    before = _snapshot()

    output = _seed()

    assert _snapshot() == before
    assert "nothing changed" in output


@pytest.mark.django_db
def test_seed_demo_flags_only_the_template_replies_as_generic():
    _seed()

    generic = Message.objects.filter(generic=True).order_by("created_at")

    assert [(m.ticket.subject, m.author.username) for m in generic] == [
        ("Report button greyed out on listings", "bob"),
        ("Report button greyed out on listings", "bob"),
    ]
