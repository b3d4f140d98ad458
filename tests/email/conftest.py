from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

DATA = Path(__file__).parent / "data"
SECRET = "s3cret-inbound-token"


def eml(name: str, **subs: object) -> bytes:
    """A corpus file, with {{placeholders}} (ticket ids, Message-IDs known only at run time)
    filled in."""
    raw = (DATA / name).read_bytes()
    for key, value in subs.items():
        raw = raw.replace(b"{{%s}}" % key.encode(), str(value).encode())
    return raw


@pytest.fixture(autouse=True)
def _email_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEFAULT_FROM_EMAIL = "Helpdesk <support@helpdesk.localhost>"
    settings.HELPDESK_EMAIL_ADDRESSES = ["support@helpdesk.localhost", "help@helpdesk.localhost"]
    settings.EMAIL_ATTACHMENT_MAX_BYTES = 1024
    settings.EMAIL_RATE_LIMIT_COUNT = 20
    settings.EMAIL_RATE_LIMIT_WINDOW_SECONDS = 3600
    settings.INBOUND_EMAIL_SECRET = SECRET


@pytest.fixture
def ingest(tmp_path):
    """Run `manage.py ingest_email` on corpus files (templated ones written to tmp_path);
    returns its output lines."""
    counter = iter(range(10**6))

    def run(*items: str | tuple[str, dict] | Path) -> list[str]:
        paths = []
        for item in items:
            if isinstance(item, Path):
                paths.append(str(item))
                continue
            name, subs = (item, {}) if isinstance(item, str) else item
            path = tmp_path / f"{next(counter)}-{name}"
            path.write_bytes(eml(name, **subs))
            paths.append(str(path))
        out = StringIO()
        call_command("ingest_email", *paths, stdout=out)
        return [
            line.split(": ", 1)[1] if ".eml: " in line else line
            for line in out.getvalue().splitlines()
        ]

    return run
