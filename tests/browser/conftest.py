"""Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Never `playwright install`: the browser is the system one at /usr/bin/chromium
(`apt-get install -y chromium`). Without it, these tests are skipped.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
VIEWER_ZONE = "Europe/Paris"
TIMEOUT_MS = 10_000


# One browser per test, not per session: while Playwright runs, its event loop owns this
# thread and Django's context-local connection handler gives the test's own setup and
# teardown (serialized rollback, flush) another connection object than the one it prepared.
@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=os.environ.get("HEADED") != "1",
        )
        yield browser
        browser.close()


class ConsoleErrors(list):
    """JavaScript errors and failed requests seen by a page; a test asserts it stays empty."""


@pytest.fixture
def new_page(browser, live_server) -> Iterator:
    """Open a page in a fresh browser context (own cookies), like a second person would."""
    contexts = []

    def open_page():
        context = browser.new_context(
            viewport=VIEWPORT,
            timezone_id=VIEWER_ZONE,
            locale="en-GB",
            base_url=live_server.url,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = ConsoleErrors()
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: page.errors.append(msg.text) if msg.type == "error" else None,
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Through the real login form, as a person would."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("domcontentloaded")
