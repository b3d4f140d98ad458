"""Point 7: the API of API.md's "Products, questions, reviews" and its extensions."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from helpdesk.models import Notification
from tests.factories import ProductFactory, UserFactory
from tests.moderation.conftest import T0, ask, review
from tickets import moderation
from tickets.models import BODY_MAX, Ticket


@pytest.mark.django_db
def test_products_are_public_and_agents_add_them(api_client, agent, customer):
    created = api_client(agent).post("/api/v1/products/", {"sku": "cg-60", "name": "CG-60"})
    refused = api_client(customer).post("/api/v1/products/", {"sku": "x-1", "name": "X"})
    duplicate = api_client(agent).post("/api/v1/products/", {"sku": "cg-60", "name": "Again"})
    listed = api_client(None).get("/api/v1/products/")

    assert created.status_code == 201
    assert created.json() == {
        "sku": "cg-60",
        "name": "CG-60",
        "description": "",
        "review_count": 0,
        "rating_average": None,
    }
    assert refused.status_code == 403
    assert duplicate.status_code == 400
    assert list(duplicate.json()) == ["detail", "sku"]
    assert listed.status_code == 200
    assert [p["sku"] for p in listed.json()["results"]] == ["cg-60"]


@pytest.mark.django_db
def test_a_question_is_created_pending_with_its_moderation_clock(api_client, customer, product):
    with time_machine.travel(T0, tick=False):
        response = api_client(customer).post(
            "/api/v1/products/ket-200/questions/", {"body": "Does it work on 120 V?"}
        )

    assert response.status_code == 201
    data = response.json()
    assert (data["kind"], data["moderation"], data["product"], data["rating"]) == (
        "question",
        "pending",
        "ket-200",
        None,
    )
    assert data["sla"] == [
        {
            "metric": "moderation",
            "state": "running",
            "breached": False,
            "started_at": "2026-03-02T09:00:00Z",
            "due_at": "2026-03-03T09:00:00Z",
            "warn_at": "2026-03-03T03:00:00Z",
            "stopped_at": None,
            "breached_at": None,
        }
    ]


@pytest.mark.django_db
def test_a_review_is_created_pending(api_client, customer, product):
    response = api_client(customer).post(
        "/api/v1/products/ket-200/reviews/",
        {"rating": 5, "title": "Fast", "body": "Boils in two minutes."},
    )

    assert response.status_code == 201
    data = response.json()
    assert (data["kind"], data["moderation"], data["rating"], data["subject"]) == (
        "review",
        "pending",
        5,
        "Fast",
    )
    assert [c["metric"] for c in data["sla"]] == ["moderation"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("reviews", {"rating": 0, "title": "T", "body": "B"}, "rating"),
        ("reviews", {"rating": 6, "title": "T", "body": "B"}, "rating"),
        ("reviews", {"rating": "5", "title": "T", "body": "B"}, "rating"),
        ("reviews", {"rating": 3, "title": "", "body": "B"}, "title"),
        ("reviews", {"rating": 3, "title": "T", "body": ""}, "body"),
        ("reviews", {"rating": 3, "title": "T", "body": "x" * 20_001}, "body"),
        ("reviews", {"rating": 3, "title": "T", "body": "B", "stars": 3}, "stars"),
        ("questions", {"body": ""}, "body"),
        ("questions", {"body": "   "}, "body"),
        ("questions", {"body": "x" * 20_001}, "body"),
        ("questions", {}, "body"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, customer, product, path, payload, field):
    response = api_client(customer).post(f"/api/v1/products/ket-200/{path}/", payload)

    assert response.status_code == 400
    assert field in response.json()
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_a_body_of_exactly_20000_characters_is_accepted(api_client, customer, product):
    response = api_client(customer).post(
        "/api/v1/products/ket-200/questions/", {"body": "x" * BODY_MAX}
    )

    assert response.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["questions", "reviews"])
def test_an_unknown_product_is_a_400_naming_it(api_client, customer, path):
    payload = {"body": "Hi?"} if path == "questions" else {"rating": 3, "title": "T", "body": "B"}

    response = api_client(customer).post(f"/api/v1/products/nope/{path}/", payload)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: product.",
        "product": ["No product with this SKU."],
    }


@pytest.mark.django_db
def test_only_customers_post_content(api_client, agent, product):
    response = api_client(agent).post("/api/v1/products/ket-200/questions/", {"body": "Hi?"})
    anonymous = api_client(None).post("/api/v1/products/ket-200/questions/", {"body": "Hi?"})

    assert response.status_code == 403
    assert anonymous.status_code == 401


@pytest.mark.django_db
def test_public_lists_show_published_items_and_the_authors_own_pending_ones(
    api_client, customer, other_customer, agent, product
):
    published = ask(customer, product, body="Published?")
    moderation.content_moderate(ticket=published, moderator=agent, decision="publish", now=T0)
    moderation.question_answer(ticket=published, agent=agent, body="Yes.", now=T0)
    own_pending = ask(customer, product, body="Mine pending?")
    ask(other_customer, product, body="Other pending?")
    rejected = ask(customer, product, body="Rejected?")
    moderation.content_moderate(
        ticket=rejected, moderator=agent, decision="reject", reason="spam", explanation="Ad", now=T0
    )

    public = api_client(None).get("/api/v1/products/ket-200/questions/").json()
    author = api_client(customer).get("/api/v1/products/ket-200/questions/").json()

    assert [q["title"] for q in public["results"]] == ["Published?"]
    (question,) = public["results"]
    assert [(a["body"], a["author"]) for a in question["answers"]] == [("Yes.", "alice")]
    assert "requester" not in question
    assert [q["id"] for q in author["results"]] == [own_pending.pk, published.pk]
    assert api_client(None).get("/api/v1/products/nope/questions/").status_code == 404


@pytest.mark.django_db
def test_reviews_list_is_public_published_only(api_client, customer, agent, product):
    shown = review(customer, product, rating=1, title="Bad")
    moderation.content_moderate(ticket=shown, moderator=agent, decision="publish", now=T0)
    review(customer, product, rating=5, title="Pending")

    data = api_client(None).get("/api/v1/products/ket-200/reviews/").json()

    assert [(r["title"], r["rating"], r["moderation"]) for r in data["results"]] == [
        ("Bad", 1, "published")
    ]


@pytest.mark.django_db
def test_pending_or_rejected_items_of_other_authors_are_404(
    api_client, customer, other_customer, agent, product
):
    pending = ask(customer, product)
    rejected = ask(customer, product, body="Spam?")
    moderation.content_moderate(
        ticket=rejected, moderator=agent, decision="reject", reason="spam", explanation="Ad", now=T0
    )
    other = api_client(other_customer)

    for ticket in (pending, rejected):
        assert other.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
        assert (
            other.post(f"/api/v1/tickets/{ticket.pk}/contest/", {"statement": "x"}).status_code
            == 404
        )
        assert (
            other.post(f"/api/v1/tickets/{ticket.pk}/resubmit/", {"body": "x"}).status_code == 404
        )
    assert api_client(customer).get(f"/api/v1/tickets/{pending.pk}/").status_code == 200


@pytest.mark.django_db
def test_moderation_queue_is_for_agents_oldest_first_with_filters(
    api_client, customer, agent, product
):
    other = ProductFactory(sku="cg-60", name="Grinder")
    r1 = review(customer, product, rating=1, title="Old", now=T0)
    q = ask(customer, other, now=T0 + timedelta(minutes=1))
    r5 = review(customer, other, rating=5, title="New", now=T0 + timedelta(minutes=2))
    client = api_client(agent)

    def ids(query=""):
        response = client.get(f"/api/v1/moderation/{query}")
        assert response.status_code == 200
        return [t["id"] for t in response.json()["results"]]

    assert ids() == [r1.pk, q.pk, r5.pk]
    assert ids("?kind=review") == [r1.pk, r5.pk]
    assert ids("?product=cg-60") == [q.pk, r5.pk]
    assert ids("?rating=5") == [r5.pk]
    assert client.get("/api/v1/moderation/?rating=6").status_code == 400
    assert api_client(customer).get("/api/v1/moderation/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, 200])
def test_list_endpoints_run_a_fixed_number_of_queries(
    api_client, customer, agent, product, n, django_assert_num_queries
):
    for i in range(n):
        ticket = ask(customer, product, body=f"Q{i}?", now=T0 + timedelta(seconds=i))
        if i % 2:
            moderation.content_moderate(ticket=ticket, moderator=agent, decision="publish", now=T0)
            moderation.question_answer(ticket=ticket, agent=agent, body="A.", now=T0)
            rated = review(customer, product, rating=i % 5 + 1, title=f"R{i}", now=T0)
            moderation.content_moderate(ticket=rated, moderator=agent, decision="publish", now=T0)
    agent_client, public = api_client(agent), api_client(None)

    # count, page, clocks prefetch, the agent's views in the audit log (one INSERT)
    with django_assert_num_queries(4):
        assert agent_client.get("/api/v1/moderation/?page_size=100").status_code == 200
    # product, count, page, answers prefetch
    with django_assert_num_queries(4):
        assert public.get("/api/v1/products/ket-200/questions/?page_size=100").status_code == 200
    # product, count, page
    with django_assert_num_queries(3):
        assert public.get("/api/v1/products/ket-200/reviews/?page_size=100").status_code == 200
    # count, page
    with django_assert_num_queries(2):
        assert public.get("/api/v1/products/").status_code == 200


@pytest.mark.django_db
def test_moderate_publish_and_reject_with_reason(api_client, customer, agent, product):
    a, b = ask(customer, product, body="A?"), ask(customer, product, body="B?")
    client = api_client(agent)

    published = client.post(f"/api/v1/tickets/{a.pk}/moderate/", {"decision": "publish"})
    rejected = client.post(
        f"/api/v1/tickets/{b.pk}/moderate/",
        {"decision": "reject", "reason": "off_topic", "explanation": "About another shop."},
    )
    again = client.post(f"/api/v1/tickets/{a.pk}/moderate/", {"decision": "publish"})

    assert published.status_code == 200
    assert (published.json()["decision"], published.json()["moderation"]) == (
        "publish",
        "published",
    )
    assert rejected.status_code == 200
    body = rejected.json()
    assert (body["reason"], body["moderation"], body["moderator"]) == (
        "off_topic",
        "rejected",
        agent.pk,
    )
    assert body["statement"].startswith(
        "Your question about KET-200 Kettle was not published.\nReason: Off topic.\n"
        "About another shop.\n"
    )
    assert again.status_code == 409
    assert Notification.objects.filter(user=customer).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"decision": "reject"}, ["detail", "explanation", "reason"]),
        ({"decision": "reject", "reason": "spam"}, ["detail", "explanation"]),
        ({"decision": "reject", "explanation": "Harsh."}, ["detail", "reason"]),
        (
            {"decision": "reject", "reason": "negative_opinion", "explanation": "Harsh."},
            ["detail", "reason"],
        ),
        ({"decision": "delete"}, ["decision", "detail"]),
    ],
)
def test_moderate_refuses_a_rejection_without_reason_and_explanation(
    api_client, customer, agent, product, payload, fields
):
    ticket = ask(customer, product)

    response = api_client(agent).post(f"/api/v1/tickets/{ticket.pk}/moderate/", payload)

    assert response.status_code == 400
    assert sorted(response.json()) == fields


@pytest.mark.django_db
def test_moderate_convert_extension_opens_a_support_ticket(api_client, customer, agent, product):
    ticket = ask(customer, product, body="Where is order 4411?")

    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.pk}/moderate/", {"decision": "convert"}
    )

    assert response.status_code == 200
    support = Ticket.objects.get(kind="support")
    assert (response.json()["support_ticket"], response.json()["reason"]) == (
        support.pk,
        "service_question",
    )


@pytest.mark.django_db
def test_moderating_a_support_ticket_is_a_409(api_client, customer, agent):
    from tickets.services import ticket_create

    ticket = ticket_create(requester=customer, subject="S", body="B", now=T0)

    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.pk}/moderate/", {"decision": "publish"}
    )

    assert response.status_code == 404  # not a question or review


@pytest.mark.django_db
def test_resubmit_contest_and_review_through_the_api(api_client, customer, agent, product):
    second = UserFactory(username="bob", role="agent")
    ticket = review(customer, product, rating=2, title="Loud", body="Loud, see www.x.example")
    moderation.content_moderate(
        ticket=ticket,
        moderator=agent,
        decision="reject",
        reason="links",
        explanation="Link.",
        now=timezone.now(),
    )
    author = api_client(customer)

    contest = author.post(f"/api/v1/tickets/{ticket.pk}/contest/", {"statement": "It's a brand."})
    assert contest.status_code == 201
    contest_id = contest.json()["id"]
    listed = api_client(agent).get("/api/v1/moderation/contests/").json()["results"]
    assert [c["id"] for c in listed] == [contest_id]
    same = api_client(agent).post(
        f"/api/v1/moderation/contests/{contest_id}/decide/",
        {"outcome": "reversed", "explanation": "Ok."},
    )
    assert same.status_code == 409
    decided = api_client(second).post(
        f"/api/v1/moderation/contests/{contest_id}/decide/",
        {"outcome": "upheld", "explanation": "The link goes to a shop."},
    )
    assert (decided.status_code, decided.json()["state"]) == (200, "upheld")

    resubmitted = author.post(
        f"/api/v1/tickets/{ticket.pk}/resubmit/", {"body": "Loud motor.", "rating": 3}
    )
    assert resubmitted.status_code == 200
    data = resubmitted.json()
    assert (data["moderation"], data["rating"], data["body"]) == ("pending", 3, "Loud motor.")
    assert [(c["metric"], c["state"]) for c in data["sla"]] == [
        ("moderation", "stopped"),
        ("moderation", "running"),
    ]


@pytest.mark.django_db
def test_agents_answer_published_questions(api_client, customer, agent, product):
    ticket = ask(customer, product)
    client = api_client(agent)

    early = client.post(f"/api/v1/tickets/{ticket.pk}/answer/", {"body": "Yes."})
    moderation.content_moderate(ticket=ticket, moderator=agent, decision="publish", now=T0)
    answered = client.post(f"/api/v1/tickets/{ticket.pk}/answer/", {"body": "Yes."})

    assert early.status_code == 409
    assert answered.status_code == 201
    assert answered.json()["public"] is True
    assert (
        api_client(customer).post(f"/api/v1/tickets/{ticket.pk}/answer/", {"body": "x"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_neutrality_api_flags_a_gap_for_managers_only(
    api_client, customer, agent, manager, product
):
    for i, (rating, decision) in enumerate(
        [(1, "reject"), (2, "publish"), (4, "publish"), (5, "publish")]
    ):
        ticket = review(customer, product, rating=rating, title=f"R{i}", now=T0)
        moderation.content_moderate(
            ticket=ticket,
            moderator=agent,
            decision=decision,
            reason="spam" if decision == "reject" else "",
            explanation="Ad." if decision == "reject" else "",
            now=T0 + timedelta(hours=1 + 2 * (rating < 3)),
        )

    response = api_client(manager).get(
        "/api/v1/moderation/neutrality/?since=2026-03-01T00:00:00Z&until=2026-03-03T00:00:00Z"
    )

    assert response.status_code == 200
    overall = response.json()["overall"]
    assert overall["low"] == {
        "decisions": 2,
        "approved": 1,
        "approval_rate": 0.5,
        "median_seconds": 10800.0,
    }
    assert overall["high"] == {
        "decisions": 2,
        "approved": 2,
        "approval_rate": 1.0,
        "median_seconds": 3600.0,
    }
    assert (overall["approval_gap_points"], overall["median_delay_ratio"]) == (50.0, 3.0)
    assert overall["flags"] == ["approval_gap", "delay_ratio"]
    assert list(response.json()["products"]) == ["ket-200"]
    assert api_client(agent).get("/api/v1/moderation/neutrality/").status_code == 403
    bad = api_client(manager).get(
        "/api/v1/moderation/neutrality/?since=2026-03-03T00:00:00Z&until=2026-03-01T00:00:00Z"
    )
    assert bad.status_code == 400
