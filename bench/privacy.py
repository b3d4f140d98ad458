"""Data protection at size: the export and the erasure of a customer with 10,000 tickets, and
the retention purge of 100,000 (or 1,000,000) closed tickets. PostgreSQL only.

Run from the repository root:

    .venv/bin/python bench/privacy.py [--n 100000] [--customer-tickets 10000]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/helpdesk_bench_privacy) names a
database this script owns: it is created if missing, migrated, and its tickets (with all that
hangs off them) are TRUNCATEd, then seeded in SQL (INSERT ... SELECT FROM generate_series):
`--n` closed support tickets untouched for three years, spread over 1,000 customers, and one
customer with `--customer-tickets` tickets (half open, half closed a week ago); every ticket
has a customer message, an agent reply and three SLA clocks (the open tickets' resolution
clock running). Then, each measured once with its SQL statements counted:

- export: the customer's JSON export streamed to the end (seconds, statements, MB written,
  the process's peak RSS so far: the export runs first, right after a seed that holds
  nothing in Python);
- erasure: `user_erase` of that customer (seconds, statements);
- retention: `retention_purge` of the `--n` old tickets in batches of 1,000 (seconds,
  batches, statements per batch), then the same again with nothing left to do.

One JSON line per measurement on stdout, progress on stderr. The script checks its results
(every old ticket purged once, the customer's tickets redacted) and exits non-zero if not.
"""

import argparse
import json
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sla_sweep import _column_values, django_setup, ensure_database, log

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_privacy"
CUSTOMERS = 1000


def seed(*, n: int, customer_tickets: int, now: datetime) -> None:
    from django.db import connection, transaction

    from helpdesk.models import User
    from sla.models import Clock
    from tickets.models import Message, Ticket

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Ticket._meta.db_table} RESTART IDENTITY CASCADE")
    User.objects.filter(username__startswith="bench-").delete()
    agent = User.objects.create_user(username="bench-agent", role=User.Role.AGENT)
    customers = User.objects.bulk_create(
        User(username=f"bench-customer-{i}", email=f"c{i}@example.com") for i in range(CUSTOMERS)
    )
    heavy = User.objects.create_user(
        username="bench-heavy", email="heavy@example.com", password="bench-pass-1"
    )
    first_customer = customers[0].pk
    total = n + customer_tickets
    old = now - timedelta(days=3 * 365)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL session_replication_role = replica")
        params: dict = {"now": now, "old": old, "n": n, "total": total}
        mine = "i > %(n)s"
        recent = f"CASE WHEN {mine} THEN %(now)s - interval '{{}} days' ELSE %(old)s END"
        columns, values = _column_values(
            Ticket,
            {
                "id": "i",
                "kind": "'support'",
                "subject": "'My order ' || i || ' never came'",
                "body": "'I am Jane Doe of 1 Main Street; order ' || i || ' never came.'",
                "status": f"CASE WHEN {mine} AND i %% 2 = 0 THEN 'open' ELSE 'closed' END",
                "priority": "'normal'",
                "requester_id": f"CASE WHEN {mine} THEN {heavy.pk} "
                f"ELSE {first_customer} + i %% {CUSTOMERS} END",
                "channel": "'web'",
                "created_at": recent.format(10),
                "updated_at": recent.format(7),
            },
            params,
        )
        cursor.execute(
            f"INSERT INTO {Ticket._meta.db_table} ({columns}) "
            f"SELECT {values} FROM generate_series(1::bigint, %(total)s) AS i",
            params,
        )
        columns, values = _column_values(
            Message,
            {
                "id": "(i - 1) * 2 + k",
                "ticket_id": "i",
                "author_id": f"CASE WHEN k = 1 THEN NULL ELSE {agent.pk} END",
                "body": "CASE WHEN k = 1 THEN 'Any news, Jane here?' "
                "ELSE 'Dear Jane Doe, we are looking into order ' || i END",
                "public": "true",
                "kind": "'reply'",
                "channel": "'web'",
                "created_at": "%(old)s",
            },
            params,
        )
        cursor.execute(
            f"INSERT INTO {Message._meta.db_table} ({columns}) SELECT {values} "
            "FROM generate_series(1::bigint, %(total)s) AS i CROSS JOIN (VALUES (1), (2)) m (k)",
            params,
        )
        cursor.execute(
            f"UPDATE {Message._meta.db_table} m SET author_id = t.requester_id "
            f"FROM {Ticket._meta.db_table} t WHERE m.ticket_id = t.id AND m.author_id IS NULL"
        )
        columns, values = _column_values(
            Clock,
            {
                "id": "(i - 1) * 3 + k",
                "ticket_id": "i",
                "metric": "(ARRAY['first_response', 'answer', 'resolution'])[k]",
                "cycle": "1",
                "target_minutes": "1440",
                "state": f"CASE WHEN {mine} AND i %% 2 = 0 AND k = 3 THEN 'running' "
                "ELSE 'stopped' END",
                "breached": "false",
                "started_at": "%(old)s",
                "due_at": "%(old)s + interval '1 day'",
                "warn_at": "%(old)s + interval '18 hours'",
                "stopped_at": f"CASE WHEN {mine} AND i %% 2 = 0 AND k = 3 THEN NULL "
                "ELSE %(old)s + interval '1 hour' END",
            },
            params,
        )
        cursor.execute(
            f"INSERT INTO {Clock._meta.db_table} ({columns}) SELECT {values} "
            "FROM generate_series(1::bigint, %(total)s) AS i "
            "CROSS JOIN (VALUES (1), (2), (3)) c (k)",
            params,
        )
        for model in (Ticket, Message, Clock):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{model._meta.db_table}', 'id'), "
                f"(SELECT max(id) FROM {model._meta.db_table}))"
            )
    with connection.cursor() as cursor:
        for model in (Ticket, Message, Clock):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    log(f"seeded {total} tickets in {time.perf_counter() - began:.1f} s")


def measured(name: str, call, **extra) -> tuple[dict, object]:
    """Seconds and SQL statements of `call()` (counted, not kept: a run of 1,000 batches
    would otherwise hold every statement's text in memory)."""
    from django.db import connection

    counted = {"statements": 0}

    def count(execute, sql, params, many, context):
        if not sql.startswith(("SAVEPOINT", "RELEASE")):
            counted["statements"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        began = time.perf_counter()
        value = call()
        seconds = time.perf_counter() - began
    line = {
        "bench": "privacy",
        "what": name,
        "seconds": round(seconds, 3),
        "statements": counted["statements"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **extra,
    }
    return line, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--customer-tickets", type=int, default=10_000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    import os

    url = args.url or os.environ.get("DATABASE_URL", DEFAULT_URL)
    # As in production: with DEBUG on, Django would keep the last 9,000 statements' text.
    os.environ.setdefault("DEBUG", "0")
    ensure_database(url)
    django_setup(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from helpdesk.models import User
    from tickets.models import Ticket
    from tickets.privacy import user_erase
    from tickets.privacy_selectors import user_export
    from tickets.redaction import REDACTED
    from tickets.retention import retention_purge

    now = datetime.now(UTC)
    seed(n=args.n, customer_tickets=args.customer_tickets, now=now)
    heavy = User.objects.get(username="bench-heavy")
    ok = True

    def export() -> int:
        return sum(len(chunk) for chunk in user_export(user=heavy, now=now))

    line, size = measured("export", export, tickets=args.customer_tickets)
    line["mb"] = round(size / 2**20, 1)
    print(json.dumps(line), flush=True)

    line, erasure = measured(
        "erasure", lambda: user_erase(user=heavy, now=now), tickets=args.customer_tickets
    )
    print(json.dumps(line), flush=True)
    redacted = Ticket.objects.filter(requester=heavy, subject=REDACTED).count()
    ok &= redacted == args.customer_tickets == erasure.counts["tickets"]

    line, result = measured("retention", lambda: retention_purge(now=now), tickets=args.n)
    line["batches"] = result.batches
    line["tickets_per_second"] = round(result.tickets / line["seconds"])
    print(json.dumps(line), flush=True)
    ok &= result.tickets == args.n
    line, again = measured("retention_again", lambda: retention_purge(now=now), tickets=args.n)
    print(json.dumps(line), flush=True)
    ok &= again.tickets == 0
    ok &= Ticket.objects.filter(purged_at__isnull=True).count() == 0
    if not ok:
        log("CHECK FAILED: not every ticket was purged exactly once")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
