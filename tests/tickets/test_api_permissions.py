"""Who gets what: every role against every ticket and user endpoint, exact status codes."""

from datetime import UTC, datetime

import pytest

from helpdesk.models import User
from tickets.services import ticket_create

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROLES = ["anonymous", "owner", "other_customer", "agent", "manager"]

# action: (method, path, body), with {id} the owner's ticket
ACTIONS = {
    "list": ("get", "/api/v1/tickets/", None),
    "create": ("post", "/api/v1/tickets/", {"subject": "Kettle", "body": "It leaks."}),
    "detail": ("get", "/api/v1/tickets/{id}/", None),
    "patch": ("patch", "/api/v1/tickets/{id}/", {"priority": "high"}),
    "messages_list": ("get", "/api/v1/tickets/{id}/messages/", None),
    "messages_post": ("post", "/api/v1/tickets/{id}/messages/", {"body": "Any news?"}),
    "users_post": (
        "post",
        "/api/v1/users/",
        {
            "username": "newbie",
            "password": "plum-velvet-42",
            "email": "n@example.com",
            "role": "agent",
        },
    ),
    "me": ("get", "/api/v1/me/", None),
}

#                   anonymous owner other agent manager
EXPECTED = {
    "list":          (401, 200, 200, 200, 200),
    "create":        (401, 201, 201, 403, 403),
    "detail":        (401, 200, 404, 200, 200),
    "patch":         (401, 403, 404, 200, 200),
    "messages_list": (401, 200, 404, 200, 200),
    "messages_post": (401, 201, 404, 201, 201),
    "users_post":    (401, 403, 403, 403, 201),
    "me":            (401, 200, 200, 200, 200),
}  # fmt: skip

CASES = [
    pytest.param(action, role, EXPECTED[action][i], id=f"{action}-{role}")
    for action in ACTIONS
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def users(customer, other_customer, agent, manager):
    return {
        "anonymous": None,
        "owner": customer,
        "other_customer": other_customer,
        "agent": agent,
        "manager": manager,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "role", "expected"), CASES)
def test_permission_matrix(api_client, users, action, role, expected):
    ticket = ticket_create(requester=users["owner"], subject="K", body="L", now=NOW)
    method, path, body = ACTIONS[action]

    response = getattr(api_client(users[role]), method)(path.format(id=ticket.pk), body)

    assert response.status_code == expected, response.content
    if expected == 401:
        # Token auth is listed first, so it names the scheme the client should use.
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"detail": "Authentication credentials were not provided."}
    elif expected in (403, 404):
        assert set(response.json()) == {"detail"}
    if action == "users_post":
        assert User.objects.filter(username="newbie").exists() == (expected == 201)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["owner", "other_customer", "agent", "manager"])
def test_list_shows_each_role_what_it_may_see(api_client, users, role):
    own = ticket_create(requester=users["owner"], subject="a", body="b", now=NOW)
    others = ticket_create(requester=users["other_customer"], subject="c", body="d", now=NOW)
    visible = {
        "owner": {own.pk},
        "other_customer": {others.pk},
        "agent": {own.pk, others.pk},
        "manager": {own.pk, others.pk},
    }[role]

    response = api_client(users[role]).get("/api/v1/tickets/")

    assert {row["id"] for row in response.json()["results"]} == visible
