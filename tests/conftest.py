import os

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# in a thread with a running loop unless told it is safe (it is: one thread, no real async).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def customer(db):
    return UserFactory(username="carla", role="customer")


@pytest.fixture
def other_customer(db):
    return UserFactory(username="otto", role="customer")


@pytest.fixture
def agent(db):
    return UserFactory(username="alice", role="agent")


@pytest.fixture
def manager(db):
    return UserFactory(username="max", role="manager")


def _client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.fixture
def api_client():
    """A client authenticated as the given user (None: anonymous)."""
    return _client_for


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: throttle counters and cached figures of an
    earlier test (whose user may have had the same id) must not leak into it."""
    from django.core.cache import cache

    cache.clear()
    yield
