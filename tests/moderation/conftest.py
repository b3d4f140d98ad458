from datetime import UTC, datetime

import pytest

from tests.factories import ProductFactory, UserFactory
from tickets import moderation

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def product(db):
    return ProductFactory(sku="ket-200", name="KET-200 Kettle")


@pytest.fixture
def second_agent(db):
    return UserFactory(username="bob", role="agent")


def ask(customer, product, body="Does it work on 120 V?", now=T0):
    return moderation.question_submit(author=customer, product=product, body=body, now=now)


def review(customer, product, rating=4, title="Good kettle", body="Boils fast.", now=T0):
    return moderation.review_submit(
        author=customer, product=product, rating=rating, title=title, body=body, now=now
    )


# The browser test in this folder uses the browser fixtures of tests/browser.
from tests.browser.conftest import browser, new_page  # noqa: E402, F401
