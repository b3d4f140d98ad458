"""Speed of ``sla.quality.assess_reply`` with 50 recent replies, no database.

Run from the repository root: ``.venv/bin/python bench/reply_quality_pure.py``. Prints one
JSON line of microseconds per call (median and p95) over the 362 items of the evaluation set:

* ``stored``: 50 candidates per call carrying stored fingerprints, as the database layer
  passes them (the item's own recent replies plus others); cold, every text new to the
  caches. This is the production path.
* ``stored_all_near``: the worst case, 50 candidates that are all one template, each with a
  different question to compare; cold.
* ``text_cold`` / ``text_warm``: 50 candidates as plain strings, shingled on the fly: every
  text new, and the same call made a second time (the page re-checking a draft).
* ``reply_fingerprint_us``: mean cost of fingerprinting one reply (done once when it is sent).
* ``calibration_us``: ``sum(range(1000))`` on the same interpreter, to compare machines
  (about 8 µs on a current laptop).

The bar is well under 1,000 µs per call.
"""

import gc
import json
import random
import statistics
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sla import fingerprints, quality
from sla.fingerprints import reply_fingerprint
from sla.quality import RecentReply, assess_reply

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "reply_quality"
RECENT = 50


def load():
    items = []
    for name in ("tuning.jsonl", "heldout.jsonl"):
        with open(DATA / name, encoding="utf-8") as handle:
            items += [json.loads(line) for line in handle]
    return items


def clear_caches():
    fingerprints.shingles.cache_clear()
    fingerprints.reply_fingerprint.cache_clear()
    fingerprints.reply_body.cache_clear()
    quality._question.cache_clear()
    quality._reply.cache_clear()
    quality._raw_words.cache_clear()


def candidates(item, pool, rng, salt):
    chosen = [(r["text"], r["question"], r["count"]) for r in item["recent_replies"]]
    chosen += rng.sample(pool, RECENT - len(chosen))
    return [(f"{text} {salt}", f"{question} {salt}", count) for text, question, count in chosen]


def timed(items, calls):
    durations = []
    for item, recent in zip(items, calls, strict=True):
        began = time.perf_counter()
        assess_reply(
            item["question"],
            item["reply"],
            previous_replies=item["previous_replies"],
            recent_replies=recent,
        )
        durations.append((time.perf_counter() - began) * 1e6)
    return durations


def summary(durations):
    ordered = sorted(durations)
    return {
        "median_us": round(statistics.median(ordered), 1),
        "p95_us": round(ordered[int(len(ordered) * 0.95)], 1),
    }


def run(items, pool, salt, *, stored, all_near=False):
    rng = random.Random(20260301)
    calls = []
    for index, item in enumerate(items):
        if all_near:
            template = item["reply"]
            rows = [
                (f"Hi {salt}{n},\n\n{template}", f"{pool[(index + n) % len(pool)][1]} {salt}", 1)
                for n in range(RECENT)
            ]
        else:
            rows = candidates(item, pool, rng, f"{salt}{index}")
        recent = []
        for text, question, count in rows:
            fingerprint = reply_fingerprint(text) if stored else None
            recent.append(RecentReply(text, question, count, fingerprint))
        calls.append(recent)
    if stored:
        clear_caches()
    gc.collect()
    return timed(items, calls)


def run_twice(items, pool):
    """Each call made twice in a row, the second timed: the page re-checking a draft."""
    rng = random.Random(20260302)
    durations = []
    for index, item in enumerate(items):
        recent = [RecentReply(*row) for row in candidates(item, pool, rng, f"again{index}")]
        for _ in range(2):
            began = time.perf_counter()
            assess_reply(
                item["question"],
                item["reply"],
                previous_replies=item["previous_replies"],
                recent_replies=recent,
            )
        durations.append((time.perf_counter() - began) * 1e6)
    return durations


items = load()
pool = [(item["reply"], item["question"], 1) for item in items]

clear_caches()
stored = run(items, pool, "stored", stored=True)
stored_all_near = run(items, pool, "near", stored=True, all_near=True)
clear_caches()
text_cold = run(items, pool, "text", stored=False)
text_warm = run_twice(items, pool)

clear_caches()
began = time.perf_counter()
for item in items:
    reply_fingerprint(item["reply"] + " fp")
fingerprint_us = (time.perf_counter() - began) * 1e6 / len(items)

print(
    json.dumps(
        {
            "bench": "reply_quality_pure",
            "calls": len(items),
            "recent_replies": RECENT,
            "stored": summary(stored),
            "stored_all_near": summary(stored_all_near),
            "text_cold": summary(text_cold),
            "text_warm": summary(text_warm),
            "reply_fingerprint_us": round(fingerprint_us, 1),
            "calibration_us": round(
                min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6, 1
            ),
        }
    )
)
