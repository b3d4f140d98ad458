"""Milliseconds and SQL queries of the managers' dashboard at 100,000 tickets (PostgreSQL).

Run from the repository root:

    .venv/bin/python bench/dashboard.py [--n 100000] [--requests 30] [--reseed]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/helpdesk_bench_dashboard) names a
database this script owns. Seeding is bench/queue_page.py's (tickets, messages, SLA clocks
over the last 90 days); on top of it every agent's public reply gets a reply fingerprint
(one in six generic, one in twenty flagged "not answered") and every breached running clock
an escalation, so each dashboard figure has rows to read. Then, as a manager: 3 warm-ups and
`--requests` timed GETs of the page (30-day period), of its live section and of
GET /api/v1/sla/report/; one JSON line each with the median and p95 in ms and the SQL
queries of one more request.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.queue_page import django_setup, ensure_database, log, seed  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_dashboard"
WARMUPS = 3
TARGET_MEDIAN_MS = 300.0
ENDPOINTS = [
    ("dashboard", "/manager/dashboard/?days=30"),
    ("dashboard_live", "/manager/dashboard/live/"),
    ("sla_report", "/api/v1/sla/report/"),
]


def seed_extras(now) -> None:
    from django.db import connection

    from escalation.models import Escalation
    from helpdesk.models import User
    from sla.models import Clock, Event, ReplyFingerprint
    from tickets.models import Message

    began = time.perf_counter()
    User.objects.get_or_create(
        username="bench-manager", defaults={"role": User.Role.MANAGER, "is_staff": True}
    )
    fp, msg, user = ReplyFingerprint._meta.db_table, Message._meta.db_table, User._meta.db_table
    event, clock, esc = Event._meta.db_table, Clock._meta.db_table, Escalation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {fp}, {esc} CASCADE")
        cursor.execute(
            f"""
            INSERT INTO {fp} (message_id, ticket_id, author_id, sent_at, signature, shingle_count,
                              question_excerpt, generic, score, not_answered)
            SELECT m.id, m.ticket_id, m.author_id, m.created_at, '\\x00'::bytea, 10, '',
                   m.id % 6 = 0, 0.5, m.id % 20 = 0
            FROM {msg} m JOIN {user} u ON u.id = m.author_id
            WHERE m.public AND m.kind = 'reply' AND u.role IN ('agent', 'manager')
            """
        )
        fingerprints = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {event} (ticket_id, clock_id, kind, level, metric, subject_key,
                                 created_at, detail)
            SELECT ticket_id, id, 'breach', 1, metric, '', due_at, '{{}}' FROM {clock}
            WHERE breached ON CONFLICT DO NOTHING
            """
        )
        cursor.execute(
            f"""
            INSERT INTO {esc} (event_id, ticket_id, clock_id, "trigger", level, metric,
                               created_at, rules, actions)
            SELECT id, ticket_id, clock_id, kind, level, metric, created_at, '[]', '[]'
            FROM {event} ON CONFLICT DO NOTHING
            """
        )
        escalations = cursor.rowcount
        cursor.execute("VACUUM ANALYZE")
    log(
        f"seed extras: {fingerprints} fingerprints, {escalations} escalations in "
        f"{time.perf_counter() - began:.1f} s"
    )


def measure(*, n: int, requests: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from helpdesk.models import User

    client = Client()
    client.force_login(
        User.objects.get(username="bench-manager"),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    results = []
    for name, url in ENDPOINTS:
        for _ in range(WARMUPS):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        samples = []
        for _ in range(requests):
            began = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        median = statistics.median(samples)
        results.append(
            {
                "bench": "dashboard",
                "endpoint": name,
                "url": url,
                "n": n,
                "requests": requests,
                "median_ms": round(median, 1),
                "p95_ms": round(statistics.quantiles(samples, n=20, method="inclusive")[18], 1),
                "queries": len(captured),
                "sql_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000),
                "target_median_ms": TARGET_MEDIAN_MS,
                "ok": median < TARGET_MEDIAN_MS,
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "cpus": os.cpu_count(),
            }
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/dashboard.py measures PostgreSQL: set a postgres:// DATABASE_URL")
    ensure_database(url)
    django_setup(url)
    from django.core.management import call_command
    from django.utils import timezone

    from tickets.models import Ticket

    call_command("migrate", verbosity=0, interactive=False)
    now = timezone.now()
    if args.reseed or Ticket.objects.count() != args.n:
        seed(n=args.n, now=now)
        seed_extras(now)
    else:
        log(f"seed: {args.n} tickets already there; not reseeding (--reseed to force)")
    for line in measure(n=args.n, requests=args.requests):
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
