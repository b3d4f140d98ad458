"""The run scripts parse and stay executable; `seed_demo --logins` only prints."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from helpdesk.models import User

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["scripts/dev", "scripts/test", "scripts/serve", ".ci/run"]
FAULT_DRILLS = [
    "scripts/fault_redis_down.py",
    "scripts/fault_worker_kill.py",
    "scripts/fault_postgres_restart.py",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_is_executable_bash_that_parses(script):
    path = ROOT / script

    assert os.access(path, os.X_OK)
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0


def test_ci_stops_on_errors_and_checks_lint_and_both_databases():
    text = (ROOT / ".ci/run").read_text()

    assert "set -euo pipefail" in text
    assert "ruff check ." in text
    assert "ruff format --check ." in text
    assert "postgres://postgres@127.0.0.1:5432/helpdesk_ci_$$" in text
    assert "--create-db" in text


@pytest.mark.django_db
def test_seed_demo_logins_prints_the_logins_and_creates_nothing():
    out = StringIO()

    call_command("seed_demo", "--logins", stdout=out)

    assert "password for all: demo-pass-2026" in out.getvalue()
    assert "agents:    alice, bob, chen" in out.getvalue()
    assert User.objects.count() == 0


@pytest.mark.parametrize("script", FAULT_DRILLS)
def test_fault_drills_explain_themselves_and_run_in_ci(script):
    result = subprocess.run(
        [sys.executable, script, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ")
    assert "Fault drill" in result.stdout
    assert f".venv/bin/python {script}" in (ROOT / ".ci/run").read_text()
