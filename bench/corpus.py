"""A synthetic news corpus for the API benchmarks: ~600-word documents with 30 predicted spans each.

Deterministic (seeded): the same arguments give the same documents, so the
command and the API are timed on the same input.
"""

from __future__ import annotations

import json
import random

WORDS = (
    "the a of to in and said on for with by at from that was were their after who had about near "
    "officials reported forces local residents city region government attack border province troops "
    "aid convoy village market night morning week statement council police army rebels militia"
).split()
NAMES = {
    "ACTOR": ["Iraqi forces", "Islamic State", "the United Nations", "Kurdish fighters", "Houthi rebels", "the army"],
    "LOCATION": ["Mosul", "Raqqa", "Aleppo", "Sanaa", "Kabul", "Tripoli", "Idlib", "Mogadishu"],
    "QUANTITY": ["200 militants", "12 civilians", "three soldiers", "40 families", "1,500 people"],
}
LABELS = list(NAMES)


def document(index: int, words: int = 600, spans: int = 30) -> dict:
    """One canonical JSONL record: text, 30 spans (start, end, label, score, source), an id."""
    rng = random.Random(index)
    pieces: list[str] = []
    found = []
    length = 0
    every = max(1, words // spans)
    for position in range(words):
        if position % every == every // 2 and len(found) < spans:
            label = LABELS[len(found) % len(LABELS)]
            piece = rng.choice(NAMES[label])
            start = length + (1 if pieces else 0)
            found.append({"start": start, "end": start + len(piece), "label": label, "score": round(rng.uniform(0.3, 1.0), 3), "source": "bench"})
        else:
            piece = rng.choice(WORDS)
        length += len(piece) + (1 if pieces else 0)
        pieces.append(piece)
        if position % 17 == 16:
            pieces[-1] += "."
            length += 1
    text = f"Report {index}: " + " ".join(pieces) + "."
    shift = len(f"Report {index}: ")
    for span in found:
        span["start"] += shift
        span["end"] += shift
    return {"id": f"bench-{index}", "text": text, "spans": found, "meta": {"source": "bench"}}


def write_jsonl(path, count: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for index in range(count):
            handle.write(json.dumps(document(index)) + "\n")


if __name__ == "__main__":
    record = document(1)
    assert all(record["text"][s["start"] : s["end"]] for s in record["spans"])
    print(len(record["text"].split()), len(record["spans"]), record["spans"][:2])
