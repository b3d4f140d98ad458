"""What the fault drills (scripts/fault_*.py) share: their own database, processes started in
their own process groups (so that one signal reaches a process and all its children, and
nothing outlives the drill), a small HTTP client and bounded polling.

Never the shared services: each drill creates and drops its own database on the machine's
PostgreSQL and starts its own redis-server on a free port.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_claims: dict = {}


def database_create(name: str) -> str:
    """A fresh database (a leftover of a killed run is dropped first); its URL. The drill
    holds an advisory lock on the name meanwhile: a second run of the same drill stops at
    once instead of dropping the first one's database."""
    import psycopg

    claim = psycopg.connect(ADMIN_URL, autocommit=True)
    if not claim.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [name]).fetchone()[0]:
        claim.close()
        raise RuntimeError(f"another run of this drill is using the database {name}")
    _claims[name] = claim
    claim.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    claim.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def database_drop(name: str) -> None:
    """Drop the drill's database, if this run created it."""
    claim = _claims.pop(name, None)
    if claim is None:
        return
    with claim:
        claim.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_setup(url: str) -> None:
    """This process's own Django, on the drill's database (for set-up and checks only)."""
    os.environ.update(
        DATABASE_URL=url, DJANGO_SETTINGS_MODULE="helpdesk.settings.base", LOG_LEVEL="WARNING"
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def wait_until(check: Callable[[], object], *, seconds: float, every: float = 0.2):
    """Call `check` until it returns something true or `seconds` pass; (value, elapsed)."""
    began = time.monotonic()
    while True:
        value = check()
        elapsed = time.monotonic() - began
        if value or elapsed > seconds:
            return value, elapsed
        time.sleep(every)


class Processes:
    """Named processes, each in its own session and process group, logging to a file."""

    def __init__(self, prefix: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=prefix))
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        self.stop(name)
        with (self.dir / f"{name}.log").open("ab") as out:
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.procs[name] = proc
        return proc

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def kill(self, name: str) -> None:
        """SIGKILL to the whole process group: the process and every child it forked."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        wait_until(lambda: not self.group_alive(proc.pid), seconds=10, every=0.05)

    @staticmethod
    def group_alive(pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self, name: str, *, grace: float = 15) -> None:
        """SIGTERM to the group, SIGKILL to what is left after `grace` seconds."""
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # and children a crash orphaned
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    def stop_all(self, *, grace: float = 5) -> None:
        """Stop every process at once: SIGTERM to all the groups, then as `stop` does."""
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name in list(self.procs):
            self.stop(name, grace=max(0.1, deadline - time.monotonic()))

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.dir / f"{name}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Http:
    """A tiny client for the helpdesk behind a TLS proxy (it sends X-Forwarded-Proto)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str = "",
        data: object = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[int, object]:
        """(status, decoded JSON or text); a refused connection is status 0."""
        all_headers = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
        if token:
            all_headers["Authorization"] = f"Token {token}"
        body = raw
        if data is not None:
            body = json.dumps(data).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            return 0, str(error)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def up(self) -> bool:
        return self.request("GET", "/healthz", timeout=2)[0] == 200


def drill_main(drill, *, check: str, database: str, keep_logs: bool = False) -> int:
    """Run `drill` (with `run()`, `procs`, `figures` and `failures`), clean up whatever
    happens (its processes, its database), print the one-line verdict; the exit status."""
    began = time.monotonic()
    try:
        drill.run()
    except BaseException as error:  # reported, then cleaned up below
        drill.failures.append(f"{type(error).__name__}: {error}")
    finally:
        drill.procs.stop_all()
        with contextlib.suppress(Exception):  # unless Django was never set up
            from django.db import connections

            connections.close_all()
        try:
            database_drop(database)
        except Exception as error:
            drill.failures.append(f"could not drop {database}: {error}")
    ok = not drill.failures
    verdict = {"check": check, "ok": ok, "seconds": round(time.monotonic() - began, 1)}
    print(json.dumps({**verdict, **drill.figures, "failures": drill.failures}), flush=True)
    if ok and not keep_logs:
        shutil.rmtree(drill.procs.dir, ignore_errors=True)
    else:
        log(f"fault: logs kept in {drill.procs.dir}")
    return 0 if ok else 1
