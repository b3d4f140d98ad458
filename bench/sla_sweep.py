"""Seconds, SQL statements and peak memory of the SLA sweep at 100,000 and 1,000,000 tickets.

Run from the repository root (PostgreSQL only):

    .venv/bin/python bench/sla_sweep.py [--n 100000 1000000] [--running-clocks 1]
        [--warn-percent 5] [--sweep sla.sweep.sweep] [--explain]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/helpdesk_bench_sweep) names a
database this script owns: it is created if missing, migrated, and its tickets, clocks and
events are TRUNCATEd before each size. Each size is seeded in SQL (INSERT ... SELECT FROM
generate_series), VACUUM ANALYZEd and CHECKPOINTed, then swept three times, each sweep in a
fresh process so that its peak RSS is the sweep's own:

- cold: 10 % of the running clocks are past due at `now` (never swept), another 5 %
  (`--warn-percent`) have crossed their warning threshold but are not yet due; the rest are
  due in the future;
- steady: the next sweep, one second later, with nothing new;
- steady_again: the one after, to tell a one-off cost of the cold sweep's dead row
  versions (which the steady sweep may have to step over) from the per-minute cost.

One JSON line per sweep on stdout (seconds, SQL statements with each one's milliseconds,
peak RSS of the sweeping process, CPU seconds of its PostgreSQL backend); progress on
stderr. Every ticket has three clocks (first_response, answer, resolution);
`--running-clocks` says how many of them run (the others are stopped, as after a reply), so
the default 1 gives 100,000 breaches at 1,000,000 tickets and `--running-clocks 3` gives
300,000. After each sweep the script checks that exactly the expected breach and warning
events exist, one per clock, and exits non-zero if not. `--sweep` measures another sweep
function (a proposed one); `--explain` prints the EXPLAIN (ANALYZE, BUFFERS) of its slow
statements. Tickets' `sla_due_at` is left NULL: the sweep does not read it.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_sweep"
SIZES = [100_000, 1_000_000]
METRICS = [("first_response", 240), ("answer", 1440), ("resolution", 4320)]
BREACH_EVERY = 10  # one running clock in 10 (s % 10 == 0) is newly past due
WARN_PERCENTS = [0, 1, 2, 5, 10]  # newly past warning only, taken among s % 10 == 5
TARGETS = {"steady_seconds": 0.1, "cold_seconds": 10.0, "peak_rss_mb": 200.0}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log(f"created database {name}")


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings.base"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- seeding ------------------------------------------------------------------------------


def _column_values(model, explicit: dict[str, str], params: dict) -> tuple[str, str]:
    """Column list and SELECT expressions for every concrete column of `model`: `explicit`
    SQL where given, else the field's Python default (or NULL), so that a column another
    migration adds does not break the seed."""
    from django.db import connection

    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        columns.append(connection.ops.quote_name(field.column))
        if field.column in explicit:
            expressions.append(explicit[field.column])
        elif field.has_default():
            params[f"d_{field.column}"] = field.get_db_prep_save(field.get_default(), connection)
            expressions.append(f"%(d_{field.column})s")
        elif field.null:
            expressions.append("NULL")
        else:
            raise SystemExit(f"seed: no value for NOT NULL column {model.__name__}.{field.column}")
    return ", ".join(columns), ", ".join(expressions)


def seed(
    *, n: int, running: int, warn_percent: int, now: datetime, breach_every: int = BREACH_EVERY
) -> dict[str, int]:
    """N open tickets with three clocks each, in two INSERT ... SELECT statements; one running
    clock in `breach_every` is newly past due (scripts/fault_worker_kill.py makes them all)."""
    from django.db import connection, transaction

    from helpdesk.models import User
    from sla.models import Clock, Event, Policy
    from tickets.models import Ticket

    ticket_t, clock_t, event_t = (m._meta.db_table for m in (Ticket, Clock, Event))
    requester, _ = User.objects.get_or_create(
        username="bench-sweep", defaults={"role": User.Role.CUSTOMER}
    )
    policy = Policy.objects.order_by("-order").first()
    # Ticket i was opened `age` ago, within the last 30 days.
    age = "make_interval(secs => (i * 7919) %% (30 * 86400) + 3600)"
    # Clock k (0, 1, 2) of ticket i: the last `running` of the three run, and s numbers the
    # running clocks 0, 1, 2, ... so that 1 in `breach_every` (10) are past due (within the
    # hour before now) and another `warn_percent` % past their warning threshold only (due
    # 30-60 min after now). The rest warn 12 min or more after now; stopped clocks ended 10
    # minutes after they began.
    first_running = 3 - running
    s = f"((i - 1) * {running} + k - {first_running})"
    warn_every = 10 // warn_percent if warn_percent else 0
    warns = f"{s} %% 10 = 5 AND ({s} / 10) %% {warn_every} = 0" if warn_every else "false"
    secs = "(target * 60)"
    started = (
        f"CASE WHEN k < {first_running} THEN %(now)s - {age} "
        f"WHEN {s} %% {breach_every} = 0 "
        f"THEN %(now)s - make_interval(secs => ({s} * 7) %% 3600 + 1 + {secs}) "
        f"WHEN {warns} "
        f"THEN %(now)s - make_interval(secs => ({s} * 7) %% 1800 + 1 + 0.75 * {secs}) "
        f"ELSE %(now)s - make_interval(secs => ({s} * 13) %% (0.7 * {secs})::int) END"
    )
    metrics = ", ".join(
        f"({k}, '{metric}', {target})" for k, (metric, target) in enumerate(METRICS)
    )
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {event_t}, {clock_t}, {ticket_t} RESTART IDENTITY CASCADE")
        with transaction.atomic():
            cursor.execute("SET LOCAL synchronous_commit = off")
            # The seed's keys are consistent by construction: skip the per-row foreign key
            # triggers, which would otherwise cost more than the inserts themselves.
            cursor.execute("SET LOCAL session_replication_role = replica")
            params: dict = {"now": now, "n": n}
            columns, values = _column_values(
                Ticket,
                {
                    "id": "i",
                    "kind": "'support'",
                    "subject": "'Bench ticket ' || i",
                    "body": "'Where is my order ' || i || '?'",
                    "status": "'open'",
                    "priority": "'normal'",
                    "requester_id": str(requester.pk),
                    "channel": "'web'",
                    "created_at": f"%(now)s - {age}",
                    "updated_at": f"%(now)s - {age}",
                    "sla_due_at": "NULL",
                },
                params,
            )
            cursor.execute(
                f"INSERT INTO {ticket_t} ({columns}) "
                f"SELECT {values} FROM generate_series(1::bigint, %(n)s) AS i",
                params,
            )
            log(f"seed n={n}: {n} tickets in {time.perf_counter() - began:.1f} s")
            params = {"now": now, "n": n}
            columns, values = _column_values(
                Clock,
                {
                    "id": "(i - 1) * 3 + k + 1",
                    "ticket_id": "i",
                    "metric": "metric",
                    "cycle": "1",
                    "policy_id": str(policy.pk) if policy else "NULL",
                    "calendar_id": "NULL",
                    "target_minutes": "target",
                    "warn_percent": "75",
                    "state": f"CASE WHEN k < {first_running} THEN 'stopped' ELSE 'running' END",
                    "breached": "false",
                    "started_at": "started",
                    "due_at": f"started + make_interval(secs => {secs})",
                    "warn_at": f"started + make_interval(secs => 0.75 * {secs})",
                    "stopped_at": f"CASE WHEN k < {first_running} "
                    "THEN started + interval '10 minutes' END",
                    "breached_at": "NULL",
                    "warned_at": "NULL",
                    "paused_at": "NULL",
                },
                params,
            )
            cursor.execute(
                f"INSERT INTO {clock_t} ({columns}) SELECT {values} FROM ("
                f"  SELECT i, k, metric, target, {started} AS started"
                f"  FROM generate_series(1::bigint, %(n)s) AS i"
                f"  CROSS JOIN (VALUES {metrics}) AS m (k, metric, target)"
                f") AS c",
                params,
            )
            log(f"seed n={n}: {3 * n} clocks in {time.perf_counter() - began:.1f} s")
        for table in (ticket_t, clock_t):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        cursor.execute(f"VACUUM ANALYZE {ticket_t}, {clock_t}, {event_t}")
        # Write the seed's dirty pages now, so that no checkpoint runs during the sweeps.
        cursor.execute("CHECKPOINT")
    seconds = time.perf_counter() - began
    log(f"seed n={n}: vacuum analyze and checkpoint done, {seconds:.1f} s in all")
    total_running = n * running
    return {
        "breaches": (total_running + breach_every - 1) // breach_every,
        "warnings": -(-((total_running + 4) // 10) // warn_every) if warn_every else 0,
        "seed_seconds": round(seconds, 1),
    }


def sweep_counts(now: datetime) -> dict[str, int]:
    """Events and flags after a sweep, and clocks with more than one event of a kind."""
    from django.db import connection

    from sla.models import Clock, Event

    clock_t, event_t = Clock._meta.db_table, Event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT
              (SELECT count(*) FROM {event_t} WHERE kind = 'breach'),
              (SELECT count(*) FROM {event_t} WHERE kind = 'warning'),
              (SELECT count(*) FROM {clock_t} WHERE breached),
              (SELECT count(*) FROM {clock_t} WHERE warned_at IS NOT NULL),
              (SELECT count(*) FROM (SELECT 1 FROM {event_t} GROUP BY clock_id, kind
                                     HAVING count(*) > 1) AS twice),
              (SELECT count(*) FROM {event_t} e JOIN {clock_t} c ON c.id = e.clock_id
               WHERE e.kind = 'breach' AND (NOT c.breached OR c.due_at > %s))
            """,
            [now],
        )
        row = cursor.fetchone()
    keys = [
        "breach_events",
        "warning_events",
        "breached_clocks",
        "warned_clocks",
        "clocks_with_two_events",
        "breach_events_on_wrong_clocks",
    ]
    return dict(zip(keys, row, strict=True))


# --- one sweep, in its own process ----------------------------------------------------------


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time of the PostgreSQL backend serving us (a local server only): unlike wall time,
    it hardly moves when other work shares the machine's two cores."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sweep_once(now: datetime, sweep_path: str, explain: bool) -> dict:
    """The sweep as the scheduled task runs it; prints seconds, statements and peak memory.
    With `explain`, PostgreSQL's auto_explain sends the EXPLAIN (ANALYZE, BUFFERS) of every
    statement over 20 ms to stderr (and the seconds include its overhead)."""
    import tracemalloc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils.module_loading import import_string

    sweep = import_string(sweep_path)
    connection.ensure_connection()
    if explain:
        connection.connection.add_notice_handler(
            lambda diag: print(diag.message_primary, file=sys.stderr, flush=True)
        )
        with connection.cursor() as cursor:
            cursor.execute("LOAD 'auto_explain'")
            for setting, value in [
                ("auto_explain.log_min_duration", "20"),
                ("auto_explain.log_analyze", "on"),
                ("auto_explain.log_buffers", "on"),
                ("client_min_messages", "log"),
            ]:
                cursor.execute("SELECT set_config(%s, %s, false)", [setting, value])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    backend_cpu = backend_cpu_seconds(backend)
    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        result = sweep(now=now)
        seconds = time.perf_counter() - began
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if backend_cpu is not None:
        backend_cpu = round(backend_cpu_seconds(backend) - backend_cpu, 2)
    return {
        "seconds": round(seconds, 4),
        "statements": len(queries.captured_queries),
        "statement_ms": [round(float(q["time"]) * 1000, 1) for q in queries.captured_queries],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python_peak_mb": round(python_peak / 2**20, 2),
        "backend_cpu_seconds": backend_cpu,
        "warnings": result.warnings,
        "breaches": result.breaches,
    }


def sweep_in_subprocess(url: str, now: datetime, sweep_path: str, explain: bool) -> dict:
    command = [sys.executable, __file__, "--sweep-only", "--now", now.isoformat()]
    command += ["--sweep", sweep_path] + (["--explain"] if explain else [])
    completed = subprocess.run(
        command,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=None if explain else subprocess.PIPE,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise SystemExit(f"sweep process failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=SIZES, help="ticket counts")
    parser.add_argument(
        "--running-clocks",
        type=int,
        choices=[1, 2, 3],
        default=1,
        help="how many of each ticket's three clocks run (default 1)",
    )
    parser.add_argument(
        "--sweep",
        default="sla.sweep.sweep",
        help="dotted path of the sweep function to measure (default sla.sweep.sweep)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN (ANALYZE, BUFFERS) of each sweep statement on stderr",
    )
    parser.add_argument(
        "--warn-percent",
        type=int,
        choices=WARN_PERCENTS,
        default=5,
        help="share of the running clocks newly past their warning threshold only (default 5)",
    )
    parser.add_argument("--sweep-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)

    if args.sweep_only:
        django_setup(url)
        print(json.dumps(sweep_once(datetime.fromisoformat(args.now), args.sweep, args.explain)))
        return 0

    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"bench/sla_sweep.py needs PostgreSQL, not {url}")
    ensure_database(url)
    django_setup(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    failures = []
    for n in args.n:
        now = datetime.now(UTC).replace(microsecond=0)
        expected = seed(n=n, running=args.running_clocks, warn_percent=args.warn_percent, now=now)
        phases = [
            ("cold", now),
            ("steady", now + timedelta(seconds=1)),
            ("steady_again", now + timedelta(seconds=2)),
        ]
        for phase, at in phases:
            measured = sweep_in_subprocess(url, at, args.sweep, args.explain)
            counts = sweep_counts(now)
            new = (expected["breaches"], expected["warnings"]) if phase == "cold" else (0, 0)
            problems = []
            if (measured["breaches"], measured["warnings"]) != new:
                problems.append(
                    f"swept {measured['breaches']} breaches and "
                    f"{measured['warnings']} warnings, expected {new}"
                )
            if (counts["breach_events"], counts["breached_clocks"]) != (expected["breaches"],) * 2:
                problems.append(
                    f"{counts['breach_events']} breach events on "
                    f"{counts['breached_clocks']} breached clocks, "
                    f"expected {expected['breaches']}"
                )
            if (counts["warning_events"], counts["warned_clocks"]) != (expected["warnings"],) * 2:
                problems.append(
                    f"{counts['warning_events']} warning events on "
                    f"{counts['warned_clocks']} warned clocks, "
                    f"expected {expected['warnings']}"
                )
            if counts["clocks_with_two_events"] or counts["breach_events_on_wrong_clocks"]:
                problems.append(
                    f"{counts['clocks_with_two_events']} clocks with two events "
                    f"of a kind, {counts['breach_events_on_wrong_clocks']} breach "
                    "events on clocks not due"
                )
            seconds_target = TARGETS["cold_seconds" if phase == "cold" else "steady_seconds"]
            line = {
                "bench": "sla_sweep",
                "n": n,
                "running_clocks": n * args.running_clocks,
                "phase": phase,
                "newly_breached": measured["breaches"],
                "newly_warned": measured["warnings"],
                "seconds": measured["seconds"],
                "statements": measured["statements"],
                "statement_ms": measured["statement_ms"],
                "peak_rss_mb": measured["peak_rss_mb"],
                "python_peak_mb": measured["python_peak_mb"],
                "backend_cpu_seconds": measured["backend_cpu_seconds"],
                "verified": not problems,
                "target_seconds": seconds_target,
                "target_peak_rss_mb": TARGETS["peak_rss_mb"],
                "seed_seconds": expected["seed_seconds"],
            }
            print(json.dumps(line), flush=True)
            if problems:
                failures.append(f"n={n} {phase}: " + "; ".join(problems))
    for failure in failures:
        log(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
