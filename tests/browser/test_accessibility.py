"""Accessibility: axe-core in the real browser on the main pages, in light and dark colours.

axe-core is pinned in package-lock.json and installed into node_modules/ by ./scripts/test;
it is served to the test browser from there, never fetched. A violation of impact serious
or critical fails the test with its rule, targets and help page; moderate and minor ones are
printed (run with -s to see them) for a look, not a failure.
"""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from escalation.services import events_process
from helpdesk.models import User
from sla.sweep import sweep
from tests.browser.conftest import log_in
from tickets import services
from tickets.models import Product, Ticket

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Served at an address of the live server itself, so the pages' Content-Security-Policy
# (script-src 'self', no inline script) admits it as it is. Injecting the file's text inline
# would need a context with bypass_csp=True, and then the pages would be checked without the
# policy they run under in production (an inline style it blocks would count, for instance).
AXE_PATH = "/__tests__/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING = ("serious", "critical")
DEMO_PASSWORD = "demo-pass-2026"  # tickets/management/commands/seed_demo.py
GENERIC = (
    "Thank you for contacting us. We have forwarded your request to the relevant department. "
    "We value your feedback."
)


@pytest.fixture
def demo():
    """The demo data (built through the services by seed_demo), swept, with escalations."""
    call_command("seed_demo", stdout=io.StringIO())
    now = timezone.now()
    sweep(now=now)
    events_process(now=now)
    return now


class Audit:
    """axe on a page in both colour schemes; what it finds, per page and scheme."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.serious: list[str] = []
        self.minor: list[str] = []
        self.contexts: list = []

    def check(self, page, label: str) -> None:
        if page.context not in self.contexts:
            self.contexts.append(page.context)
            page.context.route(
                f"{self.base_url}{AXE_PATH}",
                lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"),
            )
        page.wait_for_load_state("networkidle")  # htmx has loaded what the page loads
        if not page.evaluate("typeof window.axe === 'object'"):
            page.add_script_tag(url=AXE_PATH)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            # Buttons and fields fade between colours: check the colours they settle on.
            page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished))")
            results = page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                " resultTypes: ['violations']})",
                AXE_TAGS,
            )
            for violation in results["violations"]:
                line = _describe(violation, f"{label} ({scheme})")
                (self.serious if violation["impact"] in FAILING else self.minor).append(line)
        page.emulate_media(color_scheme="light")

    def assert_clean(self) -> None:
        if self.minor:
            print("\nModerate and minor axe findings:\n" + "\n".join(self.minor))
        assert not self.serious, "axe found serious or critical violations:\n" + "\n".join(
            self.serious
        )


@pytest.fixture
def audit(live_server) -> Audit:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: ./scripts/test installs it with `npm ci`")
    return Audit(live_server.url)


def _describe(violation: dict, where: str) -> str:
    """The rule, its impact, each target (up to 10) with why it fails, and the help page."""
    lines = [f"- {where}: {violation['id']} [{violation['impact']}] {violation['help']}"]
    for node in violation["nodes"][:10]:
        checks = node["any"] + node["all"] + node["none"]
        why = "; ".join(check["message"] for check in checks if check.get("message"))
        lines.append(f"    {' '.join(node['target'])}: {why[:240]}")
    if len(violation["nodes"]) > 10:
        lines.append(f"    ... and {len(violation['nodes']) - 10} more")
    lines.append(f"    help: {violation['helpUrl']}")
    return "\n".join(lines)


def _ticket_with_agent_reply(customer: User, agent: User, now) -> Ticket:
    """A question answered with a stock reply: the answer clock runs on, so the promise shows."""
    ticket = services.ticket_create(
        requester=customer,
        subject="Does the KET-200 work on 230 V in the UK?",
        body="Does the KET-200 kettle work on 230 V in the UK, and does it need an adapter?",
        now=now - timedelta(hours=2),
    )
    services.ticket_reply_add(
        ticket=ticket, author=agent, body=GENERIC, public=True, now=now - timedelta(hours=1)
    )
    services.ticket_reply_add(
        ticket=ticket,
        author=agent,
        body="Customer asks about UK plugs; check the KET-200 UK variant.",
        public=False,
        now=now - timedelta(minutes=50),
    )
    return ticket


def test_customer_portal_has_no_serious_violations(audit, demo, new_page):
    carla = User.objects.get(username="carla")
    ticket = _ticket_with_agent_reply(carla, User.objects.get(username="alice"), demo)
    page = new_page()
    log_in(page, "carla", DEMO_PASSWORD)

    for path, label in [
        ("/tickets/", "my tickets"),
        ("/tickets/new/", "new ticket form"),
        ("/reports/", "my reports"),
        ("/reports/new/", "report form"),
        ("/my/content/", "my questions and reviews"),
    ]:
        page.goto(path)
        audit.check(page, label)

    page.goto(f"/tickets/{ticket.pk}/")
    expect(page.locator("#sla .promise")).to_contain_text("We aim to answer by")
    expect(page.locator("#conversation")).to_contain_text("forwarded your request")
    audit.check(page, "customer ticket page")
    audit.assert_clean()
    assert page.errors == []


def test_agent_workspace_has_no_serious_violations(audit, demo, new_page):
    carla = User.objects.get(username="carla")
    ticket = _ticket_with_agent_reply(carla, User.objects.get(username="alice"), demo)
    page = new_page()
    log_in(page, "alice", DEMO_PASSWORD)

    page.goto(f"/agent/tickets/{ticket.pk}/")
    page.get_by_role("textbox", name="Reply").fill(GENERIC)
    page.get_by_role("textbox", name="Reply").press("End")
    expect(page.locator("#reply-check")).to_contain_text("This reply looks generic")
    expect(page.locator("#side-panel")).to_contain_text("Properties")
    audit.check(page, "agent ticket page")

    page.goto("/agent/")
    expect(page.locator("tbody tr").first).to_be_visible()
    audit.check(page, "agent queue")

    page.goto("/moderation/")
    expect(page.locator("#moderation-queue tbody tr").first).to_be_visible()
    audit.check(page, "moderation queue")

    for path, label in [
        ("/agent/reports/", "reports queue"),
        ("/agent/escalations/", "escalations"),
    ]:
        page.goto(path)
        audit.check(page, label)
    audit.assert_clean()
    assert page.errors == []


def test_manager_pages_have_no_serious_violations(audit, demo, new_page):
    page = new_page()
    log_in(page, "max", DEMO_PASSWORD)

    page.goto("/manager/dashboard/?days=30")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    audit.check(page, "managers' dashboard")

    page.goto("/notifications/")
    expect(page.locator(".notification").first).to_be_visible()
    audit.check(page, "notifications")
    audit.assert_clean()
    assert page.errors == []


def test_public_pages_have_no_serious_violations(audit, demo, new_page):
    page = new_page()
    product = Product.objects.get(sku="ket-200")

    for path, label in [
        ("/login/", "login"),
        ("/signup/", "sign-up"),
        ("/products/", "products"),
        (f"/products/{product.sku}/", "product page"),
    ]:
        page.goto(path)
        audit.check(page, label)

    log_in(page, "carla", DEMO_PASSWORD)
    page.goto(f"/products/{product.sku}/")
    audit.check(page, "product page, signed in")
    audit.assert_clean()
    assert page.errors == []
