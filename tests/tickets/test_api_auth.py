"""Contract tests for sign-up, tokens, users and /me/ (API.md, "Auth and users")."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

User = get_user_model()
STRONG = "plum-velvet-harbour-42"


def _token_for(client: APIClient, username: str, password: str):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


# --- sign-up ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signup_creates_a_customer():
    response = APIClient().post(
        "/api/v1/signup/",
        {"username": "dora", "password": STRONG, "email": "dora@example.com"},
        format="json",
    )

    assert response.status_code == 201
    user = User.objects.get(username="dora")
    assert response.json() == {
        "id": user.pk,
        "username": "dora",
        "email": "dora@example.com",
        "role": "customer",
    }
    assert user.role == "customer"
    assert user.check_password(STRONG)


@pytest.mark.django_db
def test_signup_applies_password_validators():
    response = APIClient().post(
        "/api/v1/signup/",
        {"username": "dora", "password": "password", "email": "dora@example.com"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: password.",
        "password": ["This password is too common."],
    }
    assert not User.objects.filter(username="dora").exists()


@pytest.mark.django_db
def test_signup_password_may_not_resemble_the_username():
    response = APIClient().post(
        "/api/v1/signup/",
        {"username": "dorathea", "password": "dorathea1", "email": "d@example.com"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["password"] == ["The password is too similar to the username."]


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["carla", "Carla"])
def test_signup_duplicate_username_is_a_400_naming_it(customer, username):
    response = APIClient().post(
        "/api/v1/signup/",
        {"username": username, "password": STRONG, "email": "c2@example.com"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: username.",
        "username": ["A user with that username already exists."],
    }


@pytest.mark.django_db
def test_signup_cannot_choose_a_role():
    response = APIClient().post(
        "/api/v1/signup/",
        {"username": "eve", "password": STRONG, "email": "eve@example.com", "role": "manager"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input: role.", "role": ["Unknown field."]}
    assert not User.objects.filter(username="eve").exists()


@pytest.mark.django_db
def test_signup_missing_and_malformed_fields():
    response = APIClient().post(
        "/api/v1/signup/", {"username": "has space", "email": "not-an-email"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input: email, password, username."
    assert body["password"] == ["This field is required."]
    assert body["email"] == ["Enter a valid email address."]
    assert len(body["username"]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ['"dora\\u0000"', '"dora\\ud800"'])
def test_signup_rejects_unstorable_strings(raw):
    body = f'{{"username": {raw}, "password": "{STRONG}", "email": "d@example.com"}}'

    response = APIClient().post("/api/v1/signup/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: username.",
        "username": ["Null characters and unpaired surrogates are not allowed."],
    }


@pytest.mark.django_db
def test_unknown_field_with_a_lone_surrogate_in_its_name_is_named_safely():
    body = '{"\\ud800x": 1, "username": "dora", "password": "p", "email": "d@example.com"}'

    response = APIClient().post("/api/v1/signup/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input: \\ud800x.", "\\ud800x": ["Unknown field."]}


@pytest.mark.django_db
def test_signup_accepts_json_only():
    response = APIClient().post(
        "/api/v1/signup/",
        {"username": "dora", "password": STRONG, "email": "d@example.com"},
        format="multipart",
    )

    assert response.status_code == 415


# --- tokens -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_end_to_end(customer):
    client = APIClient()

    response = _token_for(client, "carla", PASSWORD)

    assert response.status_code == 200
    key = Token.objects.get(user=customer).key
    assert response.json() == {"token": key}
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {
        "id": customer.pk,
        "username": "carla",
        "email": "carla@example.com",
        "role": "customer",
    }
    created = client.post("/api/v1/tickets/", {"subject": "Kettle", "body": "Leaks."})
    assert created.status_code == 201
    assert created.json()["requester"] == customer.pk


@pytest.mark.django_db
def test_token_is_stable_across_log_ins(customer):
    first = _token_for(APIClient(), "carla", PASSWORD).json()["token"]
    second = _token_for(APIClient(), "carla", PASSWORD).json()["token"]

    assert first == second


@pytest.mark.django_db
def test_token_log_in_sets_last_login(customer):
    assert customer.last_login is None

    _token_for(APIClient(), "carla", PASSWORD)

    customer.refresh_from_db()
    assert customer.last_login is not None


@pytest.mark.django_db
def test_bad_credentials_are_a_400_with_detail(customer):
    response = _token_for(APIClient(), "carla", "wrong")

    assert response.status_code == 400
    assert response.json() == {"detail": "Unable to log in with the credentials provided."}


@pytest.mark.django_db
def test_inactive_user_gets_no_token(customer):
    customer.is_active = False
    customer.save()

    response = _token_for(APIClient(), "carla", PASSWORD)

    assert response.status_code == 400


@pytest.mark.django_db
def test_token_request_validates_its_fields():
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "x" * 151, "pass": "y"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input: pass.", "pass": ["Unknown field."]}


@pytest.mark.django_db
def test_token_request_with_nul_never_reaches_the_database():
    body = '{"username": "carla\\u0000", "password": "x"}'

    response = APIClient().post("/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["username"] == [
        "Null characters and unpaired surrogates are not allowed."
    ]


@pytest.mark.django_db
def test_repeated_failures_lock_out_with_429_and_retry_after(customer):
    client = APIClient()

    statuses = [_token_for(client, "carla", "wrong").status_code for _ in range(4)]
    fifth = _token_for(client, "carla", "wrong")
    with_right_password = _token_for(client, "carla", PASSWORD)

    assert statuses == [400, 400, 400, 400]
    for response in (fifth, with_right_password):
        assert response.status_code == 429
        assert response["Retry-After"] == "900"
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": "Too many failed log-in attempts. Expected available in 900 seconds."
        }
    assert not Token.objects.filter(user=customer).exists()


@pytest.mark.django_db
def test_lockout_is_per_username(customer, other_customer):
    client = APIClient()
    for _ in range(5):
        _token_for(client, "carla", "wrong")

    response = _token_for(client, "otto", PASSWORD)

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_successful_log_in_resets_the_failure_count(customer):
    client = APIClient()
    for _ in range(4):
        _token_for(client, "carla", "wrong")
    assert _token_for(client, "carla", PASSWORD).status_code == 200

    statuses = [_token_for(client, "carla", "wrong").status_code for _ in range(4)]

    assert statuses == [400, 400, 400, 400]


@pytest.mark.django_db
def test_an_invalid_token_is_a_401(customer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.django_db
def test_a_valid_token_authenticates_in_one_query_and_an_inactive_owner_is_a_401(
    customer, django_assert_num_queries
):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=customer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    with django_assert_num_queries(1):
        me = client.get("/api/v1/me/")
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    refused = client.get("/api/v1/me/")

    assert (me.status_code, me.json()["username"]) == (200, "carla")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "User inactive or deleted."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", ["Token abc\x00def", "Token " + "\x00" * 40, "Token " + "a" * 41, "Token a-b"]
)
def test_a_token_no_key_can_have_is_a_401_without_a_lookup(
    customer, django_assert_num_queries, header
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    with django_assert_num_queries(0):
        response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


# --- session auth -------------------------------------------------------------------------


@pytest.mark.django_db
def test_session_auth_works(customer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(customer)

    me = client.get("/api/v1/me/")
    without_csrf = client.post("/api/v1/tickets/", {"subject": "a", "body": "b"}, format="json")

    assert me.status_code == 200
    assert me.json()["username"] == "carla"
    assert without_csrf.status_code == 403
    assert without_csrf.json()["detail"].startswith("CSRF Failed")


@pytest.mark.django_db
def test_session_auth_post_with_csrf_token(customer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(customer)
    secret = "k" * 32  # what the web UI's csrftoken cookie holds: 32 letters and digits
    client.cookies["csrftoken"] = secret

    response = client.post(
        "/api/v1/tickets/",
        {"subject": "Kettle", "body": "Leaks."},
        format="json",
        HTTP_X_CSRFTOKEN=secret,
    )

    assert response.status_code == 201


# --- users and /me/ -----------------------------------------------------------------------


@pytest.mark.django_db
def test_manager_creates_an_agent(api_client, manager):
    response = api_client(manager).post(
        "/api/v1/users/",
        {"username": "bob", "password": STRONG, "email": "bob@example.com", "role": "agent"},
    )

    assert response.status_code == 201
    bob = User.objects.get(username="bob")
    assert response.json() == {
        "id": bob.pk,
        "username": "bob",
        "email": "bob@example.com",
        "role": "agent",
    }
    assert bob.is_agent
    assert bob.check_password(STRONG)


@pytest.mark.django_db
def test_superuser_counts_as_a_manager(api_client):
    root = UserFactory(username="root", role="customer", is_superuser=True)

    me = api_client(root).get("/api/v1/me/")
    created = api_client(root).post(
        "/api/v1/users/",
        {"username": "mia", "password": STRONG, "email": "mia@example.com", "role": "manager"},
    )

    assert me.json() == {
        "id": root.pk,
        "username": "root",
        "email": "root@example.com",
        "role": "manager",
    }
    assert created.status_code == 201
    assert created.json()["role"] == "manager"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["customer", "agent"])
def test_only_managers_create_users(api_client, role):
    user = UserFactory(username=f"a-{role}", role=role)

    response = api_client(user).post(
        "/api/v1/users/",
        {"username": "bob", "password": STRONG, "email": "bob@example.com", "role": "agent"},
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Only managers can do this."}
    assert not User.objects.filter(username="bob").exists()


@pytest.mark.django_db
def test_user_create_validates_role_and_username(api_client, manager, agent):
    response = api_client(manager).post(
        "/api/v1/users/",
        {"username": "alice", "password": STRONG, "email": "a@example.com", "role": "boss"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: role, username.",
        "role": ['"boss" is not a valid choice.'],
        "username": ["A user with that username already exists."],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "role"), [("carla", "customer"), ("alice", "agent"), ("max", "manager")]
)
def test_me(api_client, customer, agent, manager, username, role):
    user = User.objects.get(username=username)

    response = api_client(user).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": username,
        "email": f"{username}@example.com",
        "role": role,
    }


@pytest.mark.django_db
def test_signup_refuses_an_e_mail_address_already_in_use(api_client, customer):
    response = api_client(None).post(
        "/api/v1/signup/",
        {"username": "newbie", "password": "correct-horse-battery", "email": "CARLA@example.com"},
    )

    assert response.status_code == 400
    assert response.json()["email"] == ["An account with this e-mail address already exists."]
