"""`scripts/serve`, the production runner: release steps, then gunicorn and the worker, and a
clean stop on TERM. Run for real, in production settings, on a throw-away SQLite database."""

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts._faults import free_port

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, port: int) -> dict:
    unset = ("DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    return {
        **{k: v for k, v in os.environ.items() if k not in unset},
        "SECRET_KEY": "s" * 64 + "-serve-test",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "Q_WORKERS": "1",
        "LOG_LEVEL": "warning",
    }


def get(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", **headers})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_serve_runs_release_web_and_worker_and_stops_on_term(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        ["scripts/serve"],
        cwd=ROOT,
        env=production_env(tmp_path, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()
            try:
                if get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the web never answered"
            time.sleep(0.3)

        status, headers, body = get(f"{base}/login/")
        assert status == 200
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        # Static files come from the web process itself, under hashed names, cached for good.
        css = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', body).group(1)
        status, headers, _ = get(base + css.decode())
        assert status == 200
        assert "immutable" in headers["Cache-Control"]
        assert get(f"{base}/readyz")[0] == 200
        workers = subprocess.run(
            ["pgrep", "-f", "manage.py qcluster", "-s", str(proc.pid)],
            capture_output=True,
            text=True,
        ).stdout.split()
        assert workers, "the worker is not running"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert proc.returncode == 0
    assert (tmp_path / "serve.sqlite3").stat().st_size > 0


def test_serve_refuses_an_unknown_process_type(tmp_path):
    result = subprocess.run(
        ["scripts/serve", "everything"],
        cwd=ROOT,
        env=production_env(tmp_path, free_port()),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "usage:" in result.stderr
