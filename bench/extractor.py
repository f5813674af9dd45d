"""Benchmark the extractor on the seed gold: quality against the baseline, and speed.

Run from the repository root:

    .venv/bin/python bench/extractor.py [--gold 'fixtures/gold/*.jsonl'] [--errors]

Prints, for (a) the pretrained model with only the label map and (b) the full
extractor, both measured in this run: strict and overlap micro-F1 and
per-label P/R/F1. Then the throughput in words per second of the full
extractor against the bare pretrained pipeline (all its components) over the
same texts, as a ratio. --errors lists the full extractor's misses and false
alarms, for looking at error categories.

Two checks of how the rules hold beyond the seeds follow: (c) the full
extractor with every gazetteer place that occurs in the gold texts taken
out of its patterns, so those places must be found as on an unseen article
(by the model and the context rules); (d) the held-out articles of
tests/extraction/data, written and annotated apart from the seeds.
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import spacy  # noqa: E402

from annotator.evaluation.schemes import overlap, strict  # noqa: E402


class Span(NamedTuple):
    """A (doc_id, label, start, end) tuple, as the scoring core takes spans, with names for the error listing."""

    doc_id: str
    label: str
    start: int
    end: int

from annotator.extraction.lexicon import read_patterns  # noqa: E402
from annotator.extraction.pipeline import DEFAULT_MODEL, build_extractor, load_extractor  # noqa: E402

HELDOUT = ROOT / "tests" / "extraction" / "data" / "heldout_articles.md"
# Articles written and annotated by someone who never saw the extractor's code or output.
BLIND = "fixtures/blind/*.jsonl"
MARKUP = re.compile(r"\[([^\]]+)\]\((ACTOR|LOCATION|QUANTITY)\)")

FLOORS = {"strict_micro_f1": 0.85, "overlap_micro_f1": 0.92, "per_label_strict_f1": 0.80, "throughput_ratio": 0.70}


def read_gold(pattern: str) -> list[dict]:
    """Return the canonical JSONL records of the files matching `pattern`."""
    records = []
    for path in sorted(glob.glob(str(ROOT / pattern) if not Path(pattern).is_absolute() else pattern)):
        with open(path, encoding="utf8") as f:
            records.extend(json.loads(line) for line in f if line.strip())
    return records


def gold_spans(records: list[dict]) -> list[Span]:
    return [Span(r["id"], s["label"], s["start"], s["end"]) for r in records for s in r["spans"]]


def predicted_spans(extractor, records: list[dict]) -> list[Span]:
    texts = [r["text"] for r in records]
    return [
        Span(r["id"], s["label"], s["start"], s["end"])
        for r, spans in zip(records, extractor.predict(texts), strict=True)
        for s in spans
    ]


def print_scores(title: str, gold: list[Span], pred: list[Span]) -> dict:
    s, o = strict(gold, pred), overlap(gold, pred)
    print(f"\n{title}")
    print(
        f"  micro F1   strict {s['micro']['f1']:.3f}   overlap {o['micro']['f1']:.3f}"
        f"   (strict tp {s['micro']['tp']} fp {s['micro']['fp']} fn {s['micro']['fn']})"
    )
    print(f"  {'label':<10} {'strict P':>9} {'R':>6} {'F1':>6}   {'overlap P':>9} {'R':>6} {'F1':>6}")
    for label in sorted(s["per_label"]):
        a, b = s["per_label"][label], o["per_label"][label]
        print(
            f"  {label:<10} {a['precision']:>9.3f} {a['recall']:>6.3f} {a['f1']:>6.3f}"
            f"   {b['precision']:>9.3f} {b['recall']:>6.3f} {b['f1']:>6.3f}"
        )
    return {"strict": s, "overlap": o}


def read_heldout() -> list[dict]:
    """Return the held-out articles ("[text](LABEL)" markup) as canonical records."""
    records = []
    blocks = HELDOUT.read_text(encoding="utf8").split("\n=====\n")[1:]
    for n, block in enumerate(blocks):
        text, spans, pos = "", [], 0
        for match in MARKUP.finditer(block.strip("\n")):
            text += block.strip("\n")[pos : match.start()]
            spans.append({"start": len(text), "end": len(text) + len(match.group(1)), "label": match.group(2)})
            text += match.group(1)
            pos = match.end()
        text += block.strip("\n")[pos:]
        records.append({"id": f"heldout-{n}", "text": text, "spans": spans})
    return records


def without_listed_places(records: list[dict]) -> list[dict]:
    """Return the project's patterns minus the gazetteer places that occur in `records`."""
    texts = "\n".join(r["text"] for r in records)
    return [
        p
        for p in read_patterns()
        if not (p["id"] == "place" and isinstance(p["pattern"], str) and p["pattern"] in texts)
    ]


def print_errors(records: list[dict], gold: list[Span], pred: list[Span]) -> None:
    texts = {r["id"]: r["text"] for r in records}
    g, p = set(gold), set(pred)
    for doc_id in sorted(texts):
        text = texts[doc_id]
        misses = sorted(s for s in g - p if s.doc_id == doc_id)
        alarms = sorted(s for s in p - g if s.doc_id == doc_id)
        print(f"\n== {doc_id}: {len(misses)} missed, {len(alarms)} false")
        for kind, spans in (("FN", misses), ("FP", alarms)):
            for s in sorted(spans, key=lambda s: s.start):
                left = text[max(0, s.start - 30) : s.start].replace("\n", " ")
                right = text[s.end : s.end + 20].replace("\n", " ")
                print(f"  {kind} {s.label:<9} …{left}[{text[s.start : s.end]}]{right}…")


def words_per_second(run, texts: list[str], words: int, repeats: int) -> float:
    """Return the best words/second of `repeats` timed runs of `run(texts)` (after one warm-up)."""
    run(texts)
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(texts)
        rates.append(words / (time.perf_counter() - t0))
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", default="fixtures/gold/*.jsonl", help="glob of canonical JSONL gold files")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="pretrained spaCy pipeline")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per pipeline (median taken)")
    parser.add_argument("--errors", action="store_true", help="list the full extractor's errors")
    args = parser.parse_args(argv)

    records = read_gold(args.gold)
    if not records:
        print(f"no gold records match {args.gold}", file=sys.stderr)
        return 1
    print(f"gold: {len(records)} documents, {sum(len(r['spans']) for r in records)} spans ({args.gold})")
    gold = gold_spans(records)

    baseline = load_extractor(args.model, rules=False)
    full = load_extractor(args.model)
    print(f"(a) {baseline.version}   (b) {full.version}")
    print(f"    full pipeline: {full.nlp.pipe_names}")
    for warning in full.warnings:
        print(f"    warning: {warning}")

    print_scores("(a) pretrained model + label map", gold, predicted_spans(baseline, records))
    full_pred = predicted_spans(full, records)
    result = print_scores("(b) full extractor", gold, full_pred)

    ablated = build_extractor(args.model, patterns=without_listed_places(records))
    removed = len(full.nlp.get_pipe("domain_ruler").patterns) - len(ablated.nlp.get_pipe("domain_ruler").patterns)
    print_scores(
        f"(c) full extractor without the {removed} gazetteer places named in the gold texts",
        gold,
        predicted_spans(ablated, records),
    )
    if HELDOUT.exists():
        heldout = read_heldout()
        print_scores(
            f"(d) full extractor on {len(heldout)} held-out articles ({HELDOUT.relative_to(ROOT)})",
            gold_spans(heldout),
            predicted_spans(full, heldout),
        )
    blind = read_gold(BLIND)
    if blind:
        print_scores(
            f"(e) full extractor on {len(blind)} blind articles ({BLIND}; never used to write rules)",
            gold_spans(blind),
            predicted_spans(full, blind),
        )
        print_scores("(e') pretrained model + label map on the blind articles", gold_spans(blind), predicted_spans(baseline, blind))

    texts = [r["text"] for r in records]
    words = sum(len(t.split()) for t in texts)
    bare = spacy.load(args.model)
    bare_rate = words_per_second(lambda ts: list(bare.pipe(ts)), texts, words, args.repeats)
    full_rate = words_per_second(lambda ts: list(full.predict(ts)), texts, words, args.repeats)
    ratio = full_rate / bare_rate
    print(f"\nthroughput over {words} words (median of {args.repeats} runs)")
    print(f"  bare pretrained pipeline {bare.pipe_names}: {bare_rate:,.0f} words/s")
    print(f"  full extractor: {full_rate:,.0f} words/s")
    print(f"  ratio full/bare: {ratio:.2f}")

    s, o = result["strict"], result["overlap"]
    checks = {
        "strict micro-F1 >= 0.85": s["micro"]["f1"] >= FLOORS["strict_micro_f1"],
        "overlap micro-F1 >= 0.92": o["micro"]["f1"] >= FLOORS["overlap_micro_f1"],
        "every label strict F1 >= 0.80": all(v["f1"] >= FLOORS["per_label_strict_f1"] for v in s["per_label"].values()),
        "throughput ratio >= 0.70": ratio >= FLOORS["throughput_ratio"],
    }
    print("\nfloors")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")

    if args.errors:
        print_errors(records, gold, full_pred)
    return 0 if all(checks.values()) else 2


if __name__ == "__main__":
    sys.exit(main())
