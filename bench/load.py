"""Load: gunicorn + PostgreSQL + the django-q2 worker on Redis, 50 clients for 60 s.

Run from the repository root:

    .venv/bin/python bench/load.py [--seconds 60] [--clients 50] [--rate 7] [--n 20000]
                                   [--web-workers 4] [--max] [--reseed]

What runs, all on this machine: the database named by DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/helpdesk_load, created, migrated and seeded with `--n`
tickets by bench/queue_page.py's seeding unless it holds exactly that many already), a
private redis-server on a free port (the shared one is left alone), `gunicorn helpdesk.wsgi`
with gunicorn.conf.py and the production settings (DEBUG off, CONN_MAX_AGE 60; the client
sends `X-Forwarded-Proto: https` as the TLS proxy in front of it would), and one
`manage.py qcluster` (the SLA sweep every minute, notifications, escalations).

The clients (asyncio + aiohttp, one process) play three roles at once: 60 % customers
(open tickets, reply on their own tickets, list and read them, through the API with their
tokens), 30 % agents (list the queue by due time, read tickets and conversations, reply in
public, which runs the reply-quality check, and open the agent queue and ticket pages, by
token and by session) and 10 % managers (dashboard page, its live list, escalations, the
agent queue). Each client paces itself at `--rate` requests a second (locust's
constant_throughput: it waits what is left of 1/rate after each response, and never waits
when the server is slower than that); `--max` removes the pacing to find the ceiling.

Printed: one JSON line per operation (count, per second, p50/p95/p99 ms, failures), then one
summary line with the totals, how fast the machine ran Python just before
(`python_speed_calls_per_second`: the machines here have differed by more than 2x), the CPU
seconds each process used, and the verdict of the
checks made afterwards through the ORM: every 201 has its row (tickets by id and subject,
messages by id and body), the number of rows the run wrote equals the number of 201s (none
more, none less), every ticket the run opened has its first response, answer and resolution
clocks, and no request failed with a 5xx or a dropped connection. Exit status 1 when a check
or a target fails (300 requests/s, p99 < 250 ms, 0 server errors, 0 lost writes).

scripts/fault_postgres_restart.py runs the same load against a private PostgreSQL that it
restarts in the middle (`run(..., during=...)`).
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.queue_page import django_setup, ensure_database, log, seed  # noqa: E402
from scripts._faults import Processes, free_port  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_load"
TARGETS = {"rps": 300.0, "p99_ms": 250.0}
CLOCK_METRICS = {"first_response", "answer", "resolution"}
ROLE_SHARE = {"customer": 0.6, "agent": 0.3, "manager": 0.1}
# (operation, weight) per role: what a person of that role does, and how often.
MIX = {
    "customer": [
        ("customer_open_ticket", 25),
        ("customer_reply", 20),
        ("customer_list_tickets", 30),
        ("customer_read_ticket", 25),
    ],
    "agent": [
        ("agent_list_queue_api", 25),
        ("agent_read_ticket_api", 15),
        ("agent_read_messages_api", 15),
        ("agent_reply", 20),
        ("agent_queue_page", 15),
        ("agent_ticket_page", 10),
    ],
    "manager": [
        ("manager_dashboard", 35),
        ("manager_dashboard_live", 25),
        ("manager_escalations_api", 20),
        ("manager_agent_queue_page", 20),
    ],
}
WORDS = [
    *("kettle", "limescale", "thermostat", "warranty", "invoice", "refund", "courier"),
    *("parcel", "firmware", "battery", "charger", "filter", "hinge", "display"),
    *("headphones", "pairing", "bluetooth", "subscription", "voucher", "receipt"),
]


ANSWER_OPENERS = [
    "Thanks for the details about the {a}.",
    "I have looked into the {a} on your account.",
    "About your {a}:",
    "I checked what happened with the {a}.",
    "Sorry for the trouble with the {a}.",
]
ANSWER_FINDINGS = [
    "The {b} needs firmware {n}.{m}, which fixes exactly this.",
    "Your {b} left our depot on the {day}th and the {c} was scanned twice.",
    "The {c} reading comes from a loose {b} connector, a known fault of batch {n}{m}.",
    "The {b} is still under warranty for {n} months, so the {c} is covered.",
    "Our logs show the {c} was reset on the {day}th, which cleared the {b} settings.",
]
ANSWER_ACTIONS = [
    "Unplug the {c} for {k} minutes, then pair the {d} again.",
    "I have credited {amount} euros for the {d}; you will see it within {k} days.",
    "A replacement {d} ships tomorrow, tracking number {track}.",
    "Please send a photo of the {d} label so I can book the repair within {k} days.",
    "I have reopened order {track} and the {d} will be collected on day {k}.",
]


# --- set-up -----------------------------------------------------------------------------------


def api_token(user) -> str:
    """The user's API token, made if they have none."""
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


def login_session(user) -> str:
    """The key of a new session in which the user is logged in, as the log-in form makes it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def prepare(*, url: str, n: int, reseed: bool) -> dict:
    """Migrate, seed when needed, and make the run's identities: tokens and sessions."""
    from django.core.management import call_command
    from django.utils import timezone

    from helpdesk.models import User
    from tickets.models import Ticket

    call_command("migrate", verbosity=0)
    if reseed or Ticket.objects.count() != n:
        log(f"seeding {n} tickets (bench/queue_page.py's seed)")
        seed(n=n, now=timezone.now())
        from django.db import connection

        with connection.cursor() as cursor:
            # Write the bulk load out now, not in a checkpoint in the middle of the run.
            cursor.execute("CHECKPOINT")
    managers = []
    for i in range(1, 4):
        user, _ = User.objects.get_or_create(
            username=f"bench-manager-{i}", defaults={"role": User.Role.MANAGER}
        )
        managers.append(user)
    agents = list(User.objects.filter(username__startswith="bench-agent-").order_by("pk"))
    customers = list(
        User.objects.filter(username__startswith="bench-customer-").order_by("pk")[:400]
    )

    own = defaultdict(list)
    for pk, requester in (
        Ticket.objects.filter(
            requester__in=customers, kind="support", status__in=["open", "pending", "solved"]
        )
        .order_by("-pk")
        .values_list("pk", "requester_id")[:4000]
    ):
        own[requester].append(pk)
    open_ids = list(
        Ticket.objects.filter(kind="support", status__in=["open", "pending"])
        .order_by("-pk")
        .values_list("pk", flat=True)[:3000]
    )
    return {
        "customers": [{"token": api_token(u), "tickets": own[u.pk]} for u in customers],
        "agents": [{"token": api_token(u), "session": login_session(u)} for u in agents],
        "managers": [{"token": api_token(u), "session": login_session(u)} for u in managers],
        "open_ids": open_ids,
        "questions": {},  # ticket id -> the words of its question (tickets the run opened)
        "tickets_before": Ticket.objects.count(),
    }


def python_speed(calls: int = 40_000) -> int:
    """`add_business_time` calls a second (bench/business_time.py's workload, shorter): how
    fast this machine runs Python before the run, so that figures taken on different machines
    can be compared (the same code has measured 180,000 and 440,000 here)."""
    from sla.business_time import add_business_time
    from sla.calendars import BusinessCalendar, parse_hours

    weekdays = ("mon", "tue", "wed", "thu", "fri")
    calendar = BusinessCalendar(
        timezone="Europe/Bucharest",
        weekly_hours=parse_hours({day: [["09:00", "17:00"]] for day in weekdays}),
        country="RO",
    )
    rng = random.Random(20260301)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    calls_made = [
        (
            first + timedelta(minutes=rng.randrange(1_500_000)),
            timedelta(minutes=rng.randint(1, 7200)),
        )
        for _ in range(calls)
    ]
    rates = []
    for _ in range(3):
        began = time.perf_counter()
        for start, target in calls_made:
            add_business_time(calendar, start, target)
        rates.append(calls / (time.perf_counter() - began))
    return round(statistics.median(rates))


def group_cpu_seconds(procs: Processes) -> dict[str, float]:
    """User + system CPU of each started process group (children included), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {name: 0.0 for name in procs.procs}
    groups = {proc.pid: name for name, proc in procs.procs.items()}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = groups.get(int(fields[2]))  # the process group id
        if name is not None:
            totals[name] += (int(fields[11]) + int(fields[12])) / tick
    return {name: round(seconds, 1) for name, seconds in totals.items()}


def postgres_cpu_seconds(url: str) -> float:
    """CPU of the PostgreSQL server's processes (all of them: the database is this run's)."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            comm = text[text.index("(") + 1 : text.rindex(")")]
            fields = text.rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        if comm.startswith("postgres"):
            # Own time, plus (on the postmaster) that of backends that have exited.
            seconds += sum(int(f) for f in fields[11:15]) / tick
    return seconds


def start_servers(procs: Processes, *, url: str, web_workers: int, port: int) -> dict:
    redis_port = free_port()
    procs.start(
        "redis",
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        os.environ.copy(),
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "WEB_ACCESS_LOG": "",
        "WEB_CONCURRENCY": str(web_workers),
        "BIND": f"127.0.0.1:{port}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(procs.dir / "mail"),
        "Q_WORKERS": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    python = str(ROOT / ".venv/bin/python")
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    procs.start(
        "web", [str(ROOT / ".venv/bin/gunicorn"), "helpdesk.wsgi", "-c", "gunicorn.conf.py"], env
    )
    procs.start("worker", [python, "manage.py", "qcluster"], env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return env
        except OSError:
            if procs.procs["web"].poll() is not None:
                break
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start:\n" + procs.log_tail("web"))


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    transport_errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    created_tickets: dict[int, str] = field(default_factory=dict)  # id -> subject
    created_messages: dict[int, str] = field(default_factory=dict)  # id -> body
    unconfirmed_writes: int = 0  # a write whose answer never came (connection dropped)
    bodies_503: set[str] = field(default_factory=set)
    without_retry_after: int = 0
    timeline: list[tuple[float, str, int]] = field(default_factory=list)


class Client:
    def __init__(self, *, index, role, identity, world, base, session, tally, run_id, rng):
        self.index, self.role, self.identity, self.world = index, role, identity, world
        self.base, self.http, self.tally, self.run_id, self.rng = base, session, tally, run_id, rng
        self.counter = 0
        self.recording = False
        self.started = 0.0

    def headers(self, *, page: bool = False) -> dict:
        headers = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
        if page:
            headers["Accept"] = "text/html"
            headers["Cookie"] = f"sessionid={self.identity['session']}"
        else:
            headers["Authorization"] = f"Token {self.identity['token']}"
        return headers

    async def call(
        self, op: str, method: str, path: str, *, page=False, json_body=None, write=False
    ):
        began = time.perf_counter()
        status, data = None, None
        try:
            async with self.http.request(
                method,
                self.base + path,
                headers=self.headers(page=page),
                json=json_body,
                allow_redirects=False,
            ) as response:
                status = response.status
                raw = await response.read()
                if status == 503:
                    self.tally.bodies_503.add(raw.decode(errors="replace")[:4000])
                    if not response.headers.get("Retry-After", "").isdigit():
                        self.tally.without_retry_after += 1
                elif status in (200, 201) and not page:
                    data = json.loads(raw)
        except (TimeoutError, aiohttp.ClientError):
            if write:
                self.tally.unconfirmed_writes += 1
            if self.recording:
                self.tally.transport_errors[op] += 1
            return None, None
        elapsed = time.perf_counter() - began
        if self.recording:
            self.tally.latencies[op].append(elapsed * 1000)
            self.tally.statuses[op][status] += 1
            self.tally.timeline.append((time.monotonic() - self.started, op, status, elapsed))
        return status, data

    def text(self, words: list[str] | None = None) -> str:
        words = words or self.rng.sample(WORDS, 4)
        return f"My {words[0]} and the {words[1]}: the {words[2]} shows {words[3]}."

    def answer(self, words: list[str]) -> str:
        """What an agent writes back: about this customer's things, in words of its own (a
        reply reused across tickets is flagged generic and escalates, as it should)."""
        r = self.rng
        a, b, c, d = words
        return " ".join(
            [
                r.choice(ANSWER_OPENERS).format(a=a),
                r.choice(ANSWER_FINDINGS).format(
                    b=b, c=c, n=r.randint(2, 9), m=r.randint(0, 40), day=r.randint(1, 28)
                ),
                r.choice(ANSWER_ACTIONS).format(
                    c=c, d=d, k=r.randint(2, 30), amount=r.randint(5, 180),
                    track=r.randint(10**9, 10**10),
                ),
            ]
        )  # fmt: skip

    async def customer_open_ticket(self):
        self.counter += 1
        subject = f"load-{self.run_id}-{self.index}-{self.counter} {self.rng.choice(WORDS)}"
        words = self.rng.sample(WORDS, 4)
        status, data = await self.call(
            "customer_open_ticket",
            "POST",
            "/api/v1/tickets/",
            json_body={"subject": subject, "body": self.text(words)},
            write=True,
        )
        if status == 201:
            self.world["questions"][data["id"]] = words
            self.tally.created_tickets[data["id"]] = subject
            self.identity["tickets"].append(data["id"])
            self.world["open_ids"].append(data["id"])

    async def reply(self, op: str, ticket_id: int, body: str):
        status, data = await self.call(
            op,
            "POST",
            f"/api/v1/tickets/{ticket_id}/messages/",
            json_body={"body": body, "public": True},
            write=True,
        )
        if status == 201:
            self.tally.created_messages[data["id"]] = body

    async def customer_reply(self):
        if not self.identity["tickets"]:
            return await self.customer_open_ticket()
        self.counter += 1
        ticket = self.rng.choice(self.identity["tickets"][-20:])
        await self.reply(
            "customer_reply", ticket, f"{self.text()} [{self.run_id}-c{self.index}-{self.counter}]"
        )

    async def customer_list_tickets(self):
        await self.call("customer_list_tickets", "GET", "/api/v1/tickets/")

    async def customer_read_ticket(self):
        if not self.identity["tickets"]:
            return await self.customer_list_tickets()
        ticket = self.rng.choice(self.identity["tickets"][-20:])
        await self.call("customer_read_ticket", "GET", f"/api/v1/tickets/{ticket}/")

    def any_open(self) -> int:
        return self.rng.choice(self.world["open_ids"][-500:])

    async def agent_list_queue_api(self):
        await self.call(
            "agent_list_queue_api", "GET", "/api/v1/tickets/?status=open&ordering=due_at"
        )

    async def agent_read_ticket_api(self):
        await self.call("agent_read_ticket_api", "GET", f"/api/v1/tickets/{self.any_open()}/")

    async def agent_read_messages_api(self):
        path = f"/api/v1/tickets/{self.any_open()}/messages/"
        await self.call("agent_read_messages_api", "GET", path)

    async def agent_reply(self):
        """An answer to a recent question (its words are known), else to any open ticket."""
        self.counter += 1
        recent = list(self.world["questions"])[-300:]
        ticket = self.rng.choice(recent) if recent else self.any_open()
        words = self.world["questions"].get(ticket) or self.rng.sample(WORDS, 4)
        body = f"{self.answer(words)} [{self.run_id}-a{self.index}-{self.counter}]"
        await self.reply("agent_reply", ticket, body)

    async def agent_queue_page(self):
        await self.call("agent_queue_page", "GET", "/agent/", page=True)

    async def agent_ticket_page(self):
        await self.call("agent_ticket_page", "GET", f"/agent/tickets/{self.any_open()}/", page=True)

    async def manager_dashboard(self):
        await self.call("manager_dashboard", "GET", "/manager/dashboard/", page=True)

    async def manager_dashboard_live(self):
        await self.call("manager_dashboard_live", "GET", "/manager/dashboard/live/", page=True)

    async def manager_escalations_api(self):
        await self.call("manager_escalations_api", "GET", "/api/v1/escalations/")

    async def manager_agent_queue_page(self):
        await self.call("manager_agent_queue_page", "GET", "/agent/", page=True)

    async def run(
        self, *, until: float, interval: float, record_from: float, started: float, only=None
    ):
        ops, weights = zip(*MIX[self.role], strict=True)
        if only:
            ops, weights = (only,), (1,)
        self.started = started
        await asyncio.sleep(self.rng.random() * max(interval, 0.05))  # spread the starts
        while (now := time.monotonic()) < until:
            self.recording = now >= record_from
            op = self.rng.choices(ops, weights)[0]
            if self.role == "customer":
                # Many customers, a few dozen of them active at any moment: each action is
                # someone's, and nobody's ticket list grows by a ticket a second.
                self.identity = self.rng.choice(self.world["customers"])
            began = time.monotonic()
            await getattr(self, op)()
            if interval:
                await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))


async def drive(
    *,
    base,
    world,
    clients,
    rate,
    seconds,
    warmup,
    run_id,
    seed_value,
    tally,
    on_tick=None,
    only=None,
):
    rng = random.Random(seed_value)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        people = []
        counts = {role: round(clients * share) for role, share in ROLE_SHARE.items()}
        counts["customer"] += clients - sum(counts.values())
        if only:
            counts = {role: clients if any(op == only for op, _ in mix) else 0
                      for role, mix in MIX.items()}  # fmt: skip
        index = 0
        for role, count in counts.items():
            pool = world[f"{role}s"]
            for i in range(count):
                identity = pool[(index + i) % len(pool)]
                people.append(
                    Client(
                        index=index,
                        role=role,
                        identity=identity,
                        world=world,
                        base=base,
                        session=http,
                        tally=tally,
                        run_id=run_id,
                        rng=random.Random(rng.random()),
                    )
                )
                index += 1
        started = time.monotonic()
        record_from = started + warmup
        until = record_from + seconds
        interval = 1.0 / rate if rate else 0.0
        tasks = [
            asyncio.create_task(
                p.run(
                    until=until,
                    interval=interval,
                    record_from=record_from,
                    started=record_from,
                    only=only,
                )
            )
            for p in people
        ]
        if on_tick is not None:
            tasks.append(asyncio.create_task(on_tick(record_from, until)))
        await asyncio.gather(*tasks)
        return counts


# --- afterwards -------------------------------------------------------------------------------


def verify(tally: Tally, *, run_id: str, tickets_before: int) -> dict:
    """Through the ORM: every 201 has its row, and the run wrote nothing else."""
    from sla.models import Clock
    from tickets.models import Message, Ticket

    ids = list(tally.created_tickets)
    found = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "subject"))
    missing_tickets = [
        pk for pk, subject in tally.created_tickets.items() if found.get(pk) != subject
    ]
    rows_of_run = Ticket.objects.filter(subject__startswith=f"load-{run_id}-").count()
    message_bodies = dict(
        Message.objects.filter(pk__in=list(tally.created_messages)).values_list("pk", "body")
    )
    missing_messages = [
        pk for pk, body in tally.created_messages.items() if message_bodies.get(pk) != body
    ]
    message_rows_of_run = Message.objects.filter(body__contains=f"[{run_id}-").count()
    agent_replies = Message.objects.filter(body__contains=f"[{run_id}-a")
    generic = agent_replies.filter(generic=True).count()
    metrics = defaultdict(set)
    for ticket_id, metric in Clock.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "metric"
    ):
        metrics[ticket_id].add(metric)
    without_clocks = [pk for pk in ids if not metrics[pk] >= CLOCK_METRICS]
    return {
        "tickets_201": len(ids),
        "ticket_rows_of_run": rows_of_run,
        "tickets_missing": len(missing_tickets),
        "messages_201": len(tally.created_messages),
        "message_rows_of_run": message_rows_of_run,
        "messages_missing": len(missing_messages),
        "tickets_without_clocks": len(without_clocks),
        "agent_replies": agent_replies.count(),
        "agent_replies_judged_generic": generic,
        "unconfirmed_writes": tally.unconfirmed_writes,
        "tickets_total": Ticket.objects.count(),
        "tickets_before": tickets_before,
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(tally: Tally, seconds: float) -> tuple[list[dict], dict]:
    lines = []
    all_latencies = []
    server_errors = 0
    total = 0
    for op in sorted(tally.latencies):
        lat = tally.latencies[op]
        statuses = dict(sorted(tally.statuses[op].items()))
        errors_5xx = sum(c for s, c in statuses.items() if s >= 500)
        server_errors += errors_5xx
        total += len(lat)
        all_latencies += lat
        lines.append(
            {
                "bench": "load",
                "operation": op,
                "count": len(lat),
                "per_second": round(len(lat) / seconds, 1),
                "p50_ms": round(statistics.median(lat), 1),
                "p95_ms": round(percentile(lat, 95), 1),
                "p99_ms": round(percentile(lat, 99), 1),
                "statuses": statuses,
                "transport_errors": tally.transport_errors.get(op, 0),
            }
        )
    summary = {
        "requests": total,
        "per_second": round(total / seconds, 1),
        "p50_ms": round(statistics.median(all_latencies), 1) if all_latencies else 0,
        "p95_ms": round(percentile(all_latencies, 95), 1),
        "p99_ms": round(percentile(all_latencies, 99), 1),
        "server_errors": server_errors,
        "transport_errors": sum(tally.transport_errors.values()),
    }
    return lines, summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5, help="seconds not counted")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=7.0, help="requests/s per client")
    parser.add_argument("--max", action="store_true", help="no pacing: find the ceiling")
    parser.add_argument("--n", type=int, default=20_000, help="tickets in the database")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument(
        "--only", metavar="OPERATION", help="every client does only this (to cost one operation)"
    )
    return parser.parse_args(argv)


def web_worker_pids(procs: Processes) -> list[int]:
    """gunicorn's worker processes: the master's children."""
    master = procs.procs["web"].pid
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def run(args: argparse.Namespace, *, url: str, during=None) -> dict:
    """Set up, drive the load, stop the servers, check the rows. `during(record_from, until)`
    is an extra coroutine run beside the clients (the fault drills)."""
    # The sessions made here must be readable by the servers: one key for both.
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    ensure_database(url)
    django_setup(url)
    world = prepare(url=url, n=args.n, reseed=args.reseed)
    run_id = secrets.token_hex(3)
    port = free_port()
    procs = Processes("helpdesk-load-")
    tally = Tally()
    result: dict = {"run_id": run_id, "python_speed": python_speed()}
    try:
        start_servers(procs, url=url, web_workers=args.web_workers, port=port)
        log(
            f"load: {args.clients} clients at {'max' if args.max else args.rate} req/s each, "
            f"{args.seconds:.0f} s (+{args.warmup:.0f} s warm-up), gunicorn "
            f"{args.web_workers} workers, {args.n} tickets, run {run_id}"
        )
        deadline = time.monotonic() + 30
        while len(web_worker_pids(procs)) < args.web_workers and time.monotonic() < deadline:
            time.sleep(0.1)  # the master listens before it has forked every worker
        result["web_pids_before"] = web_worker_pids(procs)
        meter: dict[str, dict[str, float]] = {}

        def cpu_snapshot() -> dict[str, float]:
            return {
                **group_cpu_seconds(procs),
                "postgres": postgres_cpu_seconds(url),
                "load_generator": time.process_time(),
            }

        async def measured(record_from: float, until: float) -> None:
            """CPU over the measured seconds only: start-up and warm-up are not the load's."""

            async def meter_window() -> None:
                await asyncio.sleep(max(0.0, record_from - time.monotonic()))
                meter["before"] = cpu_snapshot()
                await asyncio.sleep(max(0.0, until - time.monotonic()))
                meter["after"] = cpu_snapshot()

            await asyncio.gather(meter_window(), *([during(record_from, until)] if during else []))

        began = time.monotonic()
        result["roles"] = asyncio.run(
            drive(
                base=f"http://127.0.0.1:{port}",
                world=world,
                clients=args.clients,
                rate=None if args.max else args.rate,
                seconds=args.seconds,
                warmup=args.warmup,
                run_id=run_id,
                seed_value=args.seed,
                tally=tally,
                on_tick=measured,
                only=args.only,
            )
        )
        result["wall_seconds"] = round(time.monotonic() - began, 1)
        result["cpu_seconds"] = {
            name: round(after - meter["before"].get(name, 0.0), 1)
            for name, after in meter["after"].items()
        }
        result["web_pids_after"] = web_worker_pids(procs)
        result["worker_alive"] = procs.procs["worker"].poll() is None
    finally:
        procs.stop_all(grace=20)  # gunicorn finishes its requests
        result["web_log_tail"] = procs.log_tail("web", 15)
    from django.db import connection

    connection.close()  # PostgreSQL may have restarted under this process
    result["lines"], result["summary"] = report(tally, args.seconds)
    checks = verify(tally, run_id=run_id, tickets_before=world["tickets_before"])
    result["checks"] = checks
    result["lost_writes"] = checks["tickets_missing"] + checks["messages_missing"]
    # A write whose answer never came may or may not have its row; any other row is extra.
    extra = (checks["ticket_rows_of_run"] - checks["tickets_201"]) + (
        checks["message_rows_of_run"] - checks["messages_201"]
    )
    result["unaccounted_rows"] = max(0, extra - checks["unconfirmed_writes"]) + max(0, -extra)
    result["tally"] = tally
    result["slowest_seconds"] = slowest_seconds(tally)
    return result


def slowest_seconds(tally: Tally, top: int = 5) -> list[dict]:
    """The seconds of the run with the slowest answers: periodic stalls (a sweep, a
    checkpoint) show up here rather than in an average."""
    by_second: dict[int, list[float]] = defaultdict(list)
    for t, _, _, elapsed in tally.timeline:
        by_second[int(t)].append(elapsed * 1000)
    worst = sorted(by_second.items(), key=lambda item: -max(item[1]))[:top]
    return [
        {"second": second, "requests": len(lat), "max_ms": round(max(lat), 1)}
        for second, lat in sorted(worst)
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args, url=os.environ.get("DATABASE_URL", DEFAULT_URL))
    summary, checks = result["summary"], result["checks"]
    for line in result["lines"]:
        print(json.dumps(line))
    failures = []
    if checks["tickets_without_clocks"]:
        failures.append(f"{checks['tickets_without_clocks']} tickets without their clocks")
    if result["lost_writes"] or result["unaccounted_rows"]:
        failures.append(
            f"{result['lost_writes']} lost writes, {result['unaccounted_rows']} unaccounted rows"
        )
    if summary["server_errors"] or summary["transport_errors"]:
        failures.append("server or transport errors")
    if summary["per_second"] < TARGETS["rps"]:
        failures.append(f"{summary['per_second']} req/s < {TARGETS['rps']:.0f}")
    if summary["p99_ms"] >= TARGETS["p99_ms"]:
        failures.append(f"p99 {summary['p99_ms']} ms >= {TARGETS['p99_ms']:.0f}")
    print(
        json.dumps(
            {
                "bench": "load",
                "summary": True,
                "clients": args.clients,
                "roles": result["roles"],
                "rate_per_client": None if args.max else args.rate,
                "seconds": args.seconds,
                "wall_seconds": result["wall_seconds"],
                "web_workers": args.web_workers,
                "tickets_in_database": args.n,
                "python_speed_calls_per_second": result["python_speed"],
                **summary,
                "lost_writes": result["lost_writes"],
                "unaccounted_rows": result["unaccounted_rows"],
                "checks": checks,
                "slowest_seconds": result["slowest_seconds"],
                "cpu_seconds": result["cpu_seconds"],
                "cpu_ms_per_request": {
                    name: round(1000 * seconds / max(1, summary["requests"]), 2)
                    for name, seconds in result["cpu_seconds"].items()
                },
                "failures": failures,
                "ok": not failures,
            }
        )
    )
    if failures:
        log("load: FAILED: " + "; ".join(failures))
        log("web log tail:\n" + result["web_log_tail"])
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
