"""The OpenAPI schema: valid, served with its docs offline, and honoured by the API.

The property-based run drives the real WSGI application in-process with schemathesis:
every operation, as an agent and as a customer, with valid and invalid data. No response
may be a 5xx, and every documented response must match its schema; the auth, user and
ticket operations must also answer only with the status codes and content types they
document.
"""

import os
import re
import time
from html.parser import HTMLParser

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import QueueFactory, UserFactory
from tickets.services import ticket_create, ticket_reply_add, ticket_update

# Examples per operation, role and mode (valid, invalid data). 12 keeps the run under a
# minute; for a deeper search: SCHEMATHESIS_EXAMPLES=200 pytest tests/test_schema.py
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))


def test_schema_is_served_as_openapi_3(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in [
        "/api/v1/signup/",
        "/api/v1/auth/token/",
        "/api/v1/users/",
        "/api/v1/me/",
        "/api/v1/tickets/",
        "/api/v1/tickets/{id}/",
        "/api/v1/tickets/{id}/messages/",
        "/api/v1/me/export/",
        "/api/v1/me/erase/",
        "/api/v1/audit/ticket-views/",
    ]:
        assert path in schema["paths"]
    ticket = schema["components"]["schemas"]["Ticket"]["properties"]
    assert list(ticket)[:18] == [
        "id",
        "kind",
        "subject",
        "body",
        "status",
        "priority",
        "queue",
        "requester",
        "assignee",
        "created_at",
        "updated_at",
        "moderation",
        "outcome",
        "product",
        "rating",
        "target_url",
        "reason",
        "sla",
    ]
    create = schema["paths"]["/api/v1/tickets/"]["post"]
    assert set(create["responses"]) == {"201", "400", "401", "403"}
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert token["responses"]["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


@pytest.mark.parametrize("page", ["/api/docs/"])
def test_api_docs_are_served_from_the_sidecar_not_a_cdn(client, page):
    response = client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    parser = _Assets()
    parser.feed(html)
    assert parser.urls, "the page loads its scripts and styles from somewhere"
    start_script = f"{page}?script="
    for url in parser.urls:
        assert not re.match(r"^(https?:)?//", url), url
        if url == start_script:
            continue
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not a static file"
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html)
    # Nothing inline: the site's Content-Security-Policy allows only same-origin files.
    assert "<style" not in html
    assert re.findall(r"<script[^>]*>\s*[^<\s]", html) == []
    script = client.get(start_script)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_redoc_is_not_served_it_would_load_fonts_from_the_internet(client):
    assert client.get("/api/redoc/").status_code == 404


# --- property-based run ---------------------------------------------------------------------


@pytest.fixture
def shared_connection():
    """Keep the test's database connection open across in-process requests.

    The WSGI handler closes "old" connections when a request starts and finishes; on
    PostgreSQL that would drop the connection the test data lives on. Django's test Client
    disconnects the same receivers.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(shared_connection):
    """Rows for the run to find: users with tokens, a queue, tickets with messages."""
    now = timezone.now()
    customer = UserFactory(username="carla", role="customer")
    agent = UserFactory(username="alice", role="agent")
    QueueFactory(slug="billing", name="Billing")
    own = ticket_create(requester=customer, subject="Kettle", body="It leaks.", now=now)
    ticket_reply_add(ticket=own, author=customer, body="Any news?", public=True, now=now)
    ticket_reply_add(ticket=own, author=agent, body="Batch 7.", public=False, now=now)
    ticket_update(ticket=own, actor=agent, assignee=agent, status="pending", now=now)
    other = ticket_create(
        requester=UserFactory(username="otto"), subject="Toaster", body="Burns.", now=now
    )
    return {
        "agent": {
            "headers": {"Authorization": f"Token {Token.objects.create(user=agent).key}"},
            "ticket_ids": [own.pk, other.pk],
        },
        "customer": {
            "headers": {"Authorization": f"Token {Token.objects.create(user=customer).key}"},
            "ticket_ids": [own.pk, other.pk],  # the other's: a 404 for this customer
        },
    }


# The inbound e-mail operation takes a raw message: send the generated bytes as they are.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")

# Operations of API.md's "Auth and users" and "Tickets" sections are also held to their
# documented status codes and content types; the others only to "no 5xx, valid body".
STRICT_PATHS = re.compile(r"^/api/v1/(signup|auth/token|users|me|tickets)/")
BASE_CHECKS = [not_a_server_error, response_schema_conformance]
STRICT_CHECKS = [*BASE_CHECKS, status_code_conformance, content_type_conformance]


def _explore(operation, *, mode, headers, path_parameters, tally):
    checks = STRICT_CHECKS if STRICT_PATHS.match(operation.path) else BASE_CHECKS
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call(headers=headers)
        tally["requests"] += 1
        tally["statuses"][response.status_code] = tally["statuses"].get(response.status_code, 0) + 1
        case.validate_response(
            response,
            checks=checks,
            headers=headers,
        )

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (no parameters, no body): nothing to test negatively.
        if mode is not schemathesis.GenerationMode.NEGATIVE:
            raise
        tally["no_negative"].add(operation.label)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["agent", "customer"])
def test_no_operation_fails_or_breaks_its_schema(world, role, settings):
    from helpdesk.wsgi import application

    # Thousands of requests a minute from one user: this run is about the schema, not the
    # per-user rate (tests/helpdesk/test_throttling.py is).
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "customer": None, "staff": None},
    }

    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    auth = world[role]
    tally = {"requests": 0, "statuses": {}, "no_negative": set()}
    started = time.monotonic()

    for operation in operations:
        has_id = "{id}" in operation.path and operation.path.startswith("/api/v1/tickets/")
        path_variants = [None] + [{"id": pk} for pk in auth["ticket_ids"]] if has_id else [None]
        for path_parameters in path_variants:
            for mode in schemathesis.GenerationMode:
                _explore(
                    operation,
                    mode=mode,
                    headers=auth["headers"],
                    path_parameters=path_parameters,
                    tally=tally,
                )

    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis as {role}: {len(operations)} operations, {tally['requests']} requests "
        f"in {elapsed:.1f}s; statuses {dict(sorted(tally['statuses'].items()))}; "
        f"nothing to negate in {sorted(tally['no_negative'])}"
    )
    assert len(operations) >= 10
    assert tally["requests"] >= len(operations) * 2
    assert 500 not in tally["statuses"]
