"""Fault drill: the worker is SIGKILLed in the middle of the SLA sweep, then in the middle of
escalating its events; restarted each time, it finishes with nothing lost and nothing twice.

    .venv/bin/python scripts/fault_worker_kill.py [--tickets 50000] [--watched 1000]

The database `helpdesk_fault_kill` is the drill's own (created, migrated, dropped at the end).
It holds `--tickets` open tickets whose running clock is past due, seeded in SQL by
bench/sla_sweep.py's seed, so that one sweep has that many breaches to record and takes long
enough to be caught. The default escalation rules are narrowed to the queue "watched", which
holds the first `--watched` tickets: their breaches go through the full default rule (the
managers notified in the app, an internal note on the ticket), the others' are escalated with
no action, which keeps escalating every event affordable; two managers and an agent exist.
The worker is `manage.py qcluster` on django-q2's ORM broker (the database); the drill enqueues
the sweep task as the per-minute schedule does (the schedules themselves are pushed an hour
ahead, so that no other sweep runs meanwhile).

1. The sweep is killed: once pg_stat_activity shows the sweep's breach statement running,
   the worker's whole process group gets SIGKILL. When its database session has ended, there
   must be no partial state: no breach event and no clock flagged (the sweep's transaction
   rolled back), and it must not have finished before the kill.
2. A new worker sweeps again (all the breaches recorded: exactly one event per late clock),
   then escalates; once a share (`--kill-at`) of the events are escalated, it is killed
   again. Each escalation commits with its actions, so every escalation recorded so far
   must have all of its actions (notes, notifications) and no action may exist without one.
3. A third worker, given the next sweep, escalates the rest.

Verdict: every past-due clock has exactly one breach event and is flagged; every event has
exactly one escalation; the watched events' rule acted once each (one internal note per
ticket, one in-app notification per manager and ticket); the others' escalations have no
action; nothing waits in the outbox. Figures: how long the killed sweep had run, how many
events were escalated at the second kill, how long each recovery took. One JSON line on
stdout, progress on stderr; exit status 0 only when every point holds. The worker and the
database are removed on exit, failure included.
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts._faults import (
    PYTHON,
    Processes,
    database_create,
    django_setup,
    drill_main,
    log,
    wait_until,
)

DATABASE = "helpdesk_fault_kill"
SWEEP_TASK = "sla.tasks.sla_sweep_task"
SWEEP_STATEMENT = "SET breached = true"  # the sweep's breach UPDATE (sla/sweep.py)
MANAGERS = 2


class Drill:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.procs = Processes("helpdesk-fault-kill-")
        self.failures: list[str] = []
        self.figures: dict = {"tickets": options.tickets, "watched": options.watched}

    # --- set-up -----------------------------------------------------------------------------

    def prepare(self, url: str) -> None:
        from django.core.management import call_command
        from django.db import connection
        from django_q.models import Schedule

        from bench.sla_sweep import seed
        from escalation.models import Rule
        from helpdesk.models import User
        from tickets.models import Queue, Ticket

        call_command("migrate", verbosity=0)
        now = datetime.now(UTC).replace(microsecond=0)
        began = time.monotonic()
        seed(n=self.options.tickets, running=1, warn_percent=0, now=now, breach_every=1)
        self.figures["seed_seconds"] = round(time.monotonic() - began, 1)
        watched = Queue.objects.create(slug="watched", name="Watched")
        Ticket.objects.filter(pk__lte=self.options.watched).update(queue=watched)
        Rule.objects.update(queues=[watched.slug])
        for i in range(MANAGERS):
            User.objects.create_user(
                username=f"manager{i}", email=f"manager{i}@example.org", role=User.Role.MANAGER
            )
        User.objects.create_user(username="agent", email="agent@example.org", role="agent")
        Schedule.objects.update(next_run=now + timedelta(hours=1))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.own_pid = cursor.fetchone()[0]

    def worker_start(self, env: dict[str, str]) -> None:
        self.procs.start("worker", [PYTHON, "manage.py", "qcluster"], env)

    def enqueue_sweep(self) -> None:
        from django_q.tasks import async_task

        async_task(SWEEP_TASK)

    # --- observing --------------------------------------------------------------------------

    def scalar(self, sql: str) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    def counts(self) -> dict[str, int]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT
                  (SELECT count(*) FROM sla_event WHERE kind = 'breach'),
                  (SELECT count(DISTINCT clock_id) FROM sla_event WHERE kind = 'breach'),
                  (SELECT count(*) FROM sla_clock WHERE breached),
                  (SELECT count(*) FROM sla_clock
                   WHERE state = 'running' AND NOT breached AND due_at <= now()),
                  (SELECT count(*) FROM escalation_escalation),
                  (SELECT count(DISTINCT event_id) FROM escalation_escalation),
                  (SELECT count(*) FROM escalation_escalation WHERE rules <> '[]'::jsonb),
                  (SELECT count(*) FROM escalation_escalation e
                   JOIN tickets_ticket t ON t.id = e.ticket_id
                   WHERE e.rules <> '[]'::jsonb AND t.queue_id IS NULL),
                  (SELECT count(*) FROM tickets_message WHERE body LIKE 'Escalation —%'),
                  (SELECT count(DISTINCT ticket_id) FROM tickets_message
                   WHERE body LIKE 'Escalation —%'),
                  (SELECT count(*) FROM helpdesk_notification WHERE kind = 'escalation_breach'),
                  (SELECT count(*) FROM (SELECT DISTINCT user_id, ticket_id
                   FROM helpdesk_notification WHERE kind = 'escalation_breach') AS pairs),
                  (SELECT count(*) FROM sla_event ev WHERE NOT EXISTS
                   (SELECT 1 FROM escalation_escalation e WHERE e.event_id = ev.id)),
                  (SELECT count(*) FROM helpdesk_outboxtask WHERE dispatched_at IS NULL)
                """
            )
            row = cursor.fetchone()
        keys = [
            "breach_events", "clocks_with_event", "clocks_flagged", "late_clocks_unflagged",
            "escalations", "events_escalated", "escalations_acted",
            "acted_outside_watched", "notes", "tickets_with_note", "notifications",
            "notified_pairs", "events_waiting", "outbox_pending",
        ]  # fmt: skip
        return dict(zip(keys, row, strict=True))

    def sweep_running(self) -> float | None:
        """How long the sweep's transaction has run, once its breach statement has run for
        `--kill-after` seconds; None before."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT extract(epoch FROM clock_timestamp() - xact_start)::float "
                "FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid() AND query LIKE %s "
                "AND clock_timestamp() - query_start >= make_interval(secs => %s)",
                [f"%{SWEEP_STATEMENT}%", self.options.kill_after],
            )
            row = cursor.fetchone()
        return row[0] if row else None

    def sessions_ended(self) -> bool:
        """No database session left but this drill's own (the killed worker's are gone)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0] == 0

    def consistent(self, c: dict[str, int], *, when: str) -> None:
        """Each escalation commits with its actions: as many notes (one per ticket) and
        notifications (one per manager and ticket) as acted escalations, none elsewhere."""
        acted = c["escalations_acted"]
        checks = {
            "one escalation per event": c["escalations"] == c["events_escalated"],
            "a note per acted escalation": c["notes"] == c["tickets_with_note"] == acted,
            "the managers notified per acted escalation": (
                c["notifications"] == c["notified_pairs"] == acted * MANAGERS
            ),
            "no action outside the watched queue": c["acted_outside_watched"] == 0,
        }
        for point, ok in checks.items():
            if not ok:
                self.failures.append(f"{when}: not {point}: {c}")

    # --- the drill --------------------------------------------------------------------------

    def run(self) -> None:
        options = self.options
        n = options.tickets
        url = database_create(DATABASE)
        django_setup(url)
        log(f"fault: migrating and seeding {n} late clocks")
        self.prepare(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base",
            "Q_WORKERS": "2",
            "LOG_LEVEL": "INFO",
        }
        env.pop("REDIS_URL", None)

        # 1. Kill the worker in the middle of the sweep.
        self.worker_start(env)
        self.enqueue_sweep()
        ran, _ = wait_until(self.sweep_running, seconds=120, every=0.005)
        if not ran:
            raise RuntimeError(
                "the sweep was never seen running long enough:\n" + self.procs.log_tail("worker")
            )
        self.procs.kill("worker")
        log(f"fault: worker killed {ran:.2f} s into the sweep")
        self.figures["sweep_killed_after_seconds"] = round(ran, 2)
        ended, seconds = wait_until(self.sessions_ended, seconds=180, every=0.1)
        self.figures["killed_sweep_session_ended_seconds"] = round(seconds, 1)
        if not ended:
            raise RuntimeError("the killed sweep's database session did not end")
        after_kill = self.counts()
        self.figures["after_sweep_kill"] = {
            k: after_kill[k] for k in ("breach_events", "clocks_flagged")
        }
        if (after_kill["breach_events"], after_kill["clocks_flagged"]) == (n, n):
            self.failures.append("the sweep finished before the kill: seed more --tickets")
        elif after_kill["breach_events"] or after_kill["clocks_flagged"]:
            self.failures.append(f"partial sweep after the kill: {after_kill}")

        # 2. Restart: the next sweep records every breach; kill it again mid-escalation.
        began = time.monotonic()
        self.worker_start(env)
        self.enqueue_sweep()
        swept, seconds = wait_until(
            lambda: self.scalar("SELECT count(*) FROM sla_event") == n, seconds=300, every=0.2
        )
        self.figures["sweep_recovery_seconds"] = round(seconds, 1)
        if not swept:
            raise RuntimeError(f"the sweep did not recover: {self.counts()}")
        target = max(1, int(n * options.kill_at))
        reached, _ = wait_until(
            lambda: self.scalar("SELECT count(*) FROM escalation_escalation") >= target,
            seconds=600,
            every=0.1,
        )
        if not reached:
            raise RuntimeError(f"escalation did not progress: {self.counts()}")
        self.procs.kill("worker")
        wait_until(self.sessions_ended, seconds=60, every=0.1)
        at_kill = self.counts()
        log(f"fault: worker killed with {at_kill['escalations']} of {n} events escalated")
        self.figures["escalations_at_kill"] = at_kill["escalations"]
        if at_kill["escalations"] >= n:
            self.failures.append("escalation finished before the kill: seed more --tickets")
        self.consistent(at_kill, when="after the kill during escalation")

        # 3. Restart: the next sweep hands the rest over; everything is escalated once.
        self.worker_start(env)
        self.enqueue_sweep()
        done, seconds = wait_until(
            lambda: (
                self.scalar("SELECT count(*) FROM escalation_escalation") == n
                and self.scalar(
                    "SELECT count(*) FROM helpdesk_outboxtask WHERE dispatched_at IS NULL"
                )
                == 0
            ),
            seconds=900,
            every=0.5,
        )
        self.figures["escalation_recovery_seconds"] = round(seconds, 1)
        self.figures["total_recovery_seconds"] = round(time.monotonic() - began, 1)
        final = self.counts()
        self.figures["final"] = final
        if not done:
            self.failures.append(f"escalation did not finish: {final}")
        self.consistent(final, when="at the end")
        expected = {
            "breach_events": n,
            "clocks_with_event": n,
            "clocks_flagged": n,
            "late_clocks_unflagged": 0,
            "escalations": n,
            "events_escalated": n,
            "escalations_acted": options.watched,
            "events_waiting": 0,
            "outbox_pending": 0,
        }
        wrong = {k: (final[k], v) for k, v in expected.items() if final[k] != v}
        if wrong:
            self.failures.append(f"final counts (found, expected): {wrong}")
        if not self.procs.alive("worker"):
            self.failures.append("the restarted worker exited:\n" + self.procs.log_tail("worker"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000, help="late clocks to sweep")
    parser.add_argument("--watched", type=int, default=1000, help="of them, escalated with actions")
    parser.add_argument(
        "--kill-after",
        type=float,
        default=0.5,
        help="seconds the sweep's breach statement runs before the first kill",
    )
    parser.add_argument(
        "--kill-at", type=float, default=0.3, help="share escalated at the second kill"
    )
    options = parser.parse_args(argv)
    if not 0 < options.watched <= options.tickets or not 0 < options.kill_at < 1:
        parser.error("need 0 < --watched <= --tickets and 0 < --kill-at < 1")
    return drill_main(Drill(options), check="fault_worker_kill", database=DATABASE)


if __name__ == "__main__":
    sys.exit(main())
