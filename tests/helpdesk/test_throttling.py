"""Per-user API rates: 429 with Retry-After and the explicit figures, generous for agents.

Every test runs twice: counters in the process's memory, and in Redis as in production (one
pipelined round trip a request); the Redis half is skipped when no Redis answers locally.
"""

import uuid
from datetime import UTC, datetime

import pytest
import redis
import time_machine

T0 = datetime(2026, 12, 3, 10, 0, 5, tzinfo=UTC)
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True, params=["memory", "redis"])
def counters(request, settings):
    if request.param == "redis":
        try:
            redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=1).ping()
        except redis.RedisError:
            pytest.skip("no Redis at 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": LOCAL_REDIS,
                "KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}",  # nothing shared
            }
        }
    return request.param


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "customer": "3/min", "staff": "6/min"}
            | rates,
        }

    set_rates()
    return set_rates


@pytest.mark.django_db
def test_a_customer_over_the_rate_gets_429_with_retry_after_and_figures(
    rates, api_client, customer
):
    client = api_client(customer)
    with time_machine.travel(T0, tick=False):
        statuses = [client.get("/api/v1/tickets/").status_code for _ in range(3)]
        over = client.get("/api/v1/tickets/")

    assert statuses == [200, 200, 200]
    assert over.status_code == 429
    assert over["Retry-After"] == "55"  # the minute's window ends at 10:01:00
    assert over.json() == {
        "detail": "Too many requests: 3 per minute for a customer. Try again in 55 seconds.",
        "limit": 3,
        "remaining": 0,
        "window_seconds": 60,
        "resets_at": "2026-12-03T10:01:00+00:00",
    }


@pytest.mark.django_db
def test_the_limit_is_per_user_and_resets_with_the_window(
    rates, api_client, customer, other_customer
):
    first, second = api_client(customer), api_client(other_customer)
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            first.get("/api/v1/me/")
        assert first.get("/api/v1/me/").status_code == 429
        assert second.get("/api/v1/me/").status_code == 200
    with time_machine.travel(datetime(2026, 12, 3, 10, 1, 0, tzinfo=UTC), tick=False):
        assert first.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_agents_and_managers_get_the_staff_rate(rates, api_client, agent, manager):
    for user in (agent, manager):
        client = api_client(user)
        with time_machine.travel(T0, tick=False):
            statuses = [client.get("/api/v1/tickets/").status_code for _ in range(7)]
        assert statuses == [200] * 6 + [429]


@pytest.mark.django_db
def test_anonymous_callers_are_limited_by_address(rates, client):
    with time_machine.travel(T0, tick=False):
        statuses = [
            client.post(
                "/api/v1/auth/token/",
                {"username": "nobody", "password": "wrong"},
                content_type="application/json",
            ).status_code
            for _ in range(3)
        ]
    assert statuses == [400, 400, 429]


@pytest.mark.django_db
def test_writes_count_too_and_a_throttled_write_creates_nothing(rates, api_client, customer):
    from tickets.models import Ticket

    client = api_client(customer)
    with time_machine.travel(T0, tick=False):
        created = [
            client.post("/api/v1/tickets/", {"subject": f"S{i}", "body": "B"}).status_code
            for i in range(4)
        ]
    assert created == [201, 201, 201, 429]
    assert Ticket.objects.filter(requester=customer).count() == 3


def test_default_rates_are_generous_for_staff(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"anon": "60/min", "customer": "300/min", "staff": "3000/min"}


@pytest.mark.django_db
def test_a_window_counter_expires_with_its_window(rates, api_client, customer, counters):
    from django.core.cache import cache

    key = f"throttle:customer:{customer.pk}:{int(T0.timestamp()) // 60}"
    with time_machine.travel(T0, tick=False):
        api_client(customer).get("/api/v1/me/")
        assert cache.get(key) == 1
    if counters == "redis":
        client = redis.Redis.from_url(LOCAL_REDIS)
        assert 0 < client.ttl(cache.make_and_validate_key(key)) <= 61
