"""Precision and recall of ``assess_reply`` on the labelled evaluation set (generic = positive).

The held-out part was split off by id hash before any tuning and is never tuned on; it must
keep precision >= 0.90 and recall >= 0.85. The figures of both parts are printed with every
run, and so are the items the assessment gets wrong.
"""

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from sla.quality import RecentReply, assess_reply

DATA = Path(__file__).resolve().parent.parent / "data" / "reply_quality"
MIN_PRECISION = 0.90
MIN_RECALL = 0.85


def load(part):
    with open(DATA / f"{part}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def confusion(items):
    counts = Counter()
    misses = []
    for item in items:
        recent = [
            RecentReply(row["text"], row.get("question", ""), row.get("count", 1))
            for row in item["recent_replies"]
        ]
        assessment = assess_reply(
            item["question"],
            item["reply"],
            previous_replies=item["previous_replies"],
            recent_replies=recent,
        )
        expected = item["label"] == "generic"
        counts[(expected, assessment.generic)] += 1
        if expected != assessment.generic:
            misses.append((item["id"], assessment.score, assessment.reasons))
    return counts, misses


def figures(part, capsys):
    counts, misses = confusion(load(part))
    true_positives = counts[(True, True)]
    precision = true_positives / max(1, true_positives + counts[(False, True)])
    recall = true_positives / max(1, true_positives + counts[(True, False)])
    with capsys.disabled():
        print(
            f"\n{part}: {sum(counts.values())} items, precision {precision:.3f},"
            f" recall {recall:.3f} (tp {true_positives}, fp {counts[(False, True)]},"
            f" fn {counts[(True, False)]}, tn {counts[(False, False)]})"
        )
        for miss in misses:
            print("  wrong:", *miss)
    return precision, recall


def test_the_evaluation_set_is_large_balanced_and_split_by_id_hash():
    parts = {part: load(part) for part in ("tuning", "heldout")}
    items = parts["tuning"] + parts["heldout"]
    ids = [item["id"] for item in items]

    assert len(items) >= 300
    assert len(set(ids)) == len(ids)
    assert 0.40 <= sum(item["label"] == "generic" for item in items) / len(items) <= 0.50
    assert 0.35 <= len(parts["heldout"]) / len(items) <= 0.45
    for part, rows in parts.items():
        for item in rows:
            bucket = int(hashlib.sha256(item["id"].encode()).hexdigest()[:8], 16) % 100
            assert (bucket < 60) == (part == "tuning"), item["id"]
            assert item["label"] in {"generic", "specific"}
            assert item["question"].strip()
            assert item["reply"].strip()


@pytest.mark.parametrize("part", ["tuning", "heldout"])
def test_precision_and_recall(part, capsys):
    precision, recall = figures(part, capsys)

    if part == "heldout":
        assert precision >= MIN_PRECISION
        assert recall >= MIN_RECALL
