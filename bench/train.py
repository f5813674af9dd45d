"""Benchmark training from the gold: time, memory, dev F1, stored size, prediction speed of a trained version.

Run from the repository root:

    .venv/bin/python bench/train.py [--documents 500] [--words 400] [--curve] [--skip-quality] [--skip-scale]

Three parts, all measured in this run:

1. Quality on hand-made gold. The five seed articles' gold (fixtures/gold)
   is the training set and the six blind articles (fixtures/blind,
   annotated by someone who never saw the extractor) the dev set:
   - default labels: the rule extractor alone, the trained recogniser alone,
     and the rule extractor with the trained recogniser in the pretrained
     one's place (trained with the pretrained recogniser's date, time,
     percent, money and ordinal spans kept, which the rules read);
   - a custom-label copy (ACTOR -> GROUP, LOCATION -> PLACE, QUANTITY ->
     COUNT): no rule knows these labels, so only the trained model suggests.
   Training time for each.
2. Scale: 500 gold documents through the app (services.training on a fresh
   SQLite database, split 80/20, default steps). The documents are made of
   seed-corpus sentences in a seeded random order and their gold is what
   the current rule extractor predicts for them (no hand-made gold exists at
   this size): the number is the time, the dev F1 says little. Wall time,
   peak memory (max RSS of this process), stored bytes. --curve adds the
   learning curve (3 more trainings) to the time.
3. Prediction throughput of the trained versions against the bare
   pretrained pipeline's nlp.pipe (all its components), in words/s, on the
   same texts.

Floors (from the issue): 500 documents train in under 10 minutes with under
2 GB; a trained version predicts at >= 0.8 of the bare pipeline's words/s;
stored bytes < 50 MB.
"""

from __future__ import annotations

import argparse
import glob
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.predict import generate

FLOORS = {"minutes_500": 10.0, "memory_gb": 2.0, "throughput_ratio": 0.8, "stored_mb": 50.0}
RENAME = {"ACTOR": "GROUP", "LOCATION": "PLACE", "QUANTITY": "COUNT"}


def read(pattern: str) -> list[tuple[str, str, list[dict]]]:
    records = []
    for path in sorted(glob.glob(str(ROOT / pattern))):
        with open(path, encoding="utf8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    records.append((r["id"], r["text"], [{k: s[k] for k in ("start", "end", "label")} for s in r["spans"]]))
    return records


def renamed(records):
    return [(k, t, [dict(s, label=RENAME[s["label"]]) for s in spans]) for k, t, spans in records]


def scores(extractor, records, labels) -> dict:
    from annotator.evaluation.schemes import evaluate

    known = set(labels)
    gold = [(k, s["label"], s["start"], s["end"]) for k, _, spans in records for s in spans]
    pred = [
        (k, s["label"], s["start"], s["end"])
        for (k, _, _), spans in zip(records, extractor.predict([t for _, t, _ in records]))
        for s in spans
        if s["label"] in known
    ]
    strict = evaluate(gold, pred, labels=labels, documents=[k for k, _, _ in records]).as_dict()["schemes"]["strict"]
    return {"f1": strict["micro"]["f1"], "per_label": {l: strict["per_label"][l]["f1"] for l in labels}}


def line(name: str, result: dict, seconds: float | None = None) -> None:
    per = " / ".join(f"{v:.3f}" for v in result["per_label"].values())
    took = f"   trained in {seconds:.1f} s" if seconds is not None else ""
    print(f"  {name:<34} strict micro-F1 {result['f1']:.3f}   per label {per}{took}")


def quality(trained_out: dict) -> None:
    from annotator.extraction import training as pure
    from annotator.extraction.pipeline import load_extractor

    seeds, blind = read("fixtures/gold/*.jsonl"), read("fixtures/blind/*.jsonl")
    labels = ["ACTOR", "LOCATION", "QUANTITY"]
    print(f"\n1. Train on the {len(seeds)} seed articles, dev = the {len(blind)} blind articles")
    print(f"  default labels ({' / '.join(labels)})")
    line("rule extractor (suggesting now)", scores(load_extractor(), blind, labels))
    settings = pure.TrainingSettings(labels=labels, max_steps=400, eval_frequency=50, patience=300, silver=True)
    started = time.monotonic()
    trained = pure.train_pipeline(settings, seeds, blind)
    took = time.monotonic() - started
    for merge in pure.MERGES:
        nlp = pure.assemble(trained.nlp, labels, merge)
        line(f"trained ({merge})", scores(pure.as_extractor(nlp, "x", ""), blind, labels), took if merge == pure.MODEL_ONLY else None)
        trained_out[merge] = nlp

    custom = list(RENAME.values())
    print(f"  custom-label copy ({' / '.join(custom)}): the rules know none of them (F1 0)")
    settings = pure.TrainingSettings(labels=custom, max_steps=400, eval_frequency=50, patience=300)
    started = time.monotonic()
    trained = pure.train_pipeline(settings, renamed(seeds), renamed(blind))
    took = time.monotonic() - started
    line("trained (model_only)", scores(pure.as_extractor(pure.assemble(trained.nlp, custom, pure.MODEL_ONLY), "x", ""), renamed(blind), custom), took)


def scale(documents: int, words: int, curve: bool) -> dict:
    from bench.scratch import setup_django

    setup_django(tempfile.mkdtemp(prefix="bench-train-"))
    from django.utils import timezone

    from annotator import services
    from annotator.extraction import token_offsets
    from annotator.models import Document, GoldSpan, content_hash
    from annotator.services import training

    project = services.ensure_project("bench", name="Training benchmark")
    labels = {label.name: label for label in project.labels.all()}
    texts = generate(documents, words, seed=0)
    extractor = services.get_extractor()
    now = timezone.now()
    stored = Document.objects.bulk_create(
        Document(project=project, text=t, tokens=[list(x) for x in token_offsets(t)], order=i, gold_at=now, content_hash=content_hash(t))
        for i, t in enumerate(texts)
    )
    GoldSpan.objects.bulk_create(
        GoldSpan(document=d, label=labels[s["label"]], start=s["start"], end=s["end"])
        for d, spans in zip(stored, extractor.predict(texts))
        for s in spans
    )
    total_words = sum(len(t.split()) for t in texts)
    print(f"\n2. {documents} gold documents ({total_words:,} words; gold = the rule extractor's output), default settings{', with the curve' if curve else ''}")
    started = time.monotonic()
    run = training.train_project(project, dev_fraction=0.2, seed=0, curve=curve)
    minutes = (time.monotonic() - started) / 60
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    result = training.summary(run)
    stored_mb = (result["bytes"] or 0) / 1e6
    print(f"  {run.train_documents} train / {run.dev_documents} dev documents, {run.params['max_steps']} steps max, {run.results['steps']} run")
    print(f"  wall time {minutes:.1f} min (floor < {FLOORS['minutes_500']:.0f})   peak memory {peak_gb:.2f} GB (floor < {FLOORS['memory_gb']:.0f})")
    print(f"  stored {result['version']} ({run.merge}): {stored_mb:.1f} MB (floor < {FLOORS['stored_mb']:.0f})")
    print(f"  dev strict F1 {result['dev']['micro']['f1']:.3f}; the rule extractor's {result['current']['micro']['f1']:.3f} (it wrote this gold)")
    if curve:
        print("  curve: " + ", ".join(f"{p['documents']} docs {p['f1']:.3f}" for p in result["curve"]) + f"   {result['verdict']['text']}")
    return {"minutes": minutes, "peak_gb": peak_gb, "stored_mb": stored_mb}


def throughput(pipelines: dict, words: int) -> None:
    import spacy

    from annotator.extraction.pipeline import DEFAULT_MODEL

    texts = generate(200, words, seed=1)
    n_words = sum(len(t.split()) for t in texts)
    bare = spacy.load(DEFAULT_MODEL)

    def rate(nlp) -> float:
        for _ in nlp.pipe(texts[:10]):
            pass
        started = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=16):
            pass
        return n_words / (time.perf_counter() - started)

    base = rate(bare)
    print(f"\n3. Throughput on {len(texts)} texts ({n_words:,} words)")
    print(f"  bare {DEFAULT_MODEL} nlp.pipe (all components): {base:,.0f} words/s")
    for name, nlp in pipelines.items():
        r = rate(nlp)
        print(f"  trained, {name:<14} {r:,.0f} words/s   ratio {r / base:.2f} (floor >= {FLOORS['throughput_ratio']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--words", type=int, default=400, help="Words per generated article (about).")
    parser.add_argument("--curve", action="store_true", help="Time the learning curve too in part 2.")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    pipelines: dict = {}
    if not args.skip_quality:
        quality(pipelines)
    if not args.skip_scale:
        scale(args.documents, args.words, args.curve)
    if pipelines:
        throughput(pipelines, args.words)


if __name__ == "__main__":
    main()
