"""POST /api/v1/inbound/email/: a mail gateway delivers raw messages with a shared secret."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.email.conftest import SECRET, eml
from tickets.email.models import EmailRecord
from tickets.models import Ticket

URL = "/api/v1/inbound/email/"


def post(raw: bytes, secret: str | None = SECRET, content_type: str = "message/rfc822", **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret is not None else {}
    return APIClient().post(URL, data=raw, content_type=content_type, **headers, **extra)


@pytest.mark.django_db
def test_a_new_message_opens_a_ticket_and_its_reply_threads():
    created = post(eml("thread_new.eml"))
    ticket = Ticket.objects.get()

    threaded = post(eml("thread_reply_gmail.eml"))

    message = ticket.messages.get()
    assert (created.status_code, created.json()) == (
        202,
        {"ticket": ticket.pk, "message": None, "created": True},
    )
    assert (threaded.status_code, threaded.json()) == (
        202,
        {"ticket": ticket.pk, "message": message.pk, "created": False},
    )
    assert message.channel == "email"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        ("auto_submitted.eml", "ignored: auto-reply (Auto-Submitted: auto-replied)"),
        ("bounce_dsn.eml", "ignored: bounce (multipart/report; report-type=delivery-status)"),
        (
            "own_address.eml",
            "ignored: from the helpdesk's own address (support@helpdesk.localhost)",
        ),
    ],
)
def test_machines_and_our_own_mail_are_accepted_and_ignored(name, ignored):
    response = post(eml(name))

    assert (response.status_code, response.json()) == (202, {"ignored": ignored})
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_a_redelivered_message_is_a_duplicate_and_changes_nothing():
    post(eml("attachment_allowed.eml"))
    before = (Ticket.objects.count(), EmailRecord.objects.count())

    response = post(eml("attachment_allowed.eml"))

    assert response.status_code == 202
    assert response.json() == {
        "ignored": "duplicate: Message-ID <att-1@mail.example.com> seen before"
    }
    assert (Ticket.objects.count(), EmailRecord.objects.count()) == before == (1, 1)


@pytest.mark.django_db
def test_unreadable_mail_is_kept_for_an_agent():
    response = post(eml("malformed.eml"))

    record = EmailRecord.objects.get()
    assert response.status_code == 202
    assert response.json() == {
        "ignored": f"error kept as #{record.pk}: no headers: not an RFC 822 message"
    }
    assert bytes(record.raw) == eml("malformed.eml")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong"},
        {"HTTP_AUTHORIZATION": f"Bearer {SECRET}x"},
        {"HTTP_AUTHORIZATION": "Bearer"},
        {"HTTP_AUTHORIZATION": f"Token {SECRET}"},
        {"HTTP_AUTHORIZATION": f"Basic {SECRET}"},
    ],
)
def test_without_the_right_secret_401_and_nothing_is_read(headers):
    response = APIClient().post(
        URL, data=eml("plain.eml"), content_type="message/rfc822", **headers
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="inbound-email"'
    assert EmailRecord.objects.count() == 0


@pytest.mark.django_db
def test_session_and_token_auth_do_not_open_it(agent):
    client = APIClient()
    client.force_login(agent)

    response = client.post(URL, data=eml("plain.eml"), content_type="message/rfc822")

    assert response.status_code == 401


@pytest.mark.django_db
def test_not_configured_503(settings):
    settings.INBOUND_EMAIL_SECRET = ""

    response = post(eml("plain.eml"), secret="anything")

    assert (response.status_code, response.json()) == (
        503,
        {"detail": "inbound e-mail is not configured"},
    )
    assert EmailRecord.objects.count() == 0


@pytest.mark.django_db
def test_only_message_rfc822_bodies(settings):
    response = post(b'{"subject": "x"}', content_type="application/json")

    assert response.status_code == 415
    assert EmailRecord.objects.count() == 0


@pytest.mark.django_db
def test_too_large_413(settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 100

    response = post(eml("plain.eml"))

    assert response.status_code == 413
    assert EmailRecord.objects.count() == 0


def test_schema_documents_the_endpoint(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"]["/api/v1/inbound/email/"]["post"]
    assert list(operation["requestBody"]["content"]) == ["message/rfc822"]
    assert set(operation["responses"]) == {"202", "401", "413", "415", "503"}
    assert operation["security"] == [{"inboundEmailSecret": []}]
    scheme = schema["components"]["securitySchemes"]["inboundEmailSecret"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
