"""CI check: the scheduled SLA sweep runs in a django-q2 cluster whose broker is Redis.

Run once from the repository root: ``.venv/bin/python scripts/check_redis_sweep.py``.

With REDIS_URL (default redis://127.0.0.1:6379/15; a local Redis is started if none answers)
and a throwaway SQLite database in a temporary directory, it migrates, opens one ticket whose
first_response clock is already past due, makes the "sla-sweep" schedule due, starts
``manage.py qcluster`` and waits (at most 90 s; django-q2's scheduler first looks at the
schedules about 30 s after the cluster starts) until the task the schedule created has
succeeded and the breach event exists. Then it stops the cluster (SIGTERM, SIGKILL after 15 s)
and prints a one-line verdict; the exit status is 0 only on success.

Proof that the broker is Redis, not the ORM fallback: under the cluster's own environment
``django_q.brokers.get_broker()`` is the Redis broker, and a Redis MONITOR connection must see,
in the configured Redis database, the cluster RPUSH the scheduled task onto its queue list and
BLPOP from it. (The queue is django-q2's "helpdesk" queue: two such checks sharing one Redis
database at the same moment could take each other's tasks.)
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
SWEEP_FUNC = "sla.tasks.sla_sweep_task"
WAIT_SECONDS = 90
POLL_SECONDS = 0.5
STOP_SECONDS = 15
# fmt: off
REDIS_SERVER = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]
# fmt: on


class CheckFailed(Exception):
    pass


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)


def ensure_redis() -> str:
    """Ping Redis; start the local server when nothing answers on 127.0.0.1:6379."""
    import redis

    try:
        redis_client().ping()
        return "already running"
    except redis.ConnectionError as error:
        parts = urlsplit(REDIS_URL)
        if (parts.hostname, parts.port or 6379) not in {("127.0.0.1", 6379), ("localhost", 6379)}:
            raise CheckFailed(f"Redis at {REDIS_URL} does not answer: {error}") from error
    if not shutil.which("redis-server"):
        raise CheckFailed("Redis does not answer on 127.0.0.1:6379 and redis-server is missing")
    for directory in ("/var/lib/redis", "/var/log/redis"):
        os.makedirs(directory, exist_ok=True)
    subprocess.run(REDIS_SERVER, check=True, capture_output=True, timeout=30)
    deadline = time.monotonic() + 10
    while True:
        try:
            redis_client().ping()
            return "started"
        except redis.ConnectionError as error:
            if time.monotonic() > deadline:
                raise CheckFailed(
                    f"started redis-server, but it does not answer: {error}"
                ) from error
            time.sleep(0.2)


class RedisMonitor(threading.Thread):
    """Records the commands other clients send to our Redis database (MONITOR)."""

    def __init__(self, db: int, key: str):
        super().__init__(daemon=True)
        self.db, self.key = db, key
        self.commands: set[str] = set()
        self.ready = threading.Event()
        self.stopping = False
        self.error: Exception | None = None
        self._monitor = None

    def run(self) -> None:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            with client.monitor() as monitor:
                self._monitor = monitor
                self.ready.set()
                for entry in monitor.listen():
                    words = entry["command"].split(" ", 2)
                    if entry["db"] == self.db and len(words) > 1 and words[1] == self.key:
                        self.commands.add(words[0].upper())
        except Exception as error:
            if not self.stopping:
                self.error = error
        finally:
            self.ready.set()

    def stop(self) -> None:
        self.stopping = True
        if self._monitor is not None:
            self._monitor.connection.disconnect()


def stop_cluster(process: subprocess.Popen) -> str:
    """SIGTERM the cluster (it stops its workers), SIGKILL the whole group if it lingers."""
    how = "already exited"
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
            how = "stopped by SIGTERM"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_SECONDS)
            how = "killed (SIGKILL) after SIGTERM timed out"
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # workers orphaned by a crash, if any
    return how


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run_check(workdir: Path) -> str:
    redis_state = ensure_redis()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "REDIS_URL": REDIS_URL,
        "Q_WORKERS": "1",
        "LOG_LEVEL": "INFO",
    }
    os.environ.update(env, LOG_LEVEL="WARNING")  # this process: the verdict line only
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone
    from django_q.brokers import get_broker
    from django_q.models import Schedule, Task

    from sla.models import Clock, Event
    from tickets.services import ticket_create

    broker = get_broker()
    broker_class = f"{type(broker).__module__}.{type(broker).__name__}"
    if type(broker).__name__ != "Redis":
        raise CheckFailed(f"django-q2 broker is {broker_class}, not Redis, with REDIS_URL set")
    queue_key = broker.list_key
    db = int(broker.connection.connection_pool.connection_kwargs.get("db", 0))

    call_command("migrate", verbosity=0)
    requester = get_user_model().objects.create_user(username="redis-check", password=None)
    opened = timezone.now() - timedelta(hours=5)
    ticket = ticket_create(requester=requester, subject="Redis check", body="Late?", now=opened)
    now = timezone.now()
    expected = Clock.objects.filter(ticket=ticket, state="running", due_at__lte=now).count()
    if expected == 0:
        raise CheckFailed("the ticket opened 5 hours ago has no running clock past due")
    if not Schedule.objects.filter(name="sla-sweep", func=SWEEP_FUNC).exists():
        raise CheckFailed(f'no "sla-sweep" schedule for {SWEEP_FUNC} after migrating')
    Schedule.objects.filter(name="sla-sweep").update(next_run=now - timedelta(seconds=1), task=None)

    monitor = RedisMonitor(db, queue_key)
    monitor.start()
    if not monitor.ready.wait(timeout=10) or monitor.error:
        raise CheckFailed(f"cannot MONITOR Redis at {REDIS_URL}: {monitor.error or 'timeout'}")
    log_path = workdir / "qcluster.log"
    began = time.monotonic()
    with log_path.open("w") as log:
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that stop_cluster reaches all
        )
    try:
        while True:
            elapsed = time.monotonic() - began
            task_id = Schedule.objects.get(name="sla-sweep").task
            task = Task.objects.filter(id=task_id, func=SWEEP_FUNC).first() if task_id else None
            breaches = Event.objects.filter(ticket=ticket, kind="breach").count()
            if task is not None and not task.success:
                raise CheckFailed(f"the scheduled sweep failed: {task.result}")
            if task is not None and breaches >= expected:
                break
            if cluster.poll() is not None:
                raise CheckFailed(
                    f"qcluster exited with status {cluster.returncode}:\n{tail(log_path)}"
                )
            if elapsed > WAIT_SECONDS:
                raise CheckFailed(
                    f"after {WAIT_SECONDS} s: schedule task {task_id or 'not created'}, "
                    f"{breaches}/{expected} breach events\n{tail(log_path)}"
                )
            time.sleep(POLL_SECONDS)
    finally:
        stopped = stop_cluster(cluster)
        monitor.stop()
    monitor.join(timeout=5)
    if breaches != expected:
        raise CheckFailed(f"{breaches} breach events, expected {expected}")
    missing = {"RPUSH", "BLPOP"} - monitor.commands
    if missing:
        raise CheckFailed(
            f"Redis MONITOR saw no {'/'.join(sorted(missing))} on {queue_key} in db {db} "
            f"(saw {sorted(monitor.commands) or 'nothing'}"
            f"{f', monitor error: {monitor.error}' if monitor.error else ''}): "
            "the task did not go through Redis"
        )
    return (
        f"redis sweep check: OK — scheduled sla_sweep ran through Redis in {elapsed:.1f} s, "
        f"{breaches} breach{'es' if breaches != 1 else ''} recorded (task {task.name}, "
        f"broker {broker_class}; "
        f"MONITOR saw RPUSH/BLPOP on {queue_key} in db {db}; Redis {redis_state}; "
        f"cluster {stopped})"
    )


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="check-redis-sweep-"))
    try:
        print(run_check(workdir), flush=True)
    except BaseException as error:
        kept = f" (files kept in {workdir})" if any(workdir.iterdir()) else ""
        if not kept:
            shutil.rmtree(workdir, ignore_errors=True)
        reason = error if isinstance(error, CheckFailed) else f"{type(error).__name__}: {error}"
        print(f"redis sweep check: FAILED — {reason}{kept}", flush=True)
        if isinstance(error, CheckFailed):
            return 1
        raise
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
