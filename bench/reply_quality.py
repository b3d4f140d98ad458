"""Milliseconds of one full reply-quality assessment at 100,000 stored replies (PostgreSQL).

Run from the repository root:

    .venv/bin/python bench/reply_quality.py [--n 100000] [--drafts 300] [--reseed] [--profile]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/helpdesk_bench_quality) names a
database this script owns: it is created if missing and migrated. Unless it already holds
exactly N stored replies (`ReplyFingerprint` rows), its tickets and everything hanging off
them are TRUNCATEd and N tickets are seeded with COPY, each with its customer's question
(subject and body), one public agent reply sent in the last 30 days, that reply's
`ReplyFingerprint` (MinHash signature and shingle count from
`sla.fingerprints.reply_fingerprint`, question excerpt, template, generic/score from
`sla.quality.assess_reply`) and its `ReplyBand` rows (one per distinct band key, ~8). The
texts come from tests/data/reply_quality: 60 % of the replies are uses of 300 templates
(replies of the evaluation set, each reused 16 to 800 times, log-uniformly) with a new
greeting, name, signature and numbers and now and then a sentence added or dropped; catch-all
templates go to questions of any product, topical ones to questions of their own product.
The other 40 % are one-off replies: two to four sentences of the set's specific replies,
a few words of each swapped for other words of the set. Every question gets the customer's
name and new numbers. Then VACUUM ANALYZE.

Measuring, as the product does it when an agent checks a draft: 300 tickets with a question
and one earlier agent reply are created in a transaction that is rolled back at the end;
for each, `tickets.services.reply_check(ticket=..., body=..., now=...)` is timed once, cold
(every draft and question is a new text to the in-process caches), after 5 warm-ups. The
drafts are a third each: a variant of one of the 60 most used stored templates (many
candidates), an evaluation-set reply on its own question, and a new one-off reply.
stdout gets two JSON lines:

* `"measure": "reply_check"`: median and p95 wall-clock ms, this process's CPU ms (the rest
  is the database and waiting for a CPU), SQL queries per assessment and their time (from
  one more call per draft under CaptureQueriesContext), candidates found (median, max), the
  same per kind of draft, N, the machine's load and a CPU calibration.
* `"measure": "candidate_lookup"`: the candidate query alone (`sla.replies.reply_candidates`
  on an already fingerprinted draft), median and p95 ms, and the EXPLAIN ANALYZE of every
  draft's query: how many start from an index lookup on `replyband_key_sent_idx` with no
  sequential scan anywhere, the plan shapes with their counts, the slowest plan. The script
  exits with 1 when any draft's plan is not such an index lookup.

`--profile` runs the drafts once more under cProfile and prints the top functions by
cumulative and by own time on stderr. Progress on stderr. DEBUG is off and CONN_MAX_AGE is
60 unless set, as for bench/queue_page.py.
"""

import argparse
import cProfile
import gc
import io
import json
import math
import os
import pstats
import random
import re
import statistics
import sys
import time
import timeit
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from queue_page import copy_rows, django_setup, ensure_database, log  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_quality"
DATA = ROOT / "tests" / "data" / "reply_quality"
SEED = 20260402
WARMUPS = 5
TARGET_MEDIAN_MS = 5.0
AGENTS = 20
CUSTOMERS = 2_000
TEMPLATES = 300
TEMPLATE_SHARE = 0.6
WINDOW = timedelta(days=30)
BAND_INDEX = "replyband_key_sent_idx"

_FIRST_NAMES = (
    "Anna Maria Ioana Julia Sofia Emma Olivia Lena Clara Nora Mia Hannah Laura Sara Elena Eva "
    "Chloe Zoe Alice Ines Marta Paula Lucia Ada Rosa Irene Greta Alba Nina Vera Tom Ben Lukas "
    "Jonas Paul Leon Noah Elias David Daniel Marco Luca Pierre Jan Piotr Ahmed Omar Ravi Arjun "
    "Kenji Hiro Wei Li Chen Diego Pablo Carlos Mateo Ivan Oleg Sven Lars Erik Finn"
)
_SURNAMES = (
    "Smith Jones Brown Meyer Schmidt Rossi Bianchi Dubois Martin Novak Kowalski Popescu Garcia "
    "Lopez Silva Santos Khan Patel Sato Tanaka Wang Zhang Kim Nielsen Larsen Berg Costa Moreau"
)
FIRST_NAMES, SURNAMES = _FIRST_NAMES.split(), _SURNAMES.split()
GREETINGS = (
    "Hi {name},",
    "Hello {name},",
    "Dear {name},",
    "Good morning {name},",
    "Hi {name}!",
    "Hello,",
    "Hi there,",
)
SIGN_OFFS = ("Kind regards,", "Best regards,", "Best,", "Thanks,", "Cheers,", "Regards,")
TEAMS = ("Customer Care Team", "Support Team", "Customer Service", "")
EXTRA_SENTENCES = (
    "Sorry for the wait.",
    "Thanks for your patience.",
    "Thank you for getting in touch.",
    "Apologies for the inconvenience.",
    "I hope this helps.",
)
CUSTOMER_CLOSINGS = ("Thanks, {name}", "{name}", "Regards, {name}", "Thank you!\n{name}", "")
_DIGITS = re.compile(r"\d+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_WORD = re.compile(r"\b[a-z]{4,}\b")


# --- texts ----------------------------------------------------------------------------------


def load_items() -> list[dict]:
    items = []
    for name in ("tuning.jsonl", "heldout.jsonl"):
        with open(DATA / name, encoding="utf-8") as handle:
            items += [json.loads(line) for line in handle if line.strip()]
    return items


def new_numbers(rng: random.Random, text: str) -> str:
    """Each number replaced by another of the same length (order ids, prices, dates)."""
    return _DIGITS.sub(lambda m: str(rng.randint(10 ** (len(m[0]) - 1), 10 ** len(m[0]) - 1)), text)


def dress(rng: random.Random, body: str, agent: str) -> str:
    """A reply body as an agent sends it: greeting with the customer's name, signature."""
    greeting = rng.choice(GREETINGS).format(name=rng.choice(FIRST_NAMES))
    team = rng.choice(TEAMS)
    signature = f"{rng.choice(SIGN_OFFS)}\n{agent}" + (f"\n{team}" if team else "")
    return f"{greeting}\n\n{body}\n\n{signature}"


def vary(rng: random.Random, body: str) -> str:
    """One use of a template: new numbers, now and then a sentence added or dropped."""
    body = new_numbers(rng, body)
    sentences = _SENTENCE.split(body)
    if len(sentences) >= 4 and rng.random() < 0.15:
        del sentences[rng.randrange(1, len(sentences))]
    if rng.random() < 0.3:
        sentences.insert(0, rng.choice(EXTRA_SENTENCES))
    return " ".join(sentences)


def ask(rng: random.Random, question: str) -> tuple[str, str]:
    """A customer's (subject, body) from a question of the set, with their name and numbers."""
    subject, _, body = new_numbers(rng, question).partition("\n\n")
    if not body:
        subject, body = subject[:80], subject
    closing = rng.choice(CUSTOMER_CLOSINGS).format(name=rng.choice(FIRST_NAMES))
    return subject[:200], f"{body}\n\n{closing}".strip()


class Material:
    """Template bodies, one-off sentences and questions of the evaluation set, by product."""

    def __init__(self, items: list[dict]) -> None:
        from sla.fingerprints import normalise, reply_body

        self.items = items
        self.questions: dict[str, list[str]] = {}
        for item in items:
            self.questions.setdefault(item["product"], []).append(item["question"])
        self.all_questions = [item["question"] for item in items]
        seen: set[str] = set()
        self.bases: list[tuple[str, str, str, bool]] = []  # body, home question, product, topical
        texts = []
        for item in items:
            texts.append((item["reply"], item["question"], item["product"], item["label"]))
            for recent in item["recent_replies"]:
                texts.append((recent["text"], recent["question"], item["product"], "generic"))
            for previous in item["previous_replies"]:
                texts.append((previous, item["question"], item["product"], "generic"))
        for text, question, product, label in texts:
            body = reply_body(text)
            key = normalise(body)
            if len(key.split()) < 6 or key in seen:
                continue
            seen.add(key)
            self.bases.append((body, question, product, label == "specific"))
        self.sentences: list[tuple[str, str]] = []  # sentence, product
        vocabulary: set[str] = set()
        for item in items:
            vocabulary.update(_WORD.findall(f"{item['question']} {item['reply']}".lower()))
            if item["label"] == "specific":
                for sentence in _SENTENCE.split(reply_body(item["reply"])):
                    if len(sentence.split()) >= 4:
                        self.sentences.append((sentence, item["product"]))
        self.vocabulary = sorted(vocabulary)

    def one_off(self, rng: random.Random) -> tuple[str, str]:
        """A reply written for one ticket: sentences of the set's specific replies, a few of
        their words swapped for others of the set, so that no two one-offs are alike."""
        picked = rng.sample(self.sentences, rng.randint(2, 4))
        sentences = []
        for sentence, _ in picked:
            words = sentence.split(" ")
            for _ in range(max(1, len(words) // 6)):
                at = rng.randrange(1, len(words))
                if words[at].isalpha() and words[at].islower():
                    words[at] = rng.choice(self.vocabulary)
            sentences.append(" ".join(words))
        return new_numbers(rng, " ".join(sentences)), rng.choice(self.questions[picked[0][1]])

    def question_for(self, rng: random.Random, home: str, product: str, topical: bool) -> str:
        """A topical template answers its own product's questions; a catch-all, anyone's."""
        if topical:
            return home if rng.random() < 0.5 else rng.choice(self.questions[product])
        return rng.choice(self.all_questions)


# --- seeding --------------------------------------------------------------------------------


def seed_users() -> tuple[list[int], list[str], list[int], int]:
    from django.contrib.auth.hashers import make_password

    from helpdesk.models import User
    from tickets.models import Queue

    password = make_password(None)
    rng = random.Random(SEED)
    users = [
        User(
            username=f"bench-agent-{i}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(SURNAMES),
            role=User.Role.AGENT,
            password=password,
        )
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
    queue, _ = Queue.objects.get_or_create(slug="support", defaults={"name": "General support"})
    agents = list(
        User.objects.filter(username__startswith="bench-agent-")
        .order_by("pk")
        .values_list("pk", "first_name")
    )
    customers = list(
        User.objects.filter(username__startswith="bench-customer-").values_list("pk", flat=True)
    )
    return [a for a, _ in agents], [name for _, name in agents], customers, queue.pk


def seed(*, n: int, now: datetime, material: Material) -> None:
    from django.db import connection, transaction

    from sla.fingerprints import reply_fingerprint
    from sla.models import ReplyBand, ReplyFingerprint
    from sla.quality import assess_reply
    from sla.replies import QUESTION_EXCERPT
    from tickets.models import Message, Ticket

    began = time.perf_counter()
    agents, agent_names, customers, queue = seed_users()
    rng = random.Random(SEED)

    # Which template each reply uses (None: a one-off), shuffled over time.
    templates = min(TEMPLATES, len(material.bases), max(1, n // 300))
    chosen = rng.sample(material.bases, templates)
    weights = [math.exp(rng.uniform(math.log(10), math.log(500))) for _ in chosen]
    uses_total = int(n * TEMPLATE_SHARE)
    uses = [max(1, round(w * uses_total / sum(weights))) for w in weights]
    plan: list[int | None] = [t for t, count in enumerate(uses) for _ in range(count)]
    plan = plan[:n] + [None] * max(0, n - len(plan))
    rng.shuffle(plan)
    sent = sorted(
        now - rng.uniform(0, WINDOW.total_seconds() - 3600) * timedelta(seconds=1) for _ in range(n)
    )

    tickets, messages, fingerprints, bands = [], [], [], []
    roots: dict[int, int] = {}
    for i, (template, sent_at) in enumerate(zip(plan, sent, strict=True), start=1):
        agent = rng.randrange(len(agents))
        if template is None:
            body, question = material.one_off(rng)
        else:
            base, home, product, topical = chosen[template]
            body = vary(rng, base)
            question = material.question_for(rng, home, product, topical)
        reply = dress(rng, body, agent_names[agent])
        subject, text = ask(rng, question)
        asked = f"{subject}\n\n{text}"
        created = sent_at - timedelta(minutes=rng.uniform(10, 2880))
        fingerprint = reply_fingerprint(reply)
        assessment = assess_reply(asked, reply)
        template_id = i if template is None else roots.setdefault(template, i)
        tickets.append(
            (
                i,
                "support",
                subject,
                text,
                "pending",
                "normal",
                queue,
                rng.choice(customers),
                agents[agent],
                "email",
                created,
                sent_at,
            )
        )
        messages.append(
            (i, i, agents[agent], reply, True, "reply", "web", sent_at, assessment.generic)
        )
        fingerprints.append(
            (
                i,
                i,
                i,
                agents[agent],
                sent_at,
                fingerprint.to_bytes(),
                fingerprint.size,
                asked[:QUESTION_EXCERPT],
                template_id,
                assessment.generic,
                assessment.score,
            )
        )
        bands.extend((i, key, sent_at) for key in set(fingerprint.bands))
        if i % 20_000 == 0:
            log(f"seed: generated {i} replies in {time.perf_counter() - began:.1f} s")
    log(f"seed: generated {n} replies, {len(bands)} bands in {time.perf_counter() - began:.1f} s")

    with connection.cursor() as cursor:
        tables = ", ".join(
            connection.ops.quote_name(m._meta.db_table)
            for m in (ReplyBand, ReplyFingerprint, Message, Ticket)
        )
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
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
            ],
            tickets,
        )
        copy_rows(
            Message,
            [
                "id",
                "ticket_id",
                "author_id",
                "body",
                "public",
                "kind",
                "channel",
                "created_at",
                "generic",
            ],
            messages,
        )
        copy_rows(
            ReplyFingerprint,
            [
                "id",
                "message_id",
                "ticket_id",
                "author_id",
                "sent_at",
                "signature",
                "shingle_count",
                "question_excerpt",
                "template_id",
                "generic",
                "score",
            ],
            fingerprints,
        )
        copy_rows(ReplyBand, ["fingerprint_id", "key", "sent_at"], bands)
        for model in (Ticket, Message, ReplyFingerprint):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
    log(f"seed: copied in {time.perf_counter() - began:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"seed: done with VACUUM ANALYZE in {time.perf_counter() - began:.1f} s")


# --- measuring ------------------------------------------------------------------------------


def drafts(*, count: int, material: Material) -> list[dict]:
    """Draft cases: a third each of stored-template variants, set replies, one-offs."""
    from django.db.models import Count

    from sla.fingerprints import reply_body
    from sla.models import ReplyFingerprint
    from tickets.models import Message

    top = list(
        ReplyFingerprint.objects.values("template_id")
        .annotate(uses=Count("id"))
        .filter(uses__gte=10)
        .order_by("-uses")
        .values_list("template_id", flat=True)[:60]
    )
    bodies = dict(
        Message.objects.filter(fingerprint__id__in=top).values_list("fingerprint__id", "body")
    )
    templates = [reply_body(bodies[t]) for t in top if t in bodies]
    rng = random.Random(SEED + 1)
    cases = []
    for index in range(count):
        item = rng.choice(material.items)
        question = item["question"]
        kind = ("template", "set_reply", "one_off")[index % 3]
        if kind == "template" and templates:
            body = vary(rng, rng.choice(templates))
            question = rng.choice(material.all_questions)
        elif kind == "set_reply":
            body = reply_body(item["reply"])
        else:
            kind = "one_off"
            body, question = material.one_off(rng)
        earlier = (
            item["previous_replies"][-1]
            if kind == "set_reply" and item["previous_replies"]
            else dress(rng, rng.choice(EXTRA_SENTENCES) + " We are looking into it.", "Sam")
        )
        subject, text = ask(rng, question)
        cases.append(
            {
                "kind": kind,
                "subject": subject,
                "body": text,
                "earlier": earlier,
                "draft": dress(rng, body, rng.choice(FIRST_NAMES)),
            }
        )
    return cases


def create_tickets(cases: list[dict], now: datetime) -> list:
    from helpdesk.models import User
    from tickets.models import Message, Queue, Ticket

    agent = User.objects.filter(username="bench-agent-1").get()
    customer = User.objects.filter(username="bench-customer-0001").get()
    queue = Queue.objects.get(slug="support")
    tickets = Ticket.objects.bulk_create(
        Ticket(
            kind="support",
            subject=case["subject"],
            body=case["body"],
            status="open",
            priority="normal",
            queue=queue,
            requester=customer,
            assignee=agent,
            channel="email",
            created_at=now - timedelta(hours=3),
            updated_at=now - timedelta(hours=1),
        )
        for case in cases
    )
    Message.objects.bulk_create(
        Message(
            ticket=ticket,
            author=agent,
            body=case["earlier"],
            public=True,
            kind="reply",
            created_at=now - timedelta(hours=2),
        )
        for ticket, case in zip(tickets, cases, strict=True)
    )
    return [Ticket.objects.get(pk=t.pk) for t in tickets]


def percentile95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def plan_nodes(plan: dict) -> list[dict]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += plan_nodes(child)
    return nodes


def explain(sql: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
        (result,) = cursor.fetchone()
    result = json.loads(result) if isinstance(result, str) else result
    root = result[0]
    nodes = plan_nodes(root["Plan"])
    band = [n for n in nodes if n.get("Index Name") == BAND_INDEX]
    return {
        "band_lookup": band[0]["Node Type"] if band else None,
        "seq_scan_on": sorted({n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"}),
        "plan": [
            n["Node Type"]
            + (f" {n['Index Name']}" if "Index Name" in n else "")
            + (f" on {n['Relation Name']}" if "Relation Name" in n else "")
            for n in nodes
        ],
        "execution_ms": round(root["Execution Time"], 3),
    }


def load() -> dict:
    return {"load_avg_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}


def calibration_us() -> float:
    """``sum(range(1000))`` on this interpreter, as in bench/reply_quality_pure.py (about 8 µs
    on a current laptop): how fast, and how contended, the CPU was."""
    return round(min(timeit.repeat("sum(range(1000))", number=1000, repeat=5)) * 1000, 2)


def measure(*, n: int, count: int, now: datetime, material: Material, profile: bool):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from sla.fingerprints import reply_fingerprint
    from sla.replies import reply_candidates
    from tickets.services import reply_check

    cases = drafts(count=count + WARMUPS, material=material)
    calibration = calibration_us()
    load_before = load()
    with transaction.atomic():
        tickets = create_tickets(cases, now)
        pairs = list(zip(tickets, cases, strict=True))
        for ticket, case in pairs[:WARMUPS]:
            reply_check(ticket=ticket, body=case["draft"], now=now)
        pairs = pairs[WARMUPS:]
        samples, cpu = [], []
        gc.collect()
        for ticket, case in pairs:
            began, began_cpu = time.perf_counter(), time.thread_time()
            reply_check(ticket=ticket, body=case["draft"], now=now)
            cpu.append((time.thread_time() - began_cpu) * 1000)
            samples.append((time.perf_counter() - began) * 1000)
        load_after = load()

        queries, sql_ms, found, lookup, plans = [], [], [], [], []
        for ticket, case in pairs:
            with CaptureQueriesContext(connection) as captured:
                reply_check(ticket=ticket, body=case["draft"], now=now)
            queries.append(len(captured))
            sql_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
            fingerprint = reply_fingerprint(case["draft"])
            began = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                candidates = reply_candidates(fingerprint=fingerprint, ticket_id=ticket.pk, now=now)
            lookup.append((time.perf_counter() - began) * 1000)
            found.append(len(candidates))
            if captured.captured_queries:
                plans.append(explain(captured.captured_queries[-1]["sql"]))

        if profile:
            from sla import fingerprints, quality

            for cache in (
                fingerprints.shingles,
                fingerprints.reply_fingerprint,
                fingerprints.reply_body,
                quality._question,
                quality._reply,
                quality._raw_words,
            ):
                cache.cache_clear()
            profiler = cProfile.Profile()
            profiler.enable()
            for ticket, case in pairs:
                reply_check(ticket=ticket, body=case["draft"], now=now)
            profiler.disable()
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(25)
                log(out.getvalue())
        transaction.set_rollback(True)

    by_kind = {}
    for kind in ("template", "set_reply", "one_off"):
        ms = [s for s, (_, c) in zip(samples, pairs, strict=True) if c["kind"] == kind]
        hits = [f for f, (_, c) in zip(found, pairs, strict=True) if c["kind"] == kind]
        if ms:
            by_kind[kind] = {
                "drafts": len(ms),
                "median_ms": round(statistics.median(ms), 2),
                "p95_ms": round(percentile95(ms), 2),
                "candidates_median": statistics.median(hits),
            }
    median = statistics.median(samples)
    check = {
        "bench": "reply_quality",
        "measure": "reply_check",
        "n": n,
        "drafts": len(samples),
        "median_ms": round(median, 2),
        "p95_ms": round(percentile95(samples), 2),
        "queries": statistics.mode(queries),
        "queries_max": max(queries),
        "client_cpu_ms_median": round(statistics.median(cpu), 2),
        "sql_ms_median": round(statistics.median(sql_ms), 2),
        "candidates_median": statistics.median(found),
        "candidates_max": max(found),
        "by_kind": by_kind,
        "target_median_ms": TARGET_MEDIAN_MS,
        "ok": median < TARGET_MEDIAN_MS,
        "load_avg_1m_before": load_before["load_avg_1m"],
        "load_avg_1m_after": load_after["load_avg_1m"],
        "cpus": load_before["cpus"],
        "calibration_us": calibration,
    }
    indexed = [p for p in plans if p["band_lookup"] and not p["seq_scan_on"]]
    worst = max(plans, key=lambda p: p["execution_ms"])
    shapes: dict[str, int] = {}
    for p in plans:
        shape = " > ".join(p["plan"])
        shapes[shape] = shapes.get(shape, 0) + 1
    candidate = {
        "bench": "reply_quality",
        "measure": "candidate_lookup",
        "n": n,
        "median_ms": round(statistics.median(lookup), 2),
        "p95_ms": round(percentile95(lookup), 2),
        "explained": len(plans),
        "index_lookups": len(indexed),
        "index": BAND_INDEX,
        "execution_ms_median": round(statistics.median(p["execution_ms"] for p in plans), 3),
        "execution_ms_max": worst["execution_ms"],
        "slowest_plan": worst["plan"],
        "plans": shapes,
        "ok": len(indexed) == len(plans),
    }
    return check, candidate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="stored replies (default 100000)")
    parser.add_argument("--drafts", type=int, default=300, help="timed assessments")
    parser.add_argument("--reseed", action="store_true", help="seed even if N replies exist")
    parser.add_argument("--profile", action="store_true", help="cProfile the drafts (stderr)")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/reply_quality.py measures PostgreSQL: set a postgres:// URL")
    ensure_database(url)
    django_setup(url)

    from django.core.management import call_command
    from django.db.models import Max
    from django.utils import timezone

    from sla.models import ReplyFingerprint

    call_command("migrate", verbosity=0, interactive=False)
    now = timezone.now()
    material = Material(load_items())
    if args.reseed or ReplyFingerprint.objects.count() != args.n:
        seed(n=args.n, now=now, material=material)
    else:
        # Measure as if just after the seed, so the 30-day window holds every stored reply.
        now = ReplyFingerprint.objects.aggregate(latest=Max("sent_at"))["latest"] + timedelta(
            minutes=1
        )
        log(f"seed: {args.n} replies already there; not reseeding (--reseed to force)")
    check, candidate = measure(
        n=args.n, count=args.drafts, now=now, material=material, profile=args.profile
    )
    print(json.dumps(check), flush=True)
    print(json.dumps(candidate), flush=True)
    if not candidate["ok"]:
        log(f"candidate lookup: not always an index lookup on {BAND_INDEX}: {candidate['plans']}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
