"""Milliseconds and SQL queries of the agent's list pages at 100,000 tickets (PostgreSQL).

Run from the repository root:

    .venv/bin/python bench/queue_page.py [--n 100000] [--requests 30] [--reseed]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/helpdesk_bench) names a database
this script owns: it is created if missing and migrated. Unless it already holds exactly N
tickets, its tickets (and everything hanging off them) are TRUNCATEd and N tickets are
seeded with COPY: support requests mostly, some questions, reviews and reports; 30 % open,
15 % pending, the rest solved or closed; most with a few messages; SLA clocks as the
services would leave them (running for open work, paused while pending, stopped once
answered or solved) and `sla_due_at` set from the running ones. Then VACUUM ANALYZE.

Each endpoint is requested through Django's test Client as an agent (force_login): 3
warm-ups, then `--requests` timed requests; one JSON line per endpoint on stdout with the
median and p95 in ms, and the number of SQL queries (and their time) of one more request.
Progress on stderr.
An endpoint whose URL is not there yet is reported as skipped, with a note.

DEBUG is off and CONN_MAX_AGE is 60 unless set: a production process keeps its database
connection, and the figure is the page's own cost, not a new connection's.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"
SEED = 20260301
WARMUPS = 3
TARGET_MEDIAN_MS = 50.0
AGENTS = 8
CUSTOMERS = 2_000
ENDPOINTS = [
    # (name for the JSON line, URL name or path, query string)
    ("agent_queue", "agent_queue", ""),
    ("agent_queue_all", "agent_queue", "status=all"),
    ("api_tickets", "/api/v1/tickets/", ""),
    ("api_tickets_due", "/api/v1/tickets/", "status=open&ordering=due_at"),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log(f"created database {name}")


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings.base"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("CONN_MAX_AGE", "60")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- seeding --------------------------------------------------------------------------------


def copy_rows(model, columns: list[str], rows) -> int:
    """COPY `rows` (tuples for `columns`) into `model`'s table; every other concrete column
    gets its field's default (or NULL), so a column added by a later migration does not
    break the seed."""
    from django.db import connection

    rest, tail = [], []
    for field in model._meta.concrete_fields:
        if field.column in columns or getattr(field, "db_returning", False):
            continue  # given, or the database's own (an auto-increment id)
        if field.has_default():
            value = field.get_default()
            if field.get_internal_type() == "JSONField":
                value = json.dumps(value)
            tail.append(value)
        elif field.null:
            tail.append(None)
        else:
            raise SystemExit(f"seed: no value for NOT NULL column {model.__name__}.{field.column}")
        rest.append(field.column)
    quoted = ", ".join(connection.ops.quote_name(c) for c in [*columns, *rest])
    tail = tuple(tail)
    count = 0
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row + tail)
                count += 1
    return count


def seed_users():
    from django.contrib.auth.hashers import make_password

    from helpdesk.models import User
    from tickets.models import Queue

    password = make_password(None)  # unusable: the bench logs in with force_login
    users = [
        User(username=f"bench-agent-{i}", role=User.Role.AGENT, password=password)
        for i in range(1, AGENTS + 1)
    ]
    users += [
        User(
            username=f"bench-customer-{i:04d}",
            email=f"customer{i}@bench.example",
            role=User.Role.CUSTOMER,
            password=password,
        )
        for i in range(1, CUSTOMERS + 1)
    ]
    User.objects.bulk_create(users, batch_size=5_000, ignore_conflicts=True)
    for slug, name in [("support", "General support"), ("billing", "Billing & orders")]:
        Queue.objects.get_or_create(slug=slug, defaults={"name": name})
    agents = list(
        User.objects.filter(username__startswith="bench-agent-").values_list("pk", flat=True)
    )
    customers = list(
        User.objects.filter(username__startswith="bench-customer-").values_list("pk", flat=True)
    )
    queues = list(Queue.objects.order_by("slug").values_list("pk", flat=True))
    return agents, customers, queues


def pick(rng: random.Random, weighted: list[tuple]):
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def seed(*, n: int, now: datetime) -> None:
    from django.db import connection, transaction

    from sla.models import Clock
    from tickets.models import Message, Product, Ticket

    began = time.perf_counter()
    agents, customers, queues = seed_users()
    product_ids = []
    for i in range(1, 9):
        product, _ = Product.objects.get_or_create(
            sku=f"bench-{i}", defaults={"name": f"Bench product {i}"}
        )
        product_ids.append(product.pk)

    rng = random.Random(SEED)
    tickets, messages, clocks = [], [], []
    day = timedelta(days=1)
    for i in range(1, n + 1):
        status = pick(rng, [("open", 30), ("pending", 15), ("solved", 25), ("closed", 30)])
        active = status in ("open", "pending")
        kind = pick(rng, [("support", 88), ("question", 4), ("review", 4), ("report", 4)])
        if active:
            created = now - rng.uniform(0.02, 14) * day
        elif status == "solved":
            created = now - rng.uniform(1, 60) * day
        else:
            created = now - rng.uniform(7, 365) * day
        requester = rng.choice(customers)
        assignee = rng.choice(agents) if (not active or rng.random() < 0.7) else None
        priority = pick(rng, [("low", 15), ("normal", 60), ("high", 20), ("urgent", 5)])
        queue = queues[0] if rng.random() < 0.7 else queues[1]
        channel = pick(rng, [("web", 70), ("email", 25), ("api", 5)])
        product = rating = moderation = outcome = None
        target_url = reason = ""
        if kind in ("question", "review"):
            product = rng.choice(product_ids)
            moderation = "pending" if active else pick(rng, [("published", 85), ("rejected", 15)])
            rating = rng.randint(1, 5) if kind == "review" else None
        elif kind == "report":
            target_url = f"https://shop.example.com/listing/{rng.randint(10_000, 99_999)}"
            reason = rng.choice(["copyright", "counterfeit", "prohibited", "fraud", "other"])
            outcome = None if active else pick(rng, [("upheld", 70), ("rejected", 30)])

        # The conversation: none yet for a fresh open ticket, else a few alternating replies.
        answered = not (status == "open" and rng.random() < 0.5)
        t = created
        count = 0 if not answered else rng.randint(1, 5)
        for j in range(count):
            t += timedelta(minutes=rng.uniform(5, 600))
            if t >= now:
                break
            by_agent = j % 2 == 0
            author = (assignee or agents[0]) if by_agent else requester
            body = "Thanks, that helped." if not by_agent else f"Reply {j} on ticket {i}."
            messages.append((i, author, body, True, "reply", "web", min(t, now)))
        updated = max(t, created)

        # SLA clocks, as the services leave them.
        due = None
        if kind == "support":
            spec = [("first_response", 240), ("answer", 1440), ("resolution", 4320)]
        elif kind == "report":
            spec = [("report_decision", 1440)]
        else:
            spec = [("moderation", 1440)]
        for metric, target in spec:
            due_at = created + timedelta(minutes=target)
            if metric == "resolution" or not answered:
                state = {"open": "running", "pending": "paused"}.get(status, "stopped")
            else:
                state = "stopped"
            if metric in ("moderation", "report_decision"):
                state = "running" if active else "stopped"
            stopped_at = None if state != "stopped" else min(updated, now)
            breached = state == "running" and due_at < now
            if state == "running":
                due = due_at if due is None else min(due, due_at)
            clocks.append(
                (
                    i,
                    metric,
                    1,
                    target,
                    75,
                    state,
                    breached,
                    created,
                    due_at,
                    created + timedelta(minutes=target * 0.75),
                    stopped_at,
                    due_at if breached else None,
                    updated if state == "paused" else None,
                )
            )
        tickets.append(
            (
                i,
                kind,
                f"Ticket {i}: order {rng.randint(10_000, 99_999)} question",
                "Where is my order? It has been a week and the tracking has not moved.",
                status,
                priority,
                queue,
                requester,
                assignee,
                channel,
                created,
                updated,
                product,
                rating,
                moderation,
                target_url,
                reason,
                outcome,
                due,
            )
        )
    log(f"seed: generated {n} tickets in {time.perf_counter() - began:.1f} s")

    with connection.cursor() as cursor:
        tables = ", ".join(
            connection.ops.quote_name(m._meta.db_table) for m in (Message, Clock, Ticket)
        )
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        # The keys are consistent by construction: skip the per-row foreign key triggers.
        cursor.execute("SET LOCAL session_replication_role = replica")
        copy_rows(
            Ticket,
            [
                "id",
                "kind",
                "subject",
                "body",
                "status",
                "priority",
                "queue_id",
                "requester_id",
                "assignee_id",
                "channel",
                "created_at",
                "updated_at",
                "product_id",
                "rating",
                "moderation",
                "target_url",
                "reason",
                "outcome",
                "sla_due_at",
            ],
            tickets,
        )
        copy_rows(
            Message,
            ["ticket_id", "author_id", "body", "public", "kind", "channel", "created_at"],
            messages,
        )
        copy_rows(
            Clock,
            [
                "ticket_id",
                "metric",
                "cycle",
                "target_minutes",
                "warn_percent",
                "state",
                "breached",
                "started_at",
                "due_at",
                "warn_at",
                "stopped_at",
                "breached_at",
                "paused_at",
            ],
            clocks,
        )
        table = Ticket._meta.db_table
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
    log(
        f"seed: {len(tickets)} tickets, {len(messages)} messages, {len(clocks)} clocks "
        f"in {time.perf_counter() - began:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"seed: done with VACUUM ANALYZE in {time.perf_counter() - began:.1f} s")


# --- measuring ------------------------------------------------------------------------------


def resolve_path(target: str) -> str | None:
    from django.urls import NoReverseMatch, Resolver404, resolve, reverse

    if target.startswith("/"):
        try:
            resolve(target)
        except Resolver404:
            return None
        return target
    try:
        return reverse(target)
    except NoReverseMatch:
        return None


def measure(*, n: int, requests: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from helpdesk.models import User

    agent = User.objects.get(username="bench-agent-1")
    client = Client()
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
    results = []
    for name, target, query in ENDPOINTS:
        line = {"bench": "queue_page", "endpoint": name, "n": n}
        path = resolve_path(target)
        if path is None:
            results.append({**line, "skipped": f"{target} is not routed yet"})
            continue
        url = f"{path}?{query}" if query else path
        line["url"] = url
        response = client.get(url)
        if response.status_code != 200:
            results.append({**line, "skipped": f"GET {url} answered {response.status_code}"})
            continue
        for _ in range(WARMUPS - 1):
            client.get(url)
        samples = []
        for _ in range(requests):
            began = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        median = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=20, method="inclusive")[18]
        results.append(
            {
                **line,
                "requests": requests,
                "median_ms": round(median, 1),
                "p95_ms": round(p95, 1),
                "queries": len(captured),
                # Database time of that one request, as the driver saw it: the rest is Python.
                "sql_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000),
                "bytes": len(response.content),
                "target_median_ms": TARGET_MEDIAN_MS,
                "ok": median < TARGET_MEDIAN_MS,
                # Other work on the machine inflates the figures: say how busy it was.
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "cpus": os.cpu_count(),
            }
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="tickets (default 100000)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per endpoint")
    parser.add_argument("--reseed", action="store_true", help="seed even if N tickets exist")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/queue_page.py measures PostgreSQL: set a postgres:// DATABASE_URL")
    ensure_database(url)
    django_setup(url)

    from django.core.management import call_command

    from tickets.models import Ticket

    call_command("migrate", verbosity=0, interactive=False)
    from django.utils import timezone

    now = timezone.now()
    if args.reseed or Ticket.objects.count() != args.n:
        seed(n=args.n, now=now)
    else:
        log(f"seed: {args.n} tickets already there; not reseeding (--reseed to force)")
    for line in measure(n=args.n, requests=args.requests):
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
