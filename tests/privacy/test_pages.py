"""The "Your data" page: what it shows, the download link, the erasure form."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from helpdesk.models import User
from tests.privacy.conftest import T0
from tickets.models import Erasure, Ticket
from tickets.redaction import REDACTED

PASSWORD = "correct-horse-battery"


@pytest.fixture
def logged_in(world, client):
    client.force_login(world.customer)
    return client


def test_the_page_shows_what_is_held_and_links_the_download(world, logged_in):
    response = logged_in.get("/account/data/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Your data</h1>" in html
    assert "carla@example.com" in html
    assert "<dt>Support tickets</dt><dd>3</dd>" in html
    assert "<dt>Review tickets</dt><dd>2</dd>" in html
    assert f'href="{reverse("my_data_export")}" download' in html
    assert 'action="/account/data/erase/"' in html
    assert "Erase my account" in html
    assert "<style" not in html and "style=" not in html  # the strict CSP allows neither
    assert "<script>" not in html


def test_the_sidebar_and_the_user_menu_link_the_page(world, logged_in):
    html = logged_in.get("/tickets/").content.decode()

    assert html.count('href="/account/data/"') == 2


def test_the_page_runs_a_fixed_number_of_queries(world, logged_in, django_assert_num_queries):
    # session, user, tickets by kind, notifications
    with django_assert_num_queries(4):
        assert logged_in.get("/account/data/").status_code == 200


def test_agents_see_the_page_without_the_erasure_form(world, client):
    client.force_login(world.agent)

    html = client.get("/account/data/").content.decode()

    assert "Download my data" in html
    assert "/account/data/erase/" not in html
    assert "a manager, in the admin" in html
    assert (
        client.post("/account/data/erase/", {"password": PASSWORD, "confirm": "on"}).status_code
        == 404
    )
    assert User.objects.get(pk=world.agent.pk).is_active


def test_a_wrong_password_or_no_confirmation_erases_nothing(world, logged_in):
    response = logged_in.post("/account/data/erase/", {"password": "wrong", "confirm": "on"})

    assert response.status_code == 400
    assert "That is not your password." in response.content.decode()
    response = logged_in.post("/account/data/erase/", {"password": PASSWORD})
    assert response.status_code == 400
    assert "Tick this box to confirm." in response.content.decode()
    assert not Erasure.objects.exists()
    assert User.objects.get(pk=world.customer.pk).username == "carla"


def test_erasing_logs_out_and_says_so_on_the_login_page(world, logged_in):
    now = T0 + timedelta(days=2)
    with time_machine.travel(now, tick=False):
        response = logged_in.post(
            "/account/data/erase/", {"password": PASSWORD, "confirm": "on"}, follow=True
        )

    assert response.redirect_chain == [("/login/", 302)]
    assert "Your account and the personal data in it have been erased." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in logged_in.session
    erasure = Erasure.objects.get()
    assert (erasure.user_id, erasure.via, erasure.created_at) == (world.customer.pk, "web", now)
    assert set(
        Ticket.objects.filter(requester=world.customer).values_list("subject", flat=True)
    ) == {REDACTED}
    assert logged_in.get("/tickets/").status_code == 302  # logged out


def test_anonymous_visitors_are_sent_to_log_in(db, client):
    for url in ("/account/data/", "/account/data/export/"):
        assert client.get(url)["Location"].startswith("/login/?next=")
    assert client.post("/account/data/erase/", {"password": "x"})["Location"].startswith("/login/")


def test_erased_reviews_leave_the_product_page_and_its_rating(world, client):
    assert world.review.moderation == "published"
    before = client.get("/products/ket-200/").content.decode()
    assert "Meh" in before

    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        client.force_login(world.customer)
        client.post("/account/data/erase/", {"password": PASSWORD, "confirm": "on"})

    after = client.get("/products/ket-200/").content.decode()
    assert "Meh" not in after
    assert REDACTED not in after
    assert client.get("/api/v1/products/ket-200/reviews/").json()["count"] == 0
    # Still published, still counted in the moderation figures
    assert Ticket.objects.get(pk=world.review.pk).moderation == "published"
