"""`ingest_email --imap`: unseen messages are fetched without marking them, ingested, and only
then flagged \\Seen."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.email.conftest import eml
from tickets.email import imap
from tickets.models import Ticket


class FakeIMAP:
    """Just enough of imaplib.IMAP4_SSL, recording what the client asked for."""

    instances: list["FakeIMAP"] = []

    def __init__(self, host, port, ssl_context=None):
        self.host, self.port, self.ssl_context = host, port, ssl_context
        self.calls: list[tuple] = []
        self.messages = {b"7": eml("thread_new.eml"), b"9": eml("auto_submitted.eml")}
        FakeIMAP.instances.append(self)

    def login(self, user, password):
        self.calls.append(("login", user, password))
        return "OK", [b"Logged in"]

    def select(self, folder):
        self.calls.append(("select", folder))
        return "OK", [b"2"]

    def uid(self, command, *args):
        self.calls.append(("uid", command, *args))
        if command == "SEARCH":
            return "OK", [b" ".join(self.messages)]
        if command == "FETCH":
            uid = args[0]
            return "OK", [(uid + b" (UID " + uid + b" BODY[] {1}", self.messages[uid]), b")"]
        return "OK", [b""]

    def logout(self):
        self.calls.append(("logout",))
        return "BYE", [b""]


@pytest.fixture
def fake_imap(monkeypatch, settings):
    FakeIMAP.instances = []
    monkeypatch.setattr(imap.imaplib, "IMAP4_SSL", FakeIMAP)
    settings.IMAP_HOST = "imap.example.com"
    settings.IMAP_PORT = 993
    settings.IMAP_USER = "support@helpdesk.localhost"
    settings.IMAP_PASSWORD = "app-password"
    settings.IMAP_FOLDER = "Support Inbox"
    return FakeIMAP


@pytest.mark.django_db
def test_imap_unseen_messages_are_ingested_then_marked_seen(fake_imap):
    out = StringIO()

    call_command("ingest_email", "--imap", stdout=out)

    ticket = Ticket.objects.get()
    assert out.getvalue().splitlines() == [
        f"imap:Support Inbox/7: created ticket #{ticket.pk}",
        "imap:Support Inbox/9: ignored: auto-reply (Auto-Submitted: auto-replied)",
        "2 messages: 1 created, 0 threaded, 1 ignored, 0 held, 0 duplicate, 0 error",
    ]
    (client,) = fake_imap.instances
    assert (client.host, client.port) == ("imap.example.com", 993)
    assert client.ssl_context.check_hostname is True
    assert client.calls == [
        ("login", "support@helpdesk.localhost", "app-password"),
        ("select", '"Support Inbox"'),
        ("uid", "SEARCH", None, "UNSEEN"),
        ("uid", "FETCH", b"7", "(BODY.PEEK[])"),
        ("uid", "STORE", b"7", "+FLAGS", "(\\Seen)"),
        ("uid", "FETCH", b"9", "(BODY.PEEK[])"),
        ("uid", "STORE", b"9", "+FLAGS", "(\\Seen)"),
        ("logout",),
    ]


@pytest.mark.django_db
def test_a_message_whose_ingest_fails_stays_unseen(fake_imap, monkeypatch):
    def broken(raw):
        raise RuntimeError("database is down")

    monkeypatch.setattr("tickets.management.commands.ingest_email._ingest", broken)

    with pytest.raises(RuntimeError):
        call_command("ingest_email", "--imap", stdout=StringIO())

    (client,) = fake_imap.instances
    assert not any(call[:2] == ("uid", "STORE") for call in client.calls)
    assert client.calls[-1] == ("logout",)
