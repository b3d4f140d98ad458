"""`manage.py ingest_email PATH... [--imap]`: mail from Maildirs, mbox files, .eml files or
the IMAP mailbox in settings becomes tickets and replies (see tickets/email/intake.py)."""

import mailbox
import os
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tickets.email.imap import ImapNotConfigured, ImapSettings, imap_ingest
from tickets.email.intake import IngestResult, email_ingest


def _ingest(raw: bytes) -> IngestResult:
    return email_ingest(raw=raw, now=timezone.now())


class Command(BaseCommand):
    help = (
        "Ingest e-mail: each PATH a Maildir folder, an mbox file or a single .eml file; "
        "--imap reads the mailbox configured in settings (IMAP_HOST, IMAP_USER, ...)."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH")
        parser.add_argument("--imap", action="store_true", help="read the IMAP mailbox")

    def handle(self, *args, paths, imap, **options):
        if not paths and not imap:
            raise CommandError("Give at least one PATH, or --imap.")
        self.counts: Counter[str] = Counter()
        for path in paths:
            self._path(Path(path))
        if imap:
            try:
                config = ImapSettings.from_settings()
            except ImapNotConfigured as exc:
                raise CommandError(f"IMAP is not configured: {exc}") from None
            for uid, result in imap_ingest(config=config, ingest=_ingest):
                self._report(f"imap:{config.folder}/{uid}", result)
        total = sum(self.counts.values())
        parts = ", ".join(
            f"{self.counts[key]} {key}"
            for key in ("created", "threaded", "ignored", "held", "duplicate", "error")
        )
        self.stdout.write(f"{total} message{'s' if total != 1 else ''}: {parts}")

    def _report(self, label: str, result: IngestResult) -> None:
        self.counts[result.action] += 1
        self.stdout.write(f"{label}: {result.describe()}")

    def _path(self, path: Path) -> None:
        if path.is_dir():
            if not (path / "new").is_dir() or not (path / "cur").is_dir():
                raise CommandError(f"{path} is a folder but not a Maildir (no new/ and cur/).")
            self._maildir(path)
        elif path.is_file():
            with path.open("rb") as handle:
                is_mbox = handle.read(5) == b"From "
            if is_mbox:
                self._mbox(path)
            else:
                self._report(str(path), _ingest(path.read_bytes()))
        else:
            raise CommandError(f"{path} does not exist.")

    def _maildir(self, path: Path) -> None:
        """New messages, oldest first; each moved to cur/ (flagged seen) once ingested."""
        new = path / "new"
        names = sorted(
            (n for n in os.listdir(new) if not n.startswith(".")),
            key=lambda n: (os.stat(new / n).st_mtime, n),
        )
        for name in names:
            result = _ingest((new / name).read_bytes())
            self._report(f"{path}/new/{name}", result)
            base, _, info = name.partition(":2,")
            flags = "".join(sorted(set(info) | {"S"}))
            os.replace(new / name, path / "cur" / f"{base}:2,{flags}")

    def _mbox(self, path: Path) -> None:
        box = mailbox.mbox(path, create=False)
        try:
            for index, key in enumerate(box.keys(), start=1):
                self._report(f"{path}[{index}]", _ingest(box.get_bytes(key)))
        finally:
            box.close()
