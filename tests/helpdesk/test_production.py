"""Production settings and the health endpoints, through the public surface."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
    "SECRET_KEY": "x" * 64 + "-a-long-random-production-key-for-the-deploy-check",
    "ALLOWED_HOSTS": "help.example.com",
    "DATABASE_URL": "sqlite:////tmp/helpdesk-deploy-check.sqlite3",
}


def manage(*args, env):
    unset = ("SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert f"{missing} must be set in the environment for production" in result.stderr


@pytest.mark.django_db
def test_liveness_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "outbox_pending": 0})


@pytest.mark.django_db
def test_readiness_reports_an_unreachable_broker(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nobody listens on port 1

    ready = client.get("/readyz")

    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "problems": ["broker: ConnectionError"],
        "outbox_pending": 0,
    }


@pytest.mark.parametrize(("setting", "bound"), [(None, True), ("0", False)])
def test_production_binds_parameters_on_the_server_and_prepares_statements(setting, bound):
    env = {**PRODUCTION, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/helpdesk"}
    if setting is not None:
        env["DATABASE_SERVER_SIDE_BINDING"] = setting
    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"

    result = manage("shell", "-c", show, env=env)

    assert result.returncode == 0, result.stderr
    options = result.stdout.strip().splitlines()[-1]
    if bound:
        assert options == "{'server_side_binding': True, 'prepare_threshold': 2}"
    else:
        assert "server_side_binding" not in options
