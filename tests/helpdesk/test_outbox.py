"""The outbox: background work survives a broker that refuses, and is handed over once.

The broker is real: a Redis client pointed at a closed port (refused at once) or at a
server that accepts and never answers, then django-q2's ORM broker standing for "Redis is
back", whose queue is run through django-q2's own worker and monitor as a cluster would.
"""

import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from multiprocessing import Value

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule, Task
from django_q.monitor import monitor
from django_q.queues import Queue
from django_q.signing import SignedPackage
from django_q.worker import worker

from helpdesk.models import Notification, OutboxTask
from helpdesk.notifications import notification_email_send, notification_send
from helpdesk.outbox import GRACE, outbox_breaker_reset, outbox_drain, outbox_enqueue
from helpdesk.settings.base import q_cluster_redis
from helpdesk.tasks import outbox_drain_task
from tests.email.conftest import eml
from tickets.email.intake import email_ingest
from tickets.email.models import EmailRecord
from tickets.email.tasks import email_reply_send
from tickets.models import Ticket
from tickets.services import ticket_reply_add

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
REPLY_TASK = "tickets.email.tasks.email_reply_send"
NOTIFY_TASK = "helpdesk.notifications.notification_email_send"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Broker:
    """Points django-q2 (its import-time Conf) at a broker for one test."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        monkeypatch.setattr(Conf, "SYNC", False)

    def redis(self, url: str) -> None:
        self.monkeypatch.setattr(Conf, "ORM", None)
        self.monkeypatch.setattr(Conf, "REDIS", q_cluster_redis(url))

    def refusing(self) -> str:
        url = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
        self.redis(url)
        return url

    def back(self) -> None:
        """The broker answers again (django-q2's ORM broker stands for it)."""
        self.monkeypatch.setattr(Conf, "ORM", "default")


@pytest.fixture
def broker(monkeypatch):
    yield Broker(monkeypatch)
    outbox_breaker_reset()


def run_queued_tasks() -> list[Task]:
    """What a qcluster does with the broker's queue: each task through django-q2's worker,
    its result saved by the monitor."""
    q2 = get_broker()
    tasks, results = Queue(), Queue()
    while batch := q2.dequeue():
        for ack_id, package in batch:
            # "sync": the worker keeps the test's database connection (a worker process
            # would refresh its own) and a failing task fails the test.
            tasks.put({**SignedPackage.loads(package), "ack_id": ack_id, "sync": True})
    tasks.put("STOP")
    worker(tasks, results, Value("f", -1))
    results.put("STOP")
    monitor(results, q2)
    return list(Task.objects.order_by("started"))


def queued() -> list[tuple[str, list]]:
    return [(q.task["func"], list(q.task["args"])) for q in OrmQ.objects.order_by("id")]


@pytest.fixture
def email_ticket(db):
    email_ingest(raw=eml("thread_new.eml"), now=NOW)
    return Ticket.objects.select_related("requester").get()


def reply(api_client, agent, ticket, body):
    return api_client(agent).post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"body": body, "public": True}, format="json"
    )


@pytest.mark.django_db
def test_the_work_exists_only_if_the_transaction_commits(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox_enqueue(func=NOTIFY_TASK, args=[[1]], now=NOW)
        raise RuntimeError("rolled back")

    assert OutboxTask.objects.count() == 0
    assert callbacks == []


@pytest.mark.django_db
def test_in_sync_mode_the_task_runs_on_commit_and_its_row_is_dispatched(
    customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notification_send(recipients=[customer], kind="k", text="Hi", now=NOW)

    row = OutboxTask.objects.get()
    assert (row.func, row.args, row.created_at) == (NOTIFY_TASK, [[notification.pk]], NOW)
    assert row.dispatched_at is not None
    assert [m.to for m in mail.outbox] == [["carla@example.com"]]


@pytest.mark.django_db
def test_a_refused_broker_leaves_replies_pending_and_the_drain_sends_them_once(
    broker, api_client, agent, email_ticket, django_capture_on_commit_callbacks
):
    url = broker.refusing()

    with django_capture_on_commit_callbacks(execute=True):
        first = reply(api_client, agent, email_ticket, "The courier has your parcel since May.")
    with django_capture_on_commit_callbacks(execute=True):
        second = reply(api_client, agent, email_ticket, "It reaches you on Friday by noon.")

    assert (first.status_code, second.status_code) == (201, 201)
    rows = list(OutboxTask.objects.filter(func=REPLY_TASK).order_by("id"))
    assert [(r.args, r.dispatched_at) for r in rows] == [
        ([first.json()["id"]], None),
        ([second.json()["id"]], None),
    ]
    port = url.rsplit(":", 1)[1].split("/")[0]
    assert rows[0].attempts == 1
    assert rows[0].last_error == (
        f"redis.exceptions.ConnectionError: Error 111 connecting to 127.0.0.1:{port}. "
        "Connection refused."
    )
    # The broker failed a moment ago: the next request does not wait on it again.
    assert (rows[1].attempts, rows[1].last_error) == (0, "")
    assert mail.outbox == []
    assert set(EmailRecord.objects.filter(direction="out").values_list("status", flat=True)) == {
        "queued"
    }

    # Redis is back: the worker's drain hands both over, the worker sends both, once.
    broker.back()
    later = timezone.now() + GRACE
    assert outbox_drain(now=later).dispatched == OutboxTask.objects.count()
    assert [func for func, _ in queued()].count(REPLY_TASK) == 2
    done = run_queued_tasks()
    assert all(task.success for task in done)
    assert sorted(m.body.split("\n")[0] for m in mail.outbox) == [
        "It reaches you on Friday by noon.",
        "The courier has your parcel since May.",
    ]
    assert outbox_drain(now=later).dispatched == 0
    assert run_queued_tasks() == done
    assert len(mail.outbox) == 2


class SilentServer:
    """A TCP server that accepts connections and never answers (a hung Redis)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.accepted.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.mark.django_db
def test_a_broker_that_never_answers_costs_a_bounded_wait_then_none(
    broker, customer, django_capture_on_commit_callbacks
):
    server = SilentServer()
    broker.redis(f"redis://127.0.0.1:{server.port}/0")
    try:
        began = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            notification_send(recipients=[customer], kind="k", text="Hi", now=NOW)
        first = time.monotonic() - began
        began = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            notification_send(recipients=[customer], kind="k", text="Again", now=NOW)
        second = time.monotonic() - began
    finally:
        server.close()

    # Two attempts of a 3-second read timeout, not redis-py's default ten retries without
    # any timeout; then the broker is left alone for a while.
    assert 5 < first < 9
    assert second < 0.5
    rows = list(OutboxTask.objects.order_by("id"))
    assert [(r.dispatched_at, r.attempts) for r in rows] == [(None, 1), (None, 0)]
    assert rows[0].last_error.startswith("redis.exceptions.TimeoutError")


@pytest.mark.django_db
def test_the_drain_goes_in_id_order_and_stops_at_the_first_refusal(broker, customer):
    rows = [outbox_enqueue(func=NOTIFY_TASK, args=[[i]], now=NOW) for i in range(3)]
    broker.refusing()  # the rows above are committed with the test; their hand-over is not run

    result = outbox_drain(now=NOW + GRACE)

    assert result.dispatched == 0
    assert result.error.startswith("redis.exceptions.ConnectionError")
    assert [(r.attempts, r.dispatched_at) for r in OutboxTask.objects.order_by("id")] == [
        (1, None),
        (0, None),
        (0, None),
    ]

    broker.back()
    assert outbox_drain(now=NOW + GRACE).dispatched == 3
    assert queued() == [(NOTIFY_TASK, [[0]]), (NOTIFY_TASK, [[1]]), (NOTIFY_TASK, [[2]])]
    assert not OutboxTask.objects.filter(pk__in=[r.pk for r in rows], dispatched_at=None)


@pytest.mark.django_db
def test_the_drain_leaves_a_row_in_its_grace_period_to_its_own_hand_over(broker):
    broker.back()
    outbox_enqueue(func=NOTIFY_TASK, args=[[1]], now=NOW)

    assert outbox_drain(now=NOW + GRACE - timedelta(seconds=1)).dispatched == 0
    assert outbox_drain(now=NOW + GRACE).dispatched == 1


@pytest.mark.django_db
def test_the_drain_works_in_batches_and_deletes_rows_dispatched_a_week_ago(broker):
    broker.back()
    for i in range(5):
        outbox_enqueue(func=NOTIFY_TASK, args=[[i]], now=NOW)

    assert outbox_drain(now=NOW + GRACE, batch_size=2, max_batches=2).dispatched == 4
    assert OutboxTask.objects.filter(dispatched_at=None).count() == 1
    OutboxTask.objects.exclude(dispatched_at=None).update(dispatched_at=NOW)
    outbox_enqueue(func=NOTIFY_TASK, args=[[9]], now=NOW)  # pending: never deleted

    result = outbox_drain(now=NOW + timedelta(days=7), batch_size=1, max_batches=1)
    assert (result.dispatched, result.purged) == (1, 0)
    result = outbox_drain(now=NOW + timedelta(days=7, seconds=1), batch_size=1, max_batches=1)
    assert (result.dispatched, result.purged) == (1, 4)
    assert list(OutboxTask.objects.values_list("args", flat=True).order_by("id")) == [[[4]], [[9]]]


@pytest.mark.django_db
def test_in_sync_mode_the_drain_runs_what_was_left_pending(customer):
    notification_send(recipients=[customer], kind="k", text="Hi", now=NOW)
    # No on-commit hand-over ran (the test's transaction never commits): the row is pending.

    assert outbox_drain_task() == {"dispatched": 1, "purged": 0, "error": ""}
    assert [m.to for m in mail.outbox] == [["carla@example.com"]]
    assert Notification.objects.get().emailed_at is not None
    assert outbox_drain_task()["dispatched"] == 0


@pytest.mark.django_db
def test_the_drain_runs_every_minute_in_the_worker():
    schedule = Schedule.objects.get(name="outbox-drain")

    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "helpdesk.tasks.outbox_drain_task",
        "I",
        1,
        -1,
    )


@pytest.mark.django_db
def test_readiness_tells_how_much_work_waits(client):
    outbox_enqueue(func=NOTIFY_TASK, args=[[1]], now=NOW)
    outbox_enqueue(func=NOTIFY_TASK, args=[[2]], now=NOW)
    OutboxTask.objects.filter(args=[[1]]).update(dispatched_at=NOW)

    ready = client.get("/readyz")

    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "outbox_pending": 1})


@pytest.mark.django_db
def test_the_admin_lists_pending_work_read_only(admin_client):
    waiting = outbox_enqueue(func="tickets.email.tasks.email_reply_send", args=[41], now=NOW)
    gone = outbox_enqueue(func="escalation.tasks.events_process_task", now=NOW)
    OutboxTask.objects.filter(pk=gone.pk).update(dispatched_at=NOW)

    page = admin_client.get("/admin/helpdesk/outboxtask/")
    detail = admin_client.get(f"/admin/helpdesk/outboxtask/{waiting.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "tickets.email.tasks.email_reply_send" in html
    assert "escalation.tasks.events_process_task" not in html
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get("/admin/helpdesk/outboxtask/add/").status_code == 403
    assert admin_client.post(f"/admin/helpdesk/outboxtask/{waiting.pk}/delete/").status_code == 403


def test_redis_options_fail_fast_and_keep_the_url_s_parts():
    options = q_cluster_redis("rediss://worker:s%40cret@redis.internal:6380/2")
    retry = options.pop("retry")

    assert options == {
        "username": "worker",
        "password": "s@cret",
        "host": "redis.internal",
        "port": 6380,
        "db": 2,
        "ssl": True,
        "socket_connect_timeout": 1,
        "socket_timeout": 3,
    }
    assert retry.get_retries() == 1
    unix = q_cluster_redis("unix:///run/redis.sock?db=3")
    assert (unix["unix_socket_path"], unix["db"]) == ("/run/redis.sock", 3)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_drains_at_once_hand_each_row_over_once(broker):
    broker.refusing()  # each enqueue commits at once here: the outage leaves them pending
    rows = [outbox_enqueue(func=NOTIFY_TASK, args=[[i]], now=NOW) for i in range(150)]
    broker.back()
    other: dict = {}

    def second_drain():
        try:
            began = time.monotonic()
            other["result"] = outbox_drain(now=NOW + GRACE, batch_size=100)
            other["seconds"] = time.monotonic() - began
        finally:
            connections.close_all()

    with transaction.atomic():
        # The first drain's batch (rows 1-100) stays locked until this block ends.
        first = outbox_drain(now=NOW + GRACE, batch_size=100, max_batches=1)
        thread = threading.Thread(target=second_drain)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the second drain waited for the first one's locks"

    assert (first.dispatched, other["result"].dispatched) == (100, 50)
    assert other["seconds"] < 10
    handed = sorted(args[0][0] for _, args in queued())
    assert handed == list(range(150))
    assert not OutboxTask.objects.filter(pk__in=[r.pk for r in rows], dispatched_at=None)


class SecondRunBackend:
    """An e-mail backend that, while the first run's mail goes out, runs the same task a
    second time in another thread (another worker picking the same task up) and records
    what that run did."""

    task = None
    second: list = []
    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        if not SecondRunBackend.second:
            SecondRunBackend.second.append(None)
            thread = threading.Thread(target=self._second_run)
            thread.start()
            thread.join(timeout=30)
        SecondRunBackend.sent.extend(messages)
        return len(messages)

    @classmethod
    def _second_run(cls):
        try:
            cls.second[0] = cls.task()
        finally:
            connections.close_all()


@pytest.fixture
def second_run_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.SecondRunBackend"
    SecondRunBackend.second, SecondRunBackend.sent = [], []
    yield SecondRunBackend


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reply_sent_by_two_runs_at_once_goes_out_once(broker, second_run_backend, agent):
    broker.back()  # the reply's hand-over queues the task; the test runs it, twice at once
    email_ingest(raw=eml("thread_new.eml"), now=NOW)
    message = ticket_reply_add(
        ticket=Ticket.objects.get(), author=agent, body="On its way.", public=True, now=NOW
    )
    second_run_backend.task = lambda: email_reply_send(message.pk)

    assert email_reply_send(message.pk) == "sent to ana@example.ro"
    assert second_run_backend.second == ["being sent by another run"]
    assert len(second_run_backend.sent) == 1
    assert email_reply_send(message.pk) == "already sent"
    assert EmailRecord.objects.get(direction="out").attempts == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_notification_mailed_by_two_runs_at_once_goes_out_once(second_run_backend, customer):
    (notification,) = notification_send(
        recipients=[customer], kind="k", text="Hi", now=NOW, email=False
    )
    second_run_backend.task = lambda: notification_email_send([notification.pk])

    assert notification_email_send([notification.pk]) == 1
    assert second_run_backend.second == [0]
    assert len(second_run_backend.sent) == 1
    assert notification_email_send([notification.pk]) == 0
