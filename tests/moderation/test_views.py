"""Points 1-3 and 6 through the pages: product pages, the author's items, the queue."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages

from helpdesk.models import Notification
from tests.factories import ProductFactory
from tests.moderation.conftest import T0, ask, review
from tickets import moderation
from tickets.models import ModerationDecision, Ticket


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_the_product_page_is_public_with_ratings_reviews_and_answers(
    client, customer, agent, product
):
    for rating in (5, 5, 4, 1):
        ticket = review(customer, product, rating=rating, title=f"{rating} stars")
        moderation.content_moderate(ticket=ticket, moderator=agent, decision="publish", now=T0)
    review(customer, product, rating=1, title="Still pending")
    question = ask(customer, product, body="Does it work on 120 V?")
    moderation.content_moderate(ticket=question, moderator=agent, decision="publish", now=T0)
    moderation.question_answer(ticket=question, agent=agent, body="No, 230 V only.", now=T0)

    response = client.get("/products/ket-200/")

    assert response.status_code == 200
    html = response.content.decode()
    summary = response.context["summary"]
    assert (summary["count"], summary["average"]) == (4, 3.8)
    assert [(b["stars"], b["count"], b["percent"]) for b in summary["bars"]] == [
        (5, 2, 50),
        (4, 1, 25),
        (3, 0, 0),
        (2, 0, 0),
        (1, 1, 25),
    ]
    assert '<rect class="bar-fill" x="0" y="0" width="50" height="10" rx="2"/>' in html
    assert "Still pending" not in html
    assert "No, 230 V only." in html
    assert "Log in to write a review" in html
    assert "Log in to ask a question" in html
    assert "How we moderate and whether reviews are verified" in html
    assert client.get("/products/nope/").status_code == 404
    assert client.get("/products/").status_code == 200


@pytest.mark.django_db
def test_the_moderation_policy_page_says_reviews_are_not_verified(client):
    response = client.get("/products/moderation/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>No, reviews are not verified purchases.</strong>" in html
    assert "A negative opinion is never a reason to reject a review." in html
    assert "<li>Links or contact details</li>" in html


@pytest.mark.django_db
def test_posting_needs_a_login(client, product):
    response = client.post("/products/ket-200/questions/", {"question-body": "Hi?"})

    assert response.status_code == 302
    assert response.url.startswith("/login/?next=")
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_on_submission_the_author_sees_the_promised_time_and_a_link_to_follow_it(
    client, customer, product
):
    client.force_login(customer)
    client.cookies["tz"] = "Europe/Paris"

    with time_machine.travel(T0, tick=False):
        response = client.post(
            "/products/ket-200/questions/", {"question-body": "Does it fit 1.7 L?"}
        )
    ticket = Ticket.objects.get()

    assert response.status_code == 302
    assert response.url == f"/my/content/{ticket.pk}/"
    assert flashes(response) == [
        "Thank you: your question waits for moderation. We aim to decide by Tue 3 Mar, 10:00 CET."
    ]
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        page = client.get(response.url)
    html = page.content.decode()
    assert "Waiting for moderation. We aim to decide by" in html
    assert '<time datetime="2026-03-03T10:00:00+01:00">Tue 3 Mar, 10:00 CET</time>' in html


@pytest.mark.django_db
def test_a_review_form_with_bad_input_shows_errors_and_creates_nothing(client, customer, product):
    client.force_login(customer)

    response = client.post(
        "/products/ket-200/reviews/", {"review-rating": "6", "review-title": "", "review-body": ""}
    )

    assert response.status_code == 400
    assert set(response.context["review_form"].errors) == {"rating", "title", "body"}
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_my_questions_and_reviews_lists_them_with_their_state(client, customer, agent, product):
    pending = ask(customer, product, body="Pending one?")
    rejected = review(customer, product, rating=1, title="Rejected one")
    moderation.content_moderate(
        ticket=rejected,
        moderator=agent,
        decision="reject",
        reason="links",
        explanation="No links.",
        now=T0,
    )
    client.force_login(customer)

    response = client.get("/my/content/")

    assert response.status_code == 200
    assert [t.pk for t in response.context["page"]] == [rejected.pk, pending.pk]
    html = response.content.decode()
    assert '<span class="badge badge-moderation-pending">Pending</span>' in html
    assert '<span class="badge badge-moderation-rejected">Rejected</span>' in html
    assert "Links or contact details" in html


@pytest.mark.django_db
def test_the_rejected_item_page_shows_reasons_and_both_remedies(
    client, customer, other_customer, agent, product
):
    ticket = review(customer, product, rating=1, title="Rejected one")
    with time_machine.travel(T0, tick=False):
        moderation.content_moderate(
            ticket=ticket,
            moderator=agent,
            decision="reject",
            reason="links",
            explanation="No links to other shops.",
            now=T0,
        )
    client.force_login(customer)

    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        response = client.get(f"/my/content/{ticket.pk}/")
        contest = client.post(f"/my/content/{ticket.pk}/contest/", {"statement": "No link."})

    html = response.content.decode()
    assert "Reason: Links or contact details." in html
    assert "No links to other shops." in html
    assert 'id="resubmit"' in html and 'id="contest-form"' in html
    assert response.context["notifications"][0].kind == "moderation_decision"
    assert Notification.objects.get(user=customer).read_at is not None
    assert contest.status_code == 302
    client.force_login(other_customer)
    assert client.get(f"/my/content/{ticket.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_moderation_queue_page_is_oldest_first_with_filters(client, customer, agent, product):
    other = ProductFactory(sku="cg-60", name="Grinder")
    old = review(customer, product, rating=1, title="Old", now=T0)
    new = ask(customer, other, body="New?", now=T0 + timedelta(minutes=1))
    client.force_login(agent)

    page = client.get("/moderation/")
    filtered = client.get("/moderation/?kind=review&rating=1&product=ket-200")

    assert [t.pk for t in page.context["page"]] == [old.pk, new.pk]
    assert [t.pk for t in filtered.context["page"]] == [old.pk]
    html = page.content.decode()
    assert 'accesskey="b"' in html
    assert "js/moderation.js" in html
    assert "<script>" not in html
    client.force_login(customer)
    assert client.get("/moderation/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, 200])
def test_the_moderation_queue_page_runs_a_fixed_number_of_queries(
    client, customer, agent, product, n, django_assert_num_queries
):
    for i in range(n):
        review(customer, product, rating=i % 5 + 1, title=f"R{i}", now=T0 + timedelta(seconds=i))
    for i in range(3):
        q = ask(customer, product, body=f"Published {i}?")
        moderation.content_moderate(ticket=q, moderator=agent, decision="publish", now=T0)
    client.force_login(agent)

    # session, user, products, count, page rows, contests, awaiting answer, audit log
    with django_assert_num_queries(8):
        response = client.get("/moderation/")

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(n, 50)


@pytest.mark.django_db
def test_approve_reject_and_bulk_approve_from_the_page(client, customer, agent, product):
    a, b, c, d = (ask(customer, product, body=f"Q{i}?") for i in range(4))
    client.force_login(agent)

    approved = client.post(f"/moderation/{a.pk}/decide/", {"decision": "publish"})
    refused = client.post(f"/moderation/{b.pk}/decide/", {"decision": "reject", "reason": "spam"})
    rejected = client.post(
        f"/moderation/{b.pk}/decide/",
        {"decision": "reject", "reason": "spam", "explanation": "An advert."},
    )
    bulk = client.post("/moderation/bulk-publish/", {"ids": [c.pk, d.pk, a.pk]})

    assert approved.status_code == rejected.status_code == bulk.status_code == 302
    assert flashes(refused)[-1] == f"#{b.pk} not decided: Explain the rejection to the author."
    assert flashes(bulk)[-1] == "2 published; their authors have been told."
    states = dict(Ticket.objects.values_list("pk", "moderation"))
    assert states == {a.pk: "published", b.pk: "rejected", c.pk: "published", d.pk: "published"}
    assert ModerationDecision.objects.get(ticket=b).explanation == "An advert."


@pytest.mark.django_db
def test_an_agent_answers_from_the_page(client, customer, agent, product):
    question = ask(customer, product)
    moderation.content_moderate(ticket=question, moderator=agent, decision="publish", now=T0)
    client.force_login(agent)

    listed = client.get("/moderation/")
    response = client.post(f"/moderation/{question.pk}/answer/", {"body": "Yes it does."})

    assert [q.pk for q in listed.context["awaiting_answer"]] == [question.pk]
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == "solved"


@pytest.mark.django_db
def test_the_neutrality_page_is_for_managers(client, customer, agent, manager, product):
    ticket = review(customer, product, rating=1, title="Bad")
    paris = ZoneInfo("Europe/Paris")
    moderation.content_moderate(
        ticket=ticket,
        moderator=agent,
        decision="reject",
        reason="spam",
        explanation="Ad.",
        now=T0 + timedelta(hours=1),
    )
    client.force_login(manager)

    response = client.get("/moderation/neutrality/?since=2026-03-01&until=2026-03-02")

    assert response.status_code == 200
    assert response.context["report"]["since"].tzinfo is not None
    assert response.context["report"]["overall"]["low"]["decisions"] == 1
    assert "Not enough data" in response.content.decode()
    assert paris  # the viewer's zone decides the day boundaries; UTC here
    client.force_login(agent)
    assert client.get("/moderation/neutrality/").status_code == 404
