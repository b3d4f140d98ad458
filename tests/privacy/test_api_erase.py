"""POST /api/v1/me/erase/: the password, the roles, the answer."""

from datetime import timedelta

import pytest
import time_machine
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from helpdesk.models import User
from tests.privacy.conftest import T0
from tickets.models import Erasure

PASSWORD = "correct-horse-battery"
NOW = T0 + timedelta(days=2)


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_a_customer_erases_their_account_with_their_password(world):
    client = token_client(world.customer)

    with time_machine.travel(NOW, tick=False):
        response = client.post("/api/v1/me/erase/", {"password": PASSWORD}, format="json")

    assert response.status_code == 200
    erasure = Erasure.objects.get()
    assert response.json() == {
        "id": erasure.pk,
        "user": world.customer.pk,
        "via": "api",
        "created_at": "2026-03-04T09:00:00Z",
        "counts": erasure.counts,
    }
    assert erasure.counts["tickets"] == 7
    # The token is gone with the account: the same client is now a stranger.
    assert client.get("/api/v1/me/").status_code == 401
    assert User.objects.get(pk=world.customer.pk).username == f"deleted-{world.customer.pk}"


def test_a_wrong_password_is_a_400_on_the_field(world):
    client = token_client(world.customer)

    response = client.post("/api/v1/me/erase/", {"password": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: password.",
        "password": ["That is not your password."],
    }
    assert not Erasure.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"password": ["This field is required."]}),
        ({"password": 5}, {"password": ["Not a valid string."]}),
        ({"password": PASSWORD, "extra": 1}, {"extra": ["Unknown field."]}),
    ],
)
def test_bad_input_is_a_400_with_field_errors(world, body, errors):
    response = token_client(world.customer).post("/api/v1/me/erase/", body, format="json")

    assert response.status_code == 400
    assert {k: v for k, v in response.json().items() if k != "detail"} == errors


def test_repeated_wrong_passwords_lock_out_like_the_log_in(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = token_client(world.customer)

    statuses = [
        client.post("/api/v1/me/erase/", {"password": f"guess-{n}"}, format="json").status_code
        for n in range(3)
    ]
    locked = client.post("/api/v1/me/erase/", {"password": PASSWORD}, format="json")

    assert statuses == [400, 400, 429]
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert not Erasure.objects.exists()


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_agents_and_managers_get_a_403_that_says_where_to_go(world, role):
    staff = User.objects.create_user(username=f"staff-{role}", password=PASSWORD, role=role)

    response = token_client(staff).post("/api/v1/me/erase/", {"password": PASSWORD}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Agents and managers cannot erase their own account here: a manager does it "
        "in the admin."
    }
    assert User.objects.get(pk=staff.pk).is_active


def test_session_clients_are_logged_out(world, client):
    client.force_login(world.customer)

    response = client.post(
        "/api/v1/me/erase/", {"password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_anonymous_is_a_401(db):
    assert (
        APIClient().post("/api/v1/me/erase/", {"password": "x"}, format="json").status_code == 401
    )
