"""Every response carries the security headers; pages need no inline script or style."""

import re

import pytest
from django.utils import timezone

from tickets.services import ticket_create

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives(header: str) -> dict[str, str]:
    parts = [part.strip().split(" ", 1) for part in header.split(";") if part.strip()]
    return {name: value for name, value in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/products/", "/api/v1/me/", "/healthz", "/admin/"])
def test_security_headers_on_pages_api_and_admin(client, path):
    response = client.get(path)

    assert directives(response["Content-Security-Policy"]) == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_pages_carry_no_inline_script_style_or_event_handler(client, manager, customer):
    ticket = ticket_create(requester=customer, subject="Kettle", body="Leaks", now=timezone.now())
    pages = ["/agent/", f"/agent/tickets/{ticket.pk}/", "/manager/dashboard/", "/moderation/"]
    client.force_login(manager)
    for path in pages:
        html = client.get(path, follow=True).content.decode()
        assert re.findall(r"<script[^>]*>\s*[^<\s]", html) == [], path
        assert "<style" not in html, path
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert not re.search(r"\shx-on", html), path
