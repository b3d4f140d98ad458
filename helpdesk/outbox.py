"""Background work that survives a broker outage: a transactional outbox for django-q2.

`outbox_enqueue` records the task (a dotted function path and JSON arguments) in the
caller's transaction, so the work exists exactly when the change that asked for it commits.
After commit it is handed to django-q2 (`async_task`) and marked dispatched. When the broker
refuses or times out (Redis stopped, unreachable), the failure is logged, the row stays
pending and the request that committed still succeeds; for a short while afterwards this
process does not even try (`BREAKER_SECONDS`), so a dead broker costs one request a timeout,
not every request.

`outbox_drain` (the worker's "outbox-drain" schedule, every minute) hands the pending rows
over in id order, in batches locked with `SELECT ... FOR UPDATE SKIP LOCKED` so that two
drains never hand over the same row, and deletes rows dispatched more than `KEEP` ago. While
Redis is down the django-q2 scheduler cannot enqueue the drain either; its next run after
Redis returns (its schedule's `next_run` is not advanced by a failed enqueue) catches up.

Delivery is at least once: a task pushed to Redis by a process that dies before marking its
row is pushed again by the drain, so every task carried here must be safe to run twice
(e-mail sends lock their record and skip what went out; escalation claims each event once).
With the ORM broker the task and the mark are written by the same database, and with
`Q_CLUSTER["sync"]` (tests) the task runs inline at once, as `async_task` does there.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.conf import Conf
from django_q.tasks import async_task as q2_async_task

from .models import OutboxTask

log = logging.getLogger(__name__)

BATCH_SIZE = 100
MAX_BATCHES = 50
# A row younger than this may still be in its committing process's hand-over (at most two
# attempts of the broker's timeouts: a few seconds); the drain leaves it alone so that the
# two do not both push it.
GRACE = timedelta(seconds=10)
KEEP = timedelta(days=7)
PURGE_BATCH = 5000
BREAKER_SECONDS = 30.0
ERROR_MAX = 2000

_broker_down_until = 0.0


_brokers: dict[tuple, Broker] = {}


def process_broker() -> Broker:
    """One broker, so one Redis connection pool, per process and broker configuration:
    django-q2's `async_task` otherwise builds a new client and opens a new connection for
    every task (a TCP handshake per write request)."""
    key = (Conf.BROKER_CLASS, Conf.ORM, str(Conf.REDIS), Conf.DJANGO_REDIS, Conf.CLUSTER_NAME)
    broker = _brokers.get(key)
    if broker is None:
        broker = _brokers[key] = get_broker()
    return broker


def async_task(func: str, *args) -> str:
    return q2_async_task(func, *args, broker=process_broker())


def outbox_breaker_reset() -> None:
    """Forget a recent broker failure (tests; a process that knows the broker is back)."""
    global _broker_down_until
    _broker_down_until = 0.0


def _broker_failed() -> None:
    global _broker_down_until
    _broker_down_until = time.monotonic() + BREAKER_SECONDS


def _describe(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__name__}: {error}"[:ERROR_MAX]


def outbox_enqueue(*, func: str, args: list | None = None, now: datetime) -> OutboxTask:
    """Record `func(*args)` as background work of the current transaction; it is handed to
    the broker after commit (never if the transaction rolls back)."""
    task = OutboxTask.objects.create(func=func, args=list(args or []), created_at=now)
    transaction.on_commit(partial(_hand_over_committed, task.pk, func, task.args))
    return task


def _hand_over_committed(pk: int, func: str, args: list) -> None:
    if Conf.SYNC:
        # No broker: the task runs here and now, and its failure is the caller's to see, as
        # with a plain async_task in sync mode.
        if OutboxTask.objects.filter(pk=pk, dispatched_at=None).update(
            dispatched_at=timezone.now()
        ):
            async_task(func, *args)
        return
    if time.monotonic() < _broker_down_until:
        return  # the broker failed a moment ago: the drain hands this one over
    try:
        async_task(func, *args)
    except Exception as error:
        _broker_failed()
        log.warning("outbox: broker refused task %s (%s), left pending", pk, _describe(error))
        _record_failure(pk, error)
        return
    try:
        OutboxTask.objects.filter(pk=pk, dispatched_at=None).update(dispatched_at=timezone.now())
    except Exception:  # the task is queued; the row is pushed again later, harmlessly
        log.exception("outbox: task %s queued but not marked dispatched", pk)


def _record_failure(pk: int, error: BaseException) -> None:
    try:
        OutboxTask.objects.filter(pk=pk, dispatched_at=None).update(
            attempts=F("attempts") + 1, last_error=_describe(error)
        )
    except Exception:
        log.exception("outbox: could not record the failure of task %s", pk)


@dataclass(frozen=True)
class DrainResult:
    dispatched: int
    purged: int
    error: str = ""


def _drain_batch(*, now: datetime, batch_size: int) -> tuple[int, int, str]:
    """Hand over one batch of pending rows; (rows looked at, rows handed over, error)."""
    inline: list[OutboxTask] = []
    error = ""
    with transaction.atomic():
        rows = list(
            OutboxTask.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at=None, created_at__lte=now - GRACE)
            .order_by("id")[:batch_size]
        )
        sent: list[int] = []
        for row in rows:
            if Conf.SYNC:
                inline.append(row)
                continue
            try:
                async_task(row.func, *row.args)
            except Exception as failure:
                error = _describe(failure)
                log.warning("outbox drain: broker refused task %s (%s)", row.pk, error)
                OutboxTask.objects.filter(pk=row.pk).update(
                    attempts=F("attempts") + 1, last_error=error
                )
                break
            sent.append(row.pk)
        sent += [row.pk for row in inline]
        if sent:
            OutboxTask.objects.filter(pk__in=sent).update(dispatched_at=timezone.now())
    for row in inline:  # sync mode: run after the rows are marked, outside the lock
        try:
            async_task(row.func, *row.args)
        except Exception:
            log.exception("outbox drain: task %s (%s) failed inline", row.pk, row.func)
    return len(rows), len(sent), error


def outbox_drain(
    *,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    max_batches: int = MAX_BATCHES,
    keep: timedelta = KEEP,
) -> DrainResult:
    """Hand the pending rows to the broker, oldest first, until none is left, the broker
    fails (the rest wait for the next drain) or `max_batches` batches have gone; then delete
    rows dispatched more than `keep` ago."""
    dispatched = 0
    error = ""
    for _ in range(max_batches):
        looked_at, sent, error = _drain_batch(now=now, batch_size=batch_size)
        dispatched += sent
        if error or looked_at < batch_size:
            break
    return DrainResult(dispatched=dispatched, purged=outbox_purge(before=now - keep), error=error)


def outbox_purge(*, before: datetime, limit: int = PURGE_BATCH) -> int:
    """Delete at most `limit` rows dispatched before `before` (oldest first)."""
    old = OutboxTask.objects.filter(dispatched_at__lt=before).order_by("dispatched_at")
    deleted, _ = OutboxTask.objects.filter(pk__in=Subquery(old.values("pk")[:limit])).delete()
    return deleted


def outbox_pending_count() -> int:
    return OutboxTask.objects.filter(dispatched_at=None).count()
