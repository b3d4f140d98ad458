"""A customer who first wrote by e-mail claims the account the helpdesk made for them."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core import mail

from tickets.email.intake import email_ingest
from tickets.models import Ticket

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RAW = (Path(__file__).parent / "data" / "thread_new.eml").read_bytes()


@pytest.mark.django_db
def test_an_account_created_from_e_mail_is_claimed_through_the_password_link(client):
    result = email_ingest(raw=RAW, now=NOW)
    user = Ticket.objects.get(pk=result.ticket_id).requester
    assert not user.has_usable_password()

    sent = client.post("/password/reset/", {"email": user.email.upper()})
    assert sent.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password/reset/\S+/)", mail.outbox[0].body)[1]
    form_page = client.get(link, follow=True)
    assert "Choose a password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "kettle-owner-2026", "new_password2": "kettle-owner-2026"},
    )

    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("kettle-owner-2026")
    signed_in = client.post("/login/", {"username": user.username, "password": "kettle-owner-2026"})
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")
    assert f"/tickets/{result.ticket_id}/" in client.get("/tickets/").content.decode()


@pytest.mark.django_db
def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    response = client.post("/password/reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/password/reset/sent/"
    assert mail.outbox == []
