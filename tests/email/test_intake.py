"""Inbound mail through `manage.py ingest_email`: what each message of the corpus becomes."""

import mailbox
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.models import User
from tests.email.conftest import DATA, eml
from tests.factories import UserFactory
from tickets.email.intake import email_ingest, email_release
from tickets.email.models import EmailAttachment, EmailRecord
from tickets.models import Message, Ticket
from tickets.services import ticket_update

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEMPLATED = {
    "thread_reply_apple.eml",
    "reply_outlook_original_message.eml",
    "subject_reference_stranger.eml",
    "rate_limit.eml",
    "reply_to_agent.eml",
}


def test_the_corpus_has_at_least_30_hand_written_messages():
    assert len(list(DATA.glob("*.eml"))) >= 30


# Each message alone, on an empty helpdesk: what it becomes and why.
EXPECTED = {
    "plain.eml": ("created ticket", ""),
    "alternative.eml": ("created ticket", ""),
    "html_only.eml": ("created ticket", ""),
    "iso8859_2_romanian.eml": ("created ticket", ""),
    "iso8859_2_polish_base64.eml": ("created ticket", ""),
    "windows1250_8bit.eml": ("created ticket", ""),
    "base64_utf8.eml": ("created ticket", ""),
    "quoted_printable.eml": ("created ticket", ""),
    "mislabelled_charset.eml": ("created ticket", ""),
    "thread_new.eml": ("created ticket", ""),
    "thread_reply_gmail.eml": ("created ticket", ""),
    "thread_reply_outlook.eml": ("created ticket", ""),
    "html_reply_gmail_quote.eml": ("created ticket", ""),
    "bottom_posted.eml": ("created ticket", ""),
    "signature.eml": ("created ticket", ""),
    "forward_gmail.eml": ("created ticket", ""),
    "forward_outlook.eml": ("created ticket", ""),
    "forward_as_attachment.eml": ("created ticket", ""),
    "attachment_allowed.eml": ("created ticket", ""),
    "attachment_too_big.eml": ("created ticket", ""),
    "attachment_forbidden.eml": ("created ticket", ""),
    "inline_image_related.eml": ("created ticket", ""),
    "auto_submitted_no.eml": ("created ticket", ""),
    "no_message_id.eml": ("created ticket", ""),
    "nul_bytes.eml": ("created ticket", ""),
    "from_agent_address.eml": ("created ticket", ""),  # no agent has that address here
    "auto_submitted.eml": ("ignored", "auto-reply (Auto-Submitted: auto-replied)"),
    "auto_x_autoreply.eml": ("ignored", "auto-reply (X-Autoreply)"),
    "auto_x_autorespond.eml": ("ignored", "auto-reply (X-Autorespond)"),
    "outlook_automatic_reply.eml": ("ignored", "auto-reply (Outlook automatic reply)"),
    "precedence_bulk.eml": ("ignored", "bulk mail (Precedence: bulk)"),
    "precedence_auto_reply.eml": ("ignored", "bulk mail (Precedence: auto_reply)"),
    "precedence_list.eml": ("ignored", "bulk mail (Precedence: list)"),
    "precedence_junk.eml": ("ignored", "bulk mail (Precedence: junk)"),
    "bounce_dsn.eml": ("ignored", "bounce (multipart/report; report-type=delivery-status)"),
    "bounce_postmaster.eml": ("ignored", "bounce (from postmaster@example.org)"),
    "own_address.eml": ("ignored", "from the helpdesk's own address (support@helpdesk.localhost)"),
    "malformed.eml": ("error kept", "no headers: not an RFC 822 message"),
    "no_sender.eml": ("error kept", "no valid sender address"),
}


def test_every_untemplated_corpus_file_has_an_expectation():
    names = {p.name for p in DATA.glob("*.eml")} - TEMPLATED
    assert names == set(EXPECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message_alone(ingest, name):
    action, reason = EXPECTED[name]

    first, summary = ingest(name)

    assert first.startswith(action), first
    assert reason in first
    created = action == "created ticket"
    assert Ticket.objects.count() == (1 if created else 0)
    assert (
        EmailRecord.objects.get().status
        == {"created ticket": "created", "ignored": "ignored", "error kept": "error"}[action]
    )
    if created:
        ticket = Ticket.objects.get()
        assert first == f"created ticket #{ticket.pk}"
        assert ticket.channel == "email"
        assert ticket.body.strip() and "\x00" not in ticket.body + ticket.subject
    if action == "error kept":
        record = EmailRecord.objects.get()
        assert bytes(record.raw) == (DATA / name).read_bytes()
        assert first == f"error kept as #{record.pk}: {record.reason}"
    assert summary.startswith("1 message: ")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "subject", "body"),
    [
        (
            "alternative.eml",
            "Invoice address wrong",
            "The invoice for order 5512 shows my old address. Please correct it to\n"
            "12 Rose Street, Leeds.",
        ),
        (
            "html_only.eml",
            "Refund status",
            "Hi & good morning,\n\nI returned the blender on 1 March.\n"
            "When will I get my refund?\n\n"
            "- Order 7781\n- Tracking AB12 (https://track.example.com/AB12)\n[logo]\nThanks,\nErin",
        ),
        (
            "iso8859_2_romanian.eml",
            "Ceainic spart şi pernă",
            "Bună ziua,\n\nAm comandat o pernă şi un ceainic, dar ceainicul a sosit spart.\n"
            "Vă rog să-mi trimiteţi altul. Mulţumesc!\n\nŞtefan Ţuţea",
        ),
        (
            "iso8859_2_polish_base64.eml",
            "Zły kolor czajnika",
            "Dzień dobry,\n\nzamówiłem żółty czajnik, a przyszedł zielony. Proszę o wymianę.\n"
            "Łódź, ul. Źródlana 5\n\nGrzegorz Brzęczyszczykiewicz",
        ),
        (
            "windows1250_8bit.eml",
            "Objednávka nedorazila",
            "Dobrý den,\n\nobjednávka č. 8812 nedorazila. Můžete to prosím ověřit?\n"
            "Zażółć gęślą jaźń.\n\nJiří Dvořák",
        ),
        (
            "base64_utf8.eml",
            "Payment error — café",
            "Hello,\n\nthe app shows “error 42” when I pay — with café card ☕.\n\nFrank",
        ),
        (
            "quoted_printable.eml",
            "Size question",
            "Hi,\n\nthis line is quite long so that quoted-printable has to wrap it with a soft "
            "line break somewhere in the middle, and here is a non-ASCII letter: Größe = 42."
            "\n\nGreta",
        ),
        (
            "mislabelled_charset.eml",
            "Charset declared wrong",
            "Aplicaţia nu porneşte după actualizare.",
        ),
        (
            "signature.eml",
            "Warranty for toaster",
            "Is the toaster (serial T-555) still under warranty? I bought it in 2024."
            "\n\nThanks,\nHugo",
        ),
        ("nul_bytes.eml", "Nul in subject", "Body with a NUL  byte and more text."),
        (
            "forward_outlook.eml",
            "Delivery failed",
            "FYI, this came from the courier.\n\n"
            "---------- Forwarded by Jon Snow <jon@example.com> ----------\n"
            "From: Courier <noreply@courier.example>\nSent: Sunday, March 1, 2026 5:00 PM\n"
            "To: Jon Snow <jon@example.com>\nSubject: Delivery failed\n\n"
            "We could not deliver parcel 2718: address unknown.",
        ),
        (
            "forward_as_attachment.eml",
            "Complaint",
            "Forwarding my earlier complaint as an attachment.\n\n"
            "---------- Forwarded by Kim Park <kim@example.com> ----------\n"
            "From: Kim Park <kim@example.com>\nDate: Fri, 27 Feb 2026 10:00:00 +0000\n"
            "Subject: Complaint\nTo: shop@shop.example\n\n"
            "The vacuum cleaner I bought is louder than advertised.",
        ),
    ],
)
def test_new_ticket_text(ingest, name, subject, body):
    ingest(name)

    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.body) == (subject, body)


@pytest.mark.django_db
def test_forwarded_mail_keeps_its_content_and_says_who_forwarded_it(ingest):
    ingest("forward_gmail.eml")

    ticket = Ticket.objects.select_related("requester").get()
    assert ticket.requester.email == "ivy@example.com"
    assert ticket.subject == "Your order has shipped"
    assert ticket.body == (
        "Please see below: the shop says it shipped but I got nothing.\n\n"
        "---------- Forwarded by Ivy Lin <ivy@example.com> ----------\n"
        "From: Shop <orders@shop.example>\nDate: Sun, 1 Mar 2026 at 18:00\n"
        "Subject: Your order has shipped\nTo: <ivy@example.com>\n\n"
        "Your order 3141 has shipped with tracking number ZX9.\n"
        "> quoted line in the forwarded mail stays"
    )


@pytest.mark.django_db
def test_sender_becomes_a_customer_without_a_usable_password(ingest):
    ingest("iso8859_2_romanian.eml")

    user = Ticket.objects.get().requester
    assert (user.username, user.email, user.first_name, user.role) == (
        "stefan@example.ro",
        "stefan@example.ro",
        "Ştefan Ţuţea",
        "customer",
    )
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_existing_customer_is_found_by_address_whatever_its_case(ingest):
    carla = UserFactory(username="carla", email="Carla@Example.COM")

    ingest("plain.eml")

    assert Ticket.objects.get().requester == carla
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_mail_from_a_staff_address_is_not_taken_as_an_agent_reply(ingest, agent):
    (line, _) = ingest("from_agent_address.eml")

    assert line == "ignored: from a staff account: agents answer in the helpdesk, not by e-mail"
    assert Ticket.objects.count() == 0
    assert EmailRecord.objects.get().raw is not None


# --- threading ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_replies_thread_by_in_reply_to_and_references_with_quotes_cut(ingest):
    lines = ingest(
        "thread_new.eml",
        "thread_reply_gmail.eml",
        "thread_reply_outlook.eml",
        "html_reply_gmail_quote.eml",
        "bottom_posted.eml",
    )

    ticket = Ticket.objects.get()
    assert lines == [
        f"created ticket #{ticket.pk}",
        f"threaded into #{ticket.pk}",
        f"threaded into #{ticket.pk}",
        f"threaded into #{ticket.pk}",
        f"threaded into #{ticket.pk}",
        "5 messages: 1 created, 4 threaded, 0 ignored, 0 held, 0 duplicate, 0 error",
    ]
    assert ticket.body == (
        "Hello, my order 9001 never arrived. Can you check with the courier?\n\nAna"
    )
    assert list(ticket.messages.values_list("body", "channel", "author__email")) == [
        (
            "It still has not arrived today. The courier says it was delivered, but it was not.",
            "email",
            "ana@example.ro",
        ),
        (
            "I have attached nothing, but here is the courier's number: 0722 000 111.",
            "email",
            "ana@example.ro",
        ),
        ("One more thing: the box was opened.", "email", "ana@example.ro"),
        ("I am writing below the quote: the courier called me today.", "email", "ana@example.ro"),
    ]
    records = EmailRecord.objects.order_by("id")
    assert [r.status for r in records] == [
        "created",
        "threaded",
        "threaded",
        "threaded",
        "threaded",
    ]
    assert records[1].message == ticket.messages.first()


@pytest.mark.django_db
def test_subject_reference_threads_only_for_the_requester(ingest):
    ingest("thread_new.eml")
    ticket = Ticket.objects.get()

    own, stranger, _ = ingest(
        ("reply_outlook_original_message.eml", {"ticket": ticket.pk}),
        ("subject_reference_stranger.eml", {"ticket": ticket.pk}),
    )

    other = Ticket.objects.exclude(pk=ticket.pk).get()
    assert own == f"threaded into #{ticket.pk}"
    assert stranger == (
        f"created ticket #{other.pk}: refers to #{ticket.pk} (subject) but is not from its "
        "requester"
    )
    assert list(ticket.messages.values_list("body", flat=True)) == [
        "Please close the ticket, all is fine."
    ]
    assert other.requester.email == "mallory@example.net"
    assert other.subject == f"[#{ticket.pk}] Order 9001 never arrived"


@pytest.mark.django_db
def test_reply_on_a_closed_ticket_opens_a_new_one(ingest, agent):
    ingest("thread_new.eml")
    ticket = Ticket.objects.get()
    ticket_update(ticket=ticket, actor=agent, status="closed", now=NOW)

    (line, _) = ingest("thread_reply_gmail.eml")

    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert line == f"created ticket #{new.pk}: ticket #{ticket.pk} is closed: opened a new one"
    assert not ticket.messages.filter(kind="reply").exists()


@pytest.mark.django_db
def test_a_customer_reply_reopens_a_pending_ticket(ingest, agent):
    ingest("thread_new.eml")
    ticket = Ticket.objects.get()
    ticket_update(ticket=ticket, actor=agent, status="pending", now=NOW)

    ingest("thread_reply_gmail.eml")

    ticket.refresh_from_db()
    assert ticket.status == "open"


# --- idempotence and losslessness ---------------------------------------------------------


def _counts() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        Message.objects.count(),
        EmailRecord.objects.count(),
        EmailAttachment.objects.count(),
        User.objects.count(),
    )


@pytest.mark.django_db
def test_ingesting_the_corpus_twice_changes_nothing_the_second_time(ingest):
    names = sorted(EXPECTED)
    first = ingest(*names)
    before = _counts()

    second = ingest(*names)

    assert _counts() == before
    assert before[0] > 20
    assert all(line == "duplicate" or line.startswith("duplicate:") for line in second[:-1])
    assert (
        second[-1] == f"{len(names)} messages: 0 created, 0 threaded, 0 ignored, 0 held, "
        f"{len(names)} duplicate, 0 error"
    )
    assert first[-1] == (
        f"{len(names)} messages: 24 created, 2 threaded, 11 ignored, 0 held, 0 duplicate, 2 error"
    )


@pytest.mark.django_db
def test_mail_without_message_id_is_still_a_duplicate_the_second_time(ingest):
    ingest("no_message_id.eml")

    (line, _) = ingest("no_message_id.eml")

    assert line.startswith("duplicate")
    record = EmailRecord.objects.get()
    assert re.fullmatch(r"sha256-[0-9a-f]{64}@no-message-id", record.rfc_message_id)


@pytest.mark.django_db
def test_unreadable_mail_is_kept_and_can_be_let_through_after_a_fix(ingest):
    (line, _) = ingest("no_sender.eml")
    record = EmailRecord.objects.get()
    assert line == f"error kept as #{record.pk}: {record.reason}"
    assert record.rfc_message_id == "nosender-1@example.com"

    record.raw = bytes(record.raw).replace(b"From: not an address", b"From: fixed@example.com")
    result = email_release(record=record, now=NOW)

    assert result.action == "created"
    assert Ticket.objects.get().requester.email == "fixed@example.com"


@pytest.mark.django_db
def test_nul_bytes_never_reach_the_database(ingest):
    ingest("nul_bytes.eml")

    ticket = Ticket.objects.get()
    record = EmailRecord.objects.get()
    assert (ticket.subject, ticket.body) == (
        "Nul in subject",
        "Body with a NUL  byte and more text.",
    )
    assert record.subject == "Nul in subject"
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.django_db
def test_an_over_long_body_is_cut_and_kept_whole_as_an_attachment():
    text = "word " * 5000  # 25,000 characters
    raw = (
        "From: long@example.com\nTo: support@helpdesk.localhost\nSubject: Long\n"
        f"Message-ID: <long-1@example.com>\n\n{text}\n"
    ).encode()

    email_ingest(raw=raw, now=NOW)

    ticket = Ticket.objects.get()
    assert len(ticket.body) == 20_000
    assert ticket.body.endswith("the full text is attached as message.txt]")
    attachment = EmailAttachment.objects.get()
    assert attachment.filename == "message.txt"
    assert attachment.file.read().decode() == text.strip()


# --- attachments ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_attachments_are_stored_or_refused_with_the_reason(ingest):
    ingest("attachment_allowed.eml", "attachment_too_big.eml", "attachment_forbidden.eml")

    rows = list(
        EmailAttachment.objects.order_by("id").values_list(
            "email__subject", "filename", "content_type", "size", "refused"
        )
    )
    assert rows == [
        ("Photo of the damage", "lid.png", "image/png", 70, ""),
        ("Photo of the damage", "rețetă.pdf", "application/pdf", 45, ""),
        (
            "Video of the noise",
            "noise.jpg",
            "image/jpeg",
            2048,
            "too large (2048 bytes; limit 1024)",
        ),
        ("Invoice", "invoice.exe", "application/x-msdownload", 18, "forbidden file type (.exe)"),
        ("Invoice", "invoice.pdf.exe", "application/pdf", 10, "forbidden file type (.exe)"),
        ("Invoice", "run.sh", "application/x-sh", 9, "type not allowed (application/x-sh)"),
    ]
    kept = EmailAttachment.objects.filter(refused="").order_by("id")
    assert kept[0].file.read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert kept[1].file.read().startswith(b"%PDF-1.4")
    assert not any(a.file for a in EmailAttachment.objects.exclude(refused=""))


@pytest.mark.django_db
def test_attachments_of_a_reply_belong_to_its_message(ingest):
    ingest("thread_new.eml")
    raw = (
        eml("attachment_allowed.eml")
        .replace(b"From: Leo Vance <leo@example.com>", b"From: Ana Pop <ana@example.ro>")
        .replace(
            b"Subject: Photo of the damage",
            b"In-Reply-To: <thread-1@mail.example.ro>\r\nSubject: Re: Order 9001",
        )
    )

    result = email_ingest(raw=raw, now=NOW)

    assert result.action == "threaded"
    record = EmailRecord.objects.get(message_id=result.message_id)
    assert record.attachments.filter(refused="").count() == 2


# --- rate limit -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_sender_over_the_rate_limit_is_held_not_ticketed(ingest, settings):
    settings.EMAIL_RATE_LIMIT_COUNT = 2

    lines = ingest(*[("rate_limit.eml", {"n": n}) for n in range(1, 5)])

    assert [line.split(" #")[0].split(":")[0] for line in lines[:-1]] == [
        "created ticket",
        "created ticket",
        "held",
        "held",
    ]
    assert lines[2] == (
        "held: rate limit: 2 new tickets from uma@example.com in 3600 s; held for an agent"
    )
    assert Ticket.objects.count() == 2
    held = EmailRecord.objects.filter(status="held")
    assert held.count() == 2 and all(r.raw for r in held)


@pytest.mark.django_db
def test_the_rate_limit_window_slides_and_replies_are_not_limited(settings):
    settings.EMAIL_RATE_LIMIT_COUNT = 1
    first = email_ingest(raw=eml("rate_limit.eml", n=1), now=NOW)
    reply = eml("rate_limit.eml", n=2).replace(
        b"Subject: ", b"In-Reply-To: <rate-1@mail.example.com>\r\nSubject: "
    )

    assert email_ingest(raw=reply, now=NOW).action == "threaded"
    assert email_ingest(raw=eml("rate_limit.eml", n=3), now=NOW).action == "held"
    later = NOW + timedelta(hours=1, seconds=1)
    assert email_ingest(raw=eml("rate_limit.eml", n=4), now=later).action == "created"
    assert first.action == "created"


@pytest.mark.django_db
def test_a_held_message_can_be_let_through(settings):
    settings.EMAIL_RATE_LIMIT_COUNT = 0
    email_ingest(raw=eml("rate_limit.eml", n=1), now=NOW)
    record = EmailRecord.objects.get(status="held")

    result = email_release(record=record, now=NOW)

    assert result.action == "created"
    assert EmailRecord.objects.get().status == "created"


# --- sources: Maildir, mbox, errors ---------------------------------------------------------


@pytest.mark.django_db
def test_maildir_messages_move_to_cur_once_ingested(tmp_path):
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1700000000.1.host").write_bytes(eml("plain.eml"))
    (maildir / "new" / "1700000001.2.host").write_bytes(eml("auto_submitted.eml"))
    out = StringIO()

    call_command("ingest_email", str(maildir), stdout=out)

    ticket = Ticket.objects.get()
    assert out.getvalue().splitlines() == [
        f"{maildir}/new/1700000000.1.host: created ticket #{ticket.pk}",
        f"{maildir}/new/1700000001.2.host: ignored: auto-reply (Auto-Submitted: auto-replied)",
        "2 messages: 1 created, 0 threaded, 1 ignored, 0 held, 0 duplicate, 0 error",
    ]
    assert sorted(p.name for p in (maildir / "cur").iterdir()) == [
        "1700000000.1.host:2,S",
        "1700000001.2.host:2,S",
    ]
    assert list((maildir / "new").iterdir()) == []


@pytest.mark.django_db
def test_mbox_file(tmp_path):
    path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(path)
    for name in ("thread_new.eml", "thread_reply_gmail.eml", "bounce_dsn.eml"):
        box.add(eml(name))
    box.close()
    out = StringIO()

    call_command("ingest_email", str(path), stdout=out)

    ticket = Ticket.objects.get()
    assert out.getvalue().splitlines() == [
        f"{path}[1]: created ticket #{ticket.pk}",
        f"{path}[2]: threaded into #{ticket.pk}",
        f"{path}[3]: ignored: bounce (multipart/report; report-type=delivery-status)",
        "3 messages: 1 created, 1 threaded, 1 ignored, 0 held, 0 duplicate, 0 error",
    ]


@pytest.mark.django_db
def test_command_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("ingest_email", str(tmp_path / "nope"))
    with pytest.raises(CommandError, match="not a Maildir"):
        call_command("ingest_email", str(tmp_path))
    with pytest.raises(CommandError, match="Give at least one PATH"):
        call_command("ingest_email")
    with pytest.raises(CommandError, match="IMAP is not configured"):
        call_command("ingest_email", "--imap")


@pytest.mark.django_db
def test_ticket_created_at_is_when_we_received_it_not_the_date_header(ingest):
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        ingest("plain.eml")

    ticket = Ticket.objects.get()
    record = EmailRecord.objects.get()
    assert ticket.created_at == NOW + timedelta(days=3)
    assert record.sent_date == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_cost_of_a_message_does_not_grow_with_the_mailbox(django_assert_num_queries):
    def queries(raw: bytes) -> int:
        with CaptureQueriesContext(connection) as ctx:
            email_ingest(raw=raw, now=NOW)
        return len(ctx.captured_queries)

    def reply(n: int) -> bytes:
        return eml("rate_limit.eml", n=n).replace(
            b"Subject: ", b"In-Reply-To: <rate-1@mail.example.com>\r\nSubject: "
        )

    email_ingest(raw=eml("rate_limit.eml", n=1), now=NOW)
    early = (queries(eml("rate_limit.eml", n=2)), queries(reply(3)))
    for n in range(4, 19):
        email_ingest(raw=eml("rate_limit.eml", n=n), now=NOW)
        email_ingest(raw=reply(100 + n), now=NOW)

    assert (queries(eml("rate_limit.eml", n=19)), queries(reply(200))) == early
    # A duplicate: one INSERT refused by the unique index, inside savepoints; nothing else.
    with django_assert_num_queries(6):
        assert email_ingest(raw=eml("rate_limit.eml", n=19), now=NOW).action == "duplicate"
