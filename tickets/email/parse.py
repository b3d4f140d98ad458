"""Turn a raw RFC 822 message into plain values: pure, standard library only, no ORM.

The stdlib `email` package (with `policy.default`) does the MIME work; what is added here is
what a helpdesk needs on top: the text a person wrote (the plain part preferred, HTML turned
into text, quoted earlier mail and signatures cut from replies, forwarded mail kept whole),
the threading headers, whether a machine sent it, and attachments checked against limits.
Every string that leaves this module is storable in PostgreSQL (no NUL, no lone surrogate).
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

MESSAGE_ID_MAX = 998  # RFC 5322 line length; longer ids are hashed
FILENAME_MAX = 200
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORBIDDEN_EXTENSIONS = frozenset(
    [
        "exe",
        "com",
        "bat",
        "cmd",
        "scr",
        "pif",
        "msi",
        "msp",
        "vbs",
        "vbe",
        "js",
        "jse",
        "wsf",
        "wsh",
        "ps1",
        "psm1",
        "jar",
        "hta",
        "cpl",
        "lnk",
        "reg",
        "dll",
        "sys",
        "app",
        "dmg",
        "iso",
        "apk",
    ]
)


class UnparseableEmail(Exception):
    """The bytes are not a message a person sent that we could read (kept for an agent)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    content: bytes = b""  # empty when refused
    refused: str = ""  # why it was not kept, "" when it was


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str  # without angle brackets; synthetic ("sha256-...@no-message-id") if absent
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: str  # lower-cased address
    sender_name: str
    to: tuple[str, ...]
    subject: str  # as sent (decoded), "" when absent
    date: datetime | None
    text: str  # the whole text body
    reply: str  # what the person wrote: quoted mail and signature cut, forwards kept
    automated: str = ""  # why a machine sent it ("" for a person): auto-reply, bounce, bulk
    attachments: tuple[Attachment, ...] = field(default=())

    @property
    def ticket_reference(self) -> int | None:
        return ticket_reference(self.subject)

    @property
    def threading_ids(self) -> tuple[str, ...]:
        """Ids this message answers, the most direct first: In-Reply-To, then References
        from the newest back."""
        seen: dict[str, None] = {}
        for value in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(value, None)
        return tuple(seen)


# --- small helpers -----------------------------------------------------------------------


def storable(text: str) -> str:
    """Drop what PostgreSQL cannot store in a text column: NUL and unpaired surrogates."""
    return _UNSTORABLE.sub("", text)


def normalize_message_id(value: str) -> str:
    """`<abc@host>` → `abc@host`; whitespace removed; over-long ids hashed to a fixed size."""
    value = storable(value or "").strip()
    match = re.search(r"<([^<>]*)>", value)
    value = re.sub(r"\s+", "", match.group(1) if match else value)
    if len(value) > MESSAGE_ID_MAX:
        value = "sha256-" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
    return value


def message_ids(value: str | None) -> tuple[str, ...]:
    """The ids of an In-Reply-To or References header, in order."""
    if not value:
        return ()
    value = storable(str(value))
    found = re.findall(r"<([^<>\s]+)>", value) or value.split()
    return tuple(v for v in (normalize_message_id(f) for f in found) if v)


def synthetic_message_id(raw: bytes) -> str:
    """A stable id for mail without a Message-ID, so ingesting it twice is still a duplicate."""
    return f"sha256-{hashlib.sha256(raw).hexdigest()}@no-message-id"


def raw_message_id(raw: bytes) -> str:
    """The Message-ID of bytes that may not parse at all, else a synthetic one."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(rb"^message-id:[ \t]*(.+(?:\r?\n[ \t].*)*)", head, re.I | re.M)
    if match:
        value = normalize_message_id(match.group(1).decode("ascii", "replace"))
        if value and "\ufffd" not in value:
            return value
    return synthetic_message_id(raw)


_SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|odp|pd|rv|ref|antw|r)\s*(\[\d+\])?\s*:\s*)+", re.I
)
_REFERENCE = re.compile(r"\[#(\d{1,18})\]")


def clean_subject(subject: str) -> str:
    """The subject without reply/forward prefixes ("Re:", "Fwd:", "AW:", "Odp:", ...)."""
    return _SUBJECT_PREFIX.sub("", storable(subject)).strip()


def ticket_reference(subject: str) -> int | None:
    match = _REFERENCE.search(subject or "")
    return int(match.group(1)) if match else None


def is_forward_subject(subject: str) -> bool:
    return re.match(r"^\s*(fw|fwd|wg|tr|pd|rv)\s*:", subject or "", re.I) is not None


# --- HTML to text ------------------------------------------------------------------------

_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
_SKIP = frozenset(["head", "script", "style", "template", "title", "noscript"])
_QUOTE_START, _QUOTE_END = "\x01q+", "\x01q-"


class _TextExtractor(HTMLParser):
    """Text as a person reads it: blocks on their own lines, blockquotes as "> " lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.pre = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "blockquote":
            self.out.append(f"\n{_QUOTE_START}\n")
        elif tag in _BLOCK:
            self.out.append("\n")
            if tag == "li":
                self.out.append("- ")
            if tag == "pre":
                self.pre += 1
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and not self.skip:
                self.out.append(f"[{alt}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in _SKIP:
            self.skip -= 1

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.out.append(f"\n{_QUOTE_END}\n")
        elif tag in _BLOCK:
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            if tag != "li":
                self.out.append("\n")
            if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "table"):
                self.out.append("\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            text = self.out[-1].strip() if self.out else ""
            if href and re.match(r"^https?://", href) and href != text and not self.skip:
                self.out.append(f" ({href})")

    def handle_data(self, data):
        if self.skip:
            return
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable plain text from HTML; nothing of it is ever rendered as HTML again."""
    parser = _TextExtractor()
    try:
        parser.feed(storable(html))
        parser.close()
    except Exception:  # HTMLParser is lenient; this is a last resort, not a path we expect
        return storable(re.sub(r"<[^>]*>", " ", html))
    lines: list[str] = []
    depth = 0
    for line in "".join(parser.out).split("\n"):
        if line.strip() == _QUOTE_START:
            depth += 1
            continue
        if line.strip() == _QUOTE_END:
            depth = max(0, depth - 1)
            continue
        line = line.replace("\xa0", " ").rstrip()
        if not parser.pre:
            line = line.strip()
        lines.append(("> " * depth + line).rstrip() if depth and line else line)
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- replies: quoted mail and signatures -------------------------------------------------

_ATTRIBUTION = [
    re.compile(p, re.I)
    for p in (
        r"^on\b.{0,300}\bwrote:?$",  # Gmail, Apple Mail, Thunderbird
        r"^le\b.{0,300}\ba écrit ?:$",
        r"^am\b.{0,300}\bschrieb\b.{0,200}:$",
        r"^w dniu\b.{0,300}\bpisze:$",  # Polish
        r"^(în|in)\b.{0,300}\ba scris:$",  # Romanian
        r"^el\b.{0,300}\bescribió:$",
        r"^il\b.{0,300}\bha scritto:$",
        r"^op\b.{0,300}\bschreef\b.{0,200}:$",
        r"^.{0,300}<[^<>\s]+@[^<>\s]+>\s+(wrote|napisał\(a\)|a scris|schrieb):$",
    )
]
_ORIGINAL = re.compile(
    r"^-{3,}\s*(original message|ursprüngliche nachricht|oryginalna wiadomość|"
    r"mesaj original|message d'origine|mensaje original)\s*-{3,}$",
    re.I,
)
_HEADER_FROM = re.compile(r"^\*?(from|de|von|od|van|da)\s*:\*?\s+\S", re.I)
_HEADER_SENT = re.compile(
    r"^\*?(sent|date|gesendet|datum|wysłano|wysłane|data|trimis|envoyé|enviado|inviato)\s*:\*?\s+\S",
    re.I,
)
_RULE = re.compile(r"^_{10,}$")
_FORWARD = re.compile(
    r"^(-{3,}\s*forwarded message\s*-{3,}|begin forwarded message:|"
    r"-{3,}\s*(weitergeleitete nachricht|wiadomość przekazana dalej|mesaj redirecționat|"
    r"message transféré)\s*-{3,})$",
    re.I,
)
_MOBILE = re.compile(
    r"^(sent from my \S.{0,40}|sent from (mail|outlook|yahoo mail) for \S.{0,40}|"
    r"get outlook for \S.{0,30}|sent from yahoo mail.{0,40}|sent from proton ?mail.{0,40}|"
    r"trimis de pe \S.{0,40}|wysłane z \S.{0,40}|von meinem \S.{0,40} gesendet)$",
    re.I,
)


def _outlook_header_at(lines: list[str], i: int) -> bool:
    """A "From: … / Sent: …" block (Outlook's quoting and forwarding) starts at line i."""
    if not _HEADER_FROM.match(lines[i].strip()):
        return False
    return any(_HEADER_SENT.match(line.strip()) for line in lines[i + 1 : i + 4])


def _quote_start(lines: list[str]) -> int | None:
    """The first line of quoted earlier mail, or None."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        if _ORIGINAL.match(stripped) or _outlook_header_at(lines, i):
            return i
        if _RULE.match(stripped) and any(
            _outlook_header_at(lines, j) for j in range(i + 1, min(i + 3, len(lines)))
        ):
            return i
        for candidate in (
            stripped,
            f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else "",
        ):
            if candidate and any(p.match(candidate) for p in _ATTRIBUTION):
                return i
    return None


def _forward_start(lines: list[str], subject: str) -> int | None:
    for i, line in enumerate(lines):
        if _FORWARD.match(line.strip()):
            return i
    if is_forward_subject(subject):
        start = _quote_start(lines)
        if start is not None:
            return start
    return None


def _strip_signature(lines: list[str]) -> list[str]:
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] in ("-- ", "--") and any(line.strip() for line in lines[:i]):
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or _MOBILE.match(lines[-1].strip())):
        lines = lines[:-1]
    return lines


def _trim(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()


def reply_text(text: str, *, subject: str = "", forwarded_by: str = "") -> str:
    """What the sender wrote in this message.

    Quoted earlier mail ("On … wrote:", "-----Original Message-----", Outlook's "From: …
    Sent: …" block, trailing "> " lines) and the signature ("-- ", "Sent from my iPhone") are
    cut. A forwarded message is kept whole after a line saying who forwarded it. When cutting
    would leave nothing (a bottom-posted reply, a reply that is only a quote), the text is
    kept rather than lost.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    forward = _forward_start(lines, subject)
    start = _quote_start(lines)
    if forward is not None and (start is None or forward <= start):
        note = _trim(_strip_signature(lines[:forward]))
        body = lines[forward + 1 :] if _FORWARD.match(lines[forward].strip()) else lines[forward:]
        if body and _RULE.match(body[0].strip()):
            body = body[1:]
        header = (
            f"---------- Forwarded by {forwarded_by} ----------"
            if forwarded_by
            else ("---------- Forwarded message ----------")
        )
        return "\n\n".join(part for part in (note, f"{header}\n{_trim(body)}") if part)
    head = lines[:start] if start is not None else lines
    while head and (not head[-1].strip() or head[-1].lstrip().startswith(">")):
        head = head[:-1]
    body = head
    while body and (not body[0].strip() or body[0].lstrip().startswith(">")):
        body = body[1:]
    if not any(line.lstrip().startswith(">") for line in body):
        head = body  # bottom-posted under a quote; interleaved answers keep their quotes
    result = _trim(_strip_signature(head))
    if result:
        return result
    # Bottom-posting, or nothing above the quote: keep what is not quoted, else everything.
    unquoted = [
        line
        for line in lines
        if not line.lstrip().startswith(">")
        and not any(p.match(line.strip()) for p in _ATTRIBUTION)
    ]
    return _trim(_strip_signature(unquoted)) or text.strip()


# --- machines: auto-replies, bounces, bulk mail ------------------------------------------

_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-AutoReply-From")


def automated_reason(msg: Message, sender: str) -> str:
    """Why this message was sent by a machine and must not open or reopen a ticket ("" if a
    person sent it). RFC 3834 and the headers mail systems actually set."""
    content_type = msg.get_content_type()
    if content_type == "multipart/report":
        report = (msg.get_param("report-type") or "").lower()
        return f"bounce (multipart/report; report-type={report})" if report else "bounce"
    if any(part.get_content_type() == "message/delivery-status" for part in msg.walk()):
        return "bounce (message/delivery-status)"
    local = sender.split("@", 1)[0]
    if local in ("mailer-daemon", "postmaster"):
        return f"bounce (from {sender})"
    auto_submitted = str(msg.get("Auto-Submitted", "") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"auto-reply (Auto-Submitted: {auto_submitted})"
    for name in _AUTO_HEADERS:
        value = msg.get(name)
        if value is not None and str(value).strip().lower() not in ("no", "false", "0"):
            return f"auto-reply ({name})"
    precedence = str(msg.get("Precedence", "") or "").strip().lower()
    if precedence in ("bulk", "auto_reply", "list", "junk"):
        return f"bulk mail (Precedence: {precedence})"
    if str(msg.get("X-Auto-Response-Suppress", "")).strip() and re.match(
        r"^\s*(automatic reply|auto(matische)? ?(reply|antwort)|out of office)\s*:",
        str(msg.get("Subject", "")),
        re.I,
    ):
        return "auto-reply (Outlook automatic reply)"
    if str(msg.get("Return-Path", "")).strip() == "<>":
        return "auto-reply (null Return-Path)"
    return ""


# --- MIME ------------------------------------------------------------------------------


def _decode(payload: bytes, charset: str | None) -> str:
    """Bytes in a declared charset; mislabelled 8-bit text falls back to UTF-8, then cp1252."""
    names = [charset or "utf-8"]
    if (charset or "").lower() in ("us-ascii", "ascii", ""):
        names = ["utf-8"]
    for name in [*names, "utf-8"]:
        try:
            return payload.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return payload.decode(charset or "cp1252", "replace")
    except LookupError:
        return payload.decode("cp1252", "replace")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload() or "").encode("utf-8", "replace")
    text = _decode(payload, part.get_content_charset())
    return storable(text.replace("\r\n", "\n").replace("\r", "\n"))


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _filename(part: Message, content_type: str, index: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = _CONTROL.sub("", storable(str(name))).replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = name.lstrip(".") or f"attachment-{index}.{content_type.rsplit('/', 1)[-1][:10]}"
    if len(name) > FILENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: FILENAME_MAX - len(ext) - 1] + dot + ext) if dot else name[:FILENAME_MAX]
    return name


def _check(
    name: str, content_type: str, size: int, *, max_bytes: int, allowed: frozenset[str]
) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in _FORBIDDEN_EXTENSIONS:
        return f"forbidden file type (.{extension})"
    if content_type not in allowed:
        return f"type not allowed ({content_type})"
    if size > max_bytes:
        return f"too large ({size} bytes; limit {max_bytes})"
    return ""


@dataclass
class _Walk:
    max_bytes: int
    allowed: frozenset[str]
    attachments: list[Attachment] = field(default_factory=list)
    extra_text: list[str] = field(default_factory=list)
    forwards: list[Message] = field(default_factory=list)

    def visit(self, part: Message, body_ids: set[int], in_alternative: bool = False) -> None:
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                self.forwards.append(inner[0])
            return
        if part.is_multipart():
            alternative = content_type == "multipart/alternative"
            for sub in part.iter_parts() if isinstance(part, EmailMessage) else part.get_payload():
                self.visit(sub, body_ids, in_alternative or alternative)
            return
        if id(part) in body_ids:
            return
        disposition = part.get_content_disposition()
        has_name = bool(part.get_filename())
        if (
            content_type in ("text/plain", "text/html")
            and disposition != "attachment"
            and not has_name
        ):
            if not in_alternative:
                text = _part_text(part)
                self.extra_text.append(html_to_text(text) if content_type == "text/html" else text)
            return
        content = _part_bytes(part)
        name = _filename(part, content_type, len(self.attachments) + 1)
        refused = _check(
            name, content_type, len(content), max_bytes=self.max_bytes, allowed=self.allowed
        )
        self.attachments.append(
            Attachment(
                filename=name,
                content_type=content_type,
                size=len(content),
                content=b"" if refused else content,
                refused=refused,
            )
        )


def _body(msg: EmailMessage) -> tuple[str, set[int]]:
    """The text of the message and the ids of the parts it came from."""
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    used = {id(p) for p in (plain, html) if p is not None}
    if plain is not None:
        text = _part_text(plain).strip()
        if text:
            return text, used
    if html is not None:
        return html_to_text(_part_text(html)), used
    return "", used


def _address(msg: Message, name: str) -> tuple[str, str]:
    try:
        header = msg.get(name)
        addresses = getattr(header, "addresses", None)
        if addresses:
            first = addresses[0]
            return storable(first.display_name or ""), storable(first.addr_spec or "")
        pairs = getaddresses([str(header or "")])
        return (storable(pairs[0][0]), storable(pairs[0][1])) if pairs else ("", "")
    except Exception:
        return "", ""


def _header(msg: Message, name: str) -> str:
    try:
        return storable(str(msg.get(name, "") or ""))
    except Exception:
        return ""


def _date(msg: Message) -> datetime | None:
    try:
        value = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _render_forward(inner: Message) -> str:
    lines = [f"{h}: {_header(inner, h)}" for h in ("From", "Date", "Subject", "To") if inner.get(h)]
    text = _body(inner)[0] if isinstance(inner, EmailMessage) else _part_text(inner)
    return "\n".join(lines) + "\n\n" + text


def parse_email(
    raw: bytes, *, max_attachment_bytes: int, allowed_types: frozenset[str]
) -> ParsedEmail:
    """Read a raw message; raises UnparseableEmail when there is nothing a person could act on."""
    if not raw or not raw.strip():
        raise UnparseableEmail("empty message")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise UnparseableEmail("no headers: not an RFC 822 message")
    sender_name, sender = _address(msg, "From")
    if not sender or "@" not in sender or sender.startswith("@") or sender.endswith("@"):
        sender_name, sender = _address(msg, "Sender")
    if not sender or len(sender) > 254 or not re.fullmatch(r"[^@\s]+@[^@\s]+", sender):
        raise UnparseableEmail(f"no valid sender address (From: {_header(msg, 'From')[:200]!r})")
    sender = sender.lower()
    subject = _header(msg, "Subject").replace("\n", " ").strip()
    message_id = normalize_message_id(_header(msg, "Message-ID")) or synthetic_message_id(raw)

    text, used = _body(msg)
    walk = _Walk(max_bytes=max_attachment_bytes, allowed=allowed_types)
    walk.visit(msg, used)
    automated = automated_reason(msg, sender)
    if walk.forwards and not automated:
        forwarded = "\n\n".join(
            f"---------- Forwarded message ----------\n{_render_forward(inner)}"
            for inner in walk.forwards
        )
        text = f"{text}\n\n{forwarded}" if text else forwarded
        for inner in walk.forwards:
            if isinstance(inner, EmailMessage):
                inner_used = _body(inner)[1]
                walk.visit(inner, inner_used)
    text = "\n\n".join(t for t in (text, *walk.extra_text) if t.strip()).strip()
    who = f"{sender_name} <{sender}>" if sender_name else sender
    return ParsedEmail(
        message_id=message_id,
        in_reply_to=message_ids(_header(msg, "In-Reply-To")),
        references=message_ids(_header(msg, "References")),
        sender=sender,
        sender_name=sender_name.strip(),
        to=tuple(
            storable(a.lower())
            for _, a in getaddresses([_header(msg, "To"), _header(msg, "Cc")])
            if a
        ),
        subject=subject,
        date=_date(msg),
        text=text,
        reply=reply_text(text, subject=subject, forwarded_by=who) if text else "",
        automated=automated,
        attachments=tuple(walk.attachments),
    )
