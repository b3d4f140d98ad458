"""tickets/email/parse.py: pure functions over plain values."""

import pytest

from tests.email.conftest import DATA, eml
from tickets.email.parse import (
    UnparseableEmail,
    clean_subject,
    html_to_text,
    message_ids,
    normalize_message_id,
    parse_email,
    raw_message_id,
    reply_text,
    storable,
    ticket_reference,
)

ALLOWED = frozenset({"image/png", "image/jpeg", "application/pdf"})


def parse(name: str, **subs):
    return parse_email(eml(name, **subs), max_attachment_bytes=1024, allowed_types=ALLOWED)


def test_every_corpus_file_parses_or_says_why_not():
    for path in sorted(DATA.glob("*.eml")):
        try:
            parsed = parse_email(
                path.read_bytes(), max_attachment_bytes=1024, allowed_types=ALLOWED
            )
        except UnparseableEmail:
            assert path.name in ("malformed.eml", "no_sender.eml")
            continue
        for text in (parsed.text, parsed.reply, parsed.subject, parsed.sender):
            assert storable(text) == text
            assert "\r" not in text


def test_threading_headers():
    parsed = parse("thread_reply_outlook.eml")

    assert parsed.message_id == "thread-3@mail.example.ro"
    assert parsed.in_reply_to == ()
    assert parsed.references == ("thread-1@mail.example.ro", "thread-2@mail.example.ro")
    assert parsed.threading_ids == ("thread-2@mail.example.ro", "thread-1@mail.example.ro")


def test_in_reply_to_comes_first_and_ids_are_not_repeated():
    parsed = parse("thread_reply_gmail.eml")

    assert parsed.threading_ids == ("thread-1@mail.example.ro",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<abc@host>", "abc@host"),
        ("  <abc@host> (comment)", "abc@host"),
        ("abc@host", "abc@host"),
        ("<a b\r\n c@host>", "abc@host"),
        ("", ""),
    ],
)
def test_normalize_message_id(value, expected):
    assert normalize_message_id(value) == expected


def test_over_long_message_ids_are_hashed_to_a_storable_size():
    value = normalize_message_id("<" + "x" * 2000 + "@host>")

    assert value.startswith("sha256-") and len(value) == 71


def test_message_ids_of_a_references_header():
    assert message_ids("<a@x>\r\n <b@y>  <c@z>") == ("a@x", "b@y", "c@z")
    assert message_ids("a@x b@y") == ("a@x", "b@y")
    assert message_ids(None) == ()


def test_raw_message_id_reads_broken_mail_or_hashes_it():
    assert raw_message_id(eml("no_sender.eml")) == "nosender-1@example.com"
    assert raw_message_id(b"\x00garbage").startswith("sha256-")
    assert raw_message_id(b"\x00garbage") == raw_message_id(b"\x00garbage")


@pytest.mark.parametrize(
    ("subject", "clean", "reference"),
    [
        ("Re: [#12] Kettle", "[#12] Kettle", 12),
        ("RE: Fwd: AW: Odp: Kettle", "Kettle", None),
        ("Re[2]: Kettle", "Kettle", None),
        ("Fw: Re: [#7] x [#8]", "[#7] x [#8]", 7),
        ("Recipe for tea", "Recipe for tea", None),
        ("[#abc] Kettle", "[#abc] Kettle", None),
    ],
)
def test_subjects(subject, clean, reference):
    assert clean_subject(subject) == clean
    assert ticket_reference(subject) == reference


def test_html_to_text_is_readable_and_drops_active_content():
    html = (
        "<html><head><style>p{}</style><script>steal()</script></head><body>"
        "<h1>Title</h1><p>One &amp; <b>two</b>&nbsp;three</p>"
        "<table><tr><td>a</td><td>b</td></tr></table>"
        '<a href="https://example.com/x">link</a> <a href="javascript:alert(1)">js</a>'
        "<pre>  keep\n    this</pre>"
        "<blockquote>quoted <blockquote>deeper</blockquote></blockquote>after"
        "</body></html>"
    )

    assert html_to_text(html) == (
        "Title\n\nOne & two three\n\na b\n\nlink (https://example.com/x) js\n"
        "keep\nthis\n\n> quoted\n> > deeper\n\nafter"
    )


def test_html_alternative_is_used_when_the_text_part_is_empty():
    raw = (
        b"From: a@example.com\nMessage-ID: <e@x>\nContent-Type: multipart/alternative; "
        b'boundary="b"\n\n--b\nContent-Type: text/plain\n\n \n--b\nContent-Type: text/html\n\n'
        b"<p>Only here</p>\n--b--\n"
    )

    assert parse_email(raw, max_attachment_bytes=1, allowed_types=ALLOWED).text == "Only here"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Gmail, attribution wrapped over two lines
        ("Yes.\n\nOn Mon, 2 Mar 2026 at 10:15, Ana <\nana@x.ro> wrote:\n> old", "Yes."),
        # Apple Mail
        ("Yes.\n\n> On 2 Mar 2026, at 12:00, Helpdesk <s@h> wrote:\n>\n> old", "Yes."),
        ("Yes.\n\nOn 2 Mar 2026, at 12:00, Helpdesk <s@h> wrote:\n\n> old", "Yes."),
        # Outlook
        ("Yes.\n\n-----Original Message-----\nFrom: x\nSent: y\n\nold", "Yes."),
        (
            "Yes.\n\n________________________________\nFrom: x <x@y>\nSent: Monday\nTo: z\n\nold",
            "Yes.",
        ),
        (
            "Yes.\n\nFrom: Helpdesk <s@h>\nSent: Monday, March 2, 2026\nTo: me\nSubject: x\n\nold",
            "Yes.",
        ),
        # Localised attributions
        ("Tak.\n\nW dniu 2.03.2026 o 10:00, Helpdesk <s@h> pisze:\n> old", "Tak."),
        ("Da.\n\nÎn lun., 2 mar. 2026 la 10:00, Helpdesk <s@h> a scris:\n> old", "Da."),
        ("Ja.\n\nAm 02.03.2026 um 10:00 schrieb Helpdesk <s@h>:\n> old", "Ja."),
        ("Oui.\n\nLe lun. 2 mars 2026 à 10:00, Helpdesk <s@h> a écrit :\n> old", "Oui."),
        # Signatures and mobile sign-offs
        ("Yes.\n\nThanks,\nAna\n-- \nAna Pop\nACME", "Yes.\n\nThanks,\nAna"),
        ("Yes.\n\nSent from my iPhone", "Yes."),
        ("Yes.\n\nGet Outlook for Android", "Yes."),
        ("Yes.\n\nTrimis de pe iPhone-ul meu", "Yes."),
        # "Thanks, Ana" is the person's text, not a signature to guess at
        ("Yes.\n\nBest regards,\nAna Pop", "Yes.\n\nBest regards,\nAna Pop"),
        # Interleaved answers keep the quotes they answer
        (
            "> Which model?\nK-200.\n> Which colour?\nRed.",
            "> Which model?\nK-200.\n> Which colour?\nRed.",
        ),
        # Bottom-posting: the text below the quote is the answer
        ("> old question\n\nThe answer below.", "The answer below."),
        # A message that is only a quote is kept rather than lost
        ("> only a quote", "> only a quote"),
        # Words that look like markers in a sentence are not markers
        (
            "On Monday the kettle broke and I wrote: help",
            "On Monday the kettle broke and I wrote: help",
        ),
    ],
)
def test_reply_text(text, expected):
    assert reply_text(text) == expected


def test_a_reply_quoting_a_forward_is_a_reply_not_a_forward():
    text = (
        "Thanks!\n\nOn Mon, Helpdesk <s@h> wrote:\n> ---------- Forwarded message ---------\n"
        "> From: x\n"
    )

    assert reply_text(text, subject="Re: Fwd: x", forwarded_by="Ana <a@x>") == "Thanks!"


def test_automated_reasons():
    assert parse("auto_submitted_no.eml").automated == ""
    assert parse("plain.eml").automated == ""
    assert parse("precedence_list.eml").automated == "bulk mail (Precedence: list)"
    raw = b"From: a@example.com\nReturn-Path: <>\nMessage-ID: <r@x>\n\nVacation."
    assert parse_email(raw, max_attachment_bytes=1, allowed_types=ALLOWED).automated == (
        "auto-reply (null Return-Path)"
    )
    only_list_id = b"From: a@example.com\nList-Id: <support.groups.example>\n\nA person."
    assert parse_email(only_list_id, max_attachment_bytes=1, allowed_types=ALLOWED).automated == ""


def test_attachment_limits_and_safe_names():
    parsed = parse("attachment_forbidden.eml")

    assert [(a.filename, a.refused, a.content) for a in parsed.attachments] == [
        ("invoice.exe", "forbidden file type (.exe)", b""),
        ("invoice.pdf.exe", "forbidden file type (.exe)", b""),
        ("run.sh", "type not allowed (application/x-sh)", b""),
    ]


def test_inline_images_are_attachments_and_the_html_alternative_is_not():
    related = parse("inline_image_related.eml")
    alternative = parse("alternative.eml")

    assert [(a.filename, a.content_type, a.size) for a in related.attachments] == [
        ("attachment-1.png", "image/png", 70)
    ]
    assert alternative.attachments == ()


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \r\n", b"\x00\x01\x02", b"no colon here\n\nbody", b"From: <>\n\nx", b"From: @\n\nx"],
)
def test_unparseable(raw):
    with pytest.raises(UnparseableEmail):
        parse_email(raw, max_attachment_bytes=1, allowed_types=ALLOWED)


def test_unknown_charset_falls_back_without_losing_the_message():
    raw = (
        b"From: a@example.com\nContent-Type: text/plain; charset=x-unknown-42\n"
        b"Content-Transfer-Encoding: 8bit\n\ncaf\xc3\xa9 and caf\xe9"
    )

    text = parse_email(raw, max_attachment_bytes=1, allowed_types=ALLOWED).text

    assert text == "caf\u00c3\u00a9 and caf\u00e9"
