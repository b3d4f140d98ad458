from datetime import UTC, datetime

import pytest

from tests.factories import UserFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", role="agent")


def report_body(n: int = 1, **extra) -> dict:
    return {
        "target_url": f"https://shop.example.com/listing/{n}",
        "reason": "copyright",
        "explanation": f"Listing {n} uses my photos.",
        **extra,
    }


# The browser test in this folder uses the browser fixtures of tests/browser.
from tests.browser.conftest import browser, new_page  # noqa: E402, F401
