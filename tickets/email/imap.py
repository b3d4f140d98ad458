"""Read an IMAP mailbox over TLS (IMAPS) and ingest its unseen messages.

Credentials come from settings (the environment), never from the database. A message is
fetched with BODY.PEEK[] (which leaves it unseen) and flagged \\Seen only after its ingest
returned, so a crash or a database outage leaves it for the next run; ingest is idempotent,
so a message seen twice is only a duplicate.
"""

import contextlib
import imaplib
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings

from .intake import IngestResult


class ImapNotConfigured(Exception):
    pass


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    user: str
    password: str
    folder: str

    @classmethod
    def from_settings(cls) -> "ImapSettings":
        if not (settings.IMAP_HOST and settings.IMAP_USER and settings.IMAP_PASSWORD):
            raise ImapNotConfigured("set IMAP_HOST, IMAP_USER and IMAP_PASSWORD")
        return cls(
            host=settings.IMAP_HOST,
            port=settings.IMAP_PORT,
            user=settings.IMAP_USER,
            password=settings.IMAP_PASSWORD,
            folder=settings.IMAP_FOLDER or "INBOX",
        )


def _check(response: tuple[str, list]) -> list:
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"IMAP said {status}: {data!r}")
    return data


def imap_ingest(
    *, config: ImapSettings, ingest: Callable[[bytes], IngestResult]
) -> Iterator[tuple[str, IngestResult]]:
    """Yield (uid, result) for each unseen message of the folder, in arrival order."""
    client = imaplib.IMAP4_SSL(config.host, config.port, ssl_context=ssl.create_default_context())
    try:
        _check(client.login(config.user, config.password))
        _check(client.select(_quoted(config.folder)))
        uids = _check(client.uid("SEARCH", None, "UNSEEN"))[0].split()
        for uid in uids:
            data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"))
            raw = next((item[1] for item in data if isinstance(item, tuple)), None)
            if raw is None:
                continue
            result = ingest(raw)
            _check(client.uid("STORE", uid, "+FLAGS", "(\\Seen)"))
            yield uid.decode(), result
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
