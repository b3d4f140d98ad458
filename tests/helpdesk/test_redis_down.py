"""Redis stopped: the web keeps serving. The shared cache (throttle counters, the dashboard's
figures) is a real Redis client pointed at a port nobody listens on."""

import socket

import pytest


@pytest.fixture
def redis_down(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }


@pytest.mark.django_db
def test_the_api_answers_unthrottled_when_its_counters_are_unreachable(
    redis_down, api_client, customer, caplog
):
    client = api_client(customer)

    created = client.post("/api/v1/tickets/", {"subject": "Kettle", "body": "It leaks."})
    listed = client.get("/api/v1/tickets/")

    assert (created.status_code, listed.status_code) == (201, 200)
    assert listed.json()["count"] == 1
    assert "throttle: cache unavailable (ConnectionError" in caplog.text


@pytest.mark.django_db
def test_the_managers_figures_are_computed_when_the_cache_is_unreachable(
    redis_down, api_client, manager, caplog
):
    report = api_client(manager).get("/api/v1/sla/report/")

    assert report.status_code == 200
    assert report.json()["metrics"]["first_response"]["count"] == 0
    assert "dashboard figures: cache unavailable (ConnectionError)" in caplog.text
