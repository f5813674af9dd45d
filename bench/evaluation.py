"""Time the pure scoring: 10,000 documents with 30 gold and 30 predicted spans each.

The predictions are the gold with the usual mistakes mixed in: most spans
right, some with a shifted boundary, some with another label, some missed,
some spurious. Prints the time of each part; nothing is asserted (the goal
is all schemes in under 2 s).

    .venv/bin/python bench/evaluation.py [--documents N] [--spans N]
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.evaluation import schemes as span_scores  # noqa: E402
from annotator.evaluation.schemes import evaluate  # noqa: E402

LABELS = ["ACTOR", "LOCATION", "QUANTITY"]


def make_corpus(documents: int, per_document: int, seed: int = 13):
    rng = random.Random(seed)
    gold, pred = [], []
    for d in range(documents):
        doc_id = f"doc-{d}"
        position = 0
        for _ in range(per_document):
            start = position + rng.randint(2, 40)
            end = start + rng.randint(3, 25)
            position = end
            label = rng.choice(LABELS)
            gold.append((doc_id, label, start, end))
            roll = rng.random()
            if roll < 0.70:  # right
                pred.append((doc_id, label, start, end))
            elif roll < 0.80:  # boundary
                pred.append((doc_id, label, start + 1, end))
            elif roll < 0.87:  # label
                pred.append((doc_id, rng.choice([x for x in LABELS if x != label]), start, end))
            elif roll < 0.90:  # label and boundary
                pred.append((doc_id, rng.choice([x for x in LABELS if x != label]), start, end + 1))
            else:  # missed, and a spurious span elsewhere so each side keeps per_document spans
                pred.append((doc_id, rng.choice(LABELS), end + 1, end + 2))
    return gold, pred


def timed(fn, repeat: int):
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return result, min(times), statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--spans", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    gold, pred = make_corpus(args.documents, args.spans)
    print(f"{args.documents:,} documents, {len(gold):,} gold and {len(pred):,} predicted spans")

    result, best, median = timed(lambda: evaluate(gold, pred, labels=LABELS).as_dict(), args.repeat)
    micro = {scheme: round(result["schemes"][scheme]["micro"]["f1"], 4) for scheme in result["schemes"]}
    print(f"all schemes + confusion (schemes.evaluate):  best {best:.3f} s, median {median:.3f} s   F1 {micro}")

    _, best, median = timed(lambda: evaluate(gold, pred, labels=LABELS, keep_outcomes=True).as_dict(), args.repeat)
    print(f"  ... keeping every document's outcomes:    best {best:.3f} s, median {median:.3f} s")

    for name, fn in (("strict", span_scores.strict), ("overlap", span_scores.overlap), ("unlabelled", span_scores.unlabelled)):
        _, best, median = timed(lambda fn=fn: fn(gold, pred), args.repeat)
        print(f"schemes.{name:<11} (that figure alone):    best {best:.3f} s, median {median:.3f} s")


if __name__ == "__main__":
    main()
