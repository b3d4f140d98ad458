"""Web CPU per request, per operation of bench/load.py's mix, in one process: steadier than
the load run for telling whether a change made requests cheaper.

Run from the repository root, after bench/load.py has seeded its database:

    .venv/bin/python bench/request_cost.py [--reps 60] [--only OP[,OP]] [--profile DIR]

Each operation of bench/load.py's MIX goes through Django's whole middleware stack (the
test client, production settings: DEBUG off, PostgreSQL with server-side binding, Redis for
the cache and the broker) `--reps` times after a warm-up. Printed: one JSON line per
operation (CPU ms a request, queries a request), then the mix's weighted CPU ms a request
and how fast this machine ran Python (bench/load.py's python_speed), since the machines
here differ by more than 2x. `--profile DIR` writes a cProfile (CPU clock) per operation.
Not printed: database and worker CPU (bench/load.py measures those under load).
"""

import argparse
import cProfile
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402
    DEFAULT_URL,
    MIX,
    ROLE_SHARE,
    api_token,
    login_session,
    python_speed,
)

PAGES = {"agent_queue_page", "agent_ticket_page", "manager_agent_queue_page"}
PAGES |= {"manager_dashboard", "manager_dashboard_live"}


def setup(url: str) -> None:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="helpdesk.settings.production",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
        CONN_MAX_AGE="60",
        # Measured, not throttled: one user makes every request here.
        API_THROTTLE_CUSTOMER="1000000/min",
        API_THROTTLE_STAFF="1000000/min",
    )
    os.environ.setdefault("SECRET_KEY", "bench-request-cost-" + "x" * 40)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
    import django

    django.setup()


def operations(rng: random.Random) -> dict:
    """Each operation of the mix as one call of the test client, as bench/load.py makes it."""
    from django.test import Client

    from helpdesk.models import User
    from tickets.models import Ticket

    customer = User.objects.filter(username__startswith="bench-customer-").order_by("pk")[0]
    agent = User.objects.filter(username__startswith="bench-agent-").order_by("pk")[0]
    manager, _ = User.objects.get_or_create(
        username="bench-manager-1", defaults={"role": User.Role.MANAGER}
    )

    def token(user) -> dict:
        return {"HTTP_AUTHORIZATION": f"Token {api_token(user)}"}

    def browser(user) -> Client:
        client = Client(HTTP_X_FORWARDED_PROTO="https")
        client.cookies["sessionid"] = login_session(user)
        return client

    api = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_ACCEPT="application/json")
    as_customer, as_agent, as_manager = token(customer), token(agent), token(manager)
    agent_browser, manager_browser = browser(agent), browser(manager)
    own = list(
        Ticket.objects.filter(
            requester=customer, kind="support", status__in=["open", "pending", "solved"]
        ).values_list("pk", flat=True)[:20]
    )
    if not own:
        own = [Ticket.objects.create(requester=customer, subject="bench", body="bench").pk]
    open_ids = list(
        Ticket.objects.filter(kind="support", status__in=["open", "pending"])
        .order_by("-pk")
        .values_list("pk", flat=True)[:200]
    )
    count = iter(range(10**9))

    def post(path: str, body: dict, auth: dict):
        return api.post(path, body, content_type="application/json", **auth)

    def question() -> str:
        return f"My kettle and the invoice: the display shows refund {next(count)}."

    def answer() -> str:
        major, minor, minutes = rng.randint(1, 9), rng.randint(0, 99), rng.randint(2, 30)
        return (
            f"Thanks for the details about the kettle. The hinge needs firmware {major}.{minor}, "
            f"which fixes exactly this. Unplug it for {minutes} minutes."
        )

    return {
        "customer_open_ticket": lambda: post(
            "/api/v1/tickets/", {"subject": f"cost {next(count)}", "body": question()}, as_customer
        ),
        "customer_reply": lambda: post(
            f"/api/v1/tickets/{rng.choice(own)}/messages/",
            {"body": question(), "public": True},
            as_customer,
        ),
        "customer_list_tickets": lambda: api.get("/api/v1/tickets/", **as_customer),
        "customer_read_ticket": lambda: api.get(
            f"/api/v1/tickets/{rng.choice(own)}/", **as_customer
        ),
        "agent_list_queue_api": lambda: api.get(
            "/api/v1/tickets/?status=open&ordering=due_at", **as_agent
        ),
        "agent_read_ticket_api": lambda: api.get(
            f"/api/v1/tickets/{rng.choice(open_ids)}/", **as_agent
        ),
        "agent_read_messages_api": lambda: api.get(
            f"/api/v1/tickets/{rng.choice(open_ids)}/messages/", **as_agent
        ),
        "agent_reply": lambda: post(
            f"/api/v1/tickets/{rng.choice(open_ids)}/messages/",
            {"body": answer(), "public": True},
            as_agent,
        ),
        "agent_queue_page": lambda: agent_browser.get("/agent/"),
        "agent_ticket_page": lambda: agent_browser.get(f"/agent/tickets/{rng.choice(open_ids)}/"),
        "manager_dashboard": lambda: manager_browser.get("/manager/dashboard/"),
        "manager_dashboard_live": lambda: manager_browser.get("/manager/dashboard/live/"),
        "manager_escalations_api": lambda: api.get("/api/v1/escalations/", **as_manager),
        "manager_agent_queue_page": lambda: manager_browser.get("/agent/"),
    }


def mix_shares() -> dict[str, float]:
    """Each operation's share of all requests in bench/load.py's mix."""
    shares: dict[str, float] = {}
    for role, ops in MIX.items():
        total = sum(weight for _, weight in ops)
        for op, weight in ops:
            shares[op] = shares.get(op, 0.0) + ROLE_SHARE[role] * weight / total
    return shares


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--only", default="", help="comma-separated operations")
    parser.add_argument("--profile", type=Path, help="write a cProfile per operation here")
    args = parser.parse_args()
    setup(os.environ.get("DATABASE_URL", DEFAULT_URL))

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ops = operations(random.Random(20261203))
    shares = mix_shares()
    chosen = [name for name in args.only.split(",") if name] or list(ops)
    weighted = 0.0
    for name in chosen:
        call = ops[name]
        for _ in range(5):  # warm: templates compiled, connections open
            status = call().status_code
            if status not in (200, 201):
                raise SystemExit(f"{name}: HTTP {status}")
        with CaptureQueriesContext(connection) as queries:
            call()
        query_count = len(queries)  # now: the next request clears the connection's log
        profile = cProfile.Profile(time.process_time) if args.profile else None
        began = time.process_time()
        if profile:
            profile.enable()
        for _ in range(args.reps):
            call()
        if profile:
            profile.disable()
            args.profile.mkdir(parents=True, exist_ok=True)
            profile.dump_stats(args.profile / f"{name}.prof")
        ms = (time.process_time() - began) / args.reps * 1000
        weighted += ms * shares[name]
        row = {"bench": "request_cost", "operation": name, "cpu_ms": round(ms, 2)}
        row |= {
            "queries": query_count,
            "share": round(shares[name], 3),
            "page": name in PAGES,
        }
        print(json.dumps(row), flush=True)
    summary = {"bench": "request_cost", "summary": True, "reps": args.reps}
    if len(chosen) == len(ops):
        summary["weighted_cpu_ms_per_request"] = round(weighted, 2)
    summary["python_speed_calls_per_second"] = python_speed()
    summary["profiled"] = bool(args.profile)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
