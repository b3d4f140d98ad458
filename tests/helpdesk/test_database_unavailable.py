"""A request that loses the database answers 503 with a clear message, and the next one works.

The connection is cut the way a PostgreSQL restart cuts it: the server terminates the
backend. No web process restart is needed afterwards.
"""

import psycopg
import pytest
from django.db import connection

from helpdesk.errors import MESSAGE

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="cuts a PostgreSQL backend connection"
)


def cut_connection() -> None:
    """Terminate this process's backend from another session, as a server restart does."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def settings_like_production(settings):
    settings.DEBUG = False
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 60


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("path", "accept"),
    [("/api/v1/tickets/", "application/json"), ("/agent/", "text/html")],
)
def test_a_cut_connection_is_a_503_then_service_resumes(
    agent, settings_like_production, path, accept
):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    # As a server would: the exception becomes a response (handler500 when it is raised
    # outside a view, e.g. while the session middleware loads the session).
    client = Client(raise_request_exception=False)
    token = Token.objects.create(user=agent).key
    client.force_login(agent)
    headers = {"HTTP_AUTHORIZATION": f"Token {token}", "HTTP_ACCEPT": accept}
    assert client.get(path, **headers).status_code == 200

    cut_connection()
    failed = client.get(path, **headers)

    assert failed.status_code == 503
    assert failed["Retry-After"] == "5"
    if accept == "application/json":
        assert failed.json() == {"detail": MESSAGE, "code": "database_unavailable"}
    else:
        assert "Back in a moment" in failed.content.decode()
        assert MESSAGE in failed.content.decode()
    # The same process, the next request: a new connection, served normally.
    assert client.get(path, **headers).status_code == 200
