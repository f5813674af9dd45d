"""Benchmark: import and export throughput and peak memory, canonical JSONL and spaCy DocBin.

Generates documents of about 300 words with 30 spans each, then on a
throw-away SQLite database in a temporary folder: imports the JSONL (with
validation and token offsets, without prediction), exports the gold as JSONL
and as DocBin, and imports the DocBin into a second project. Prints
documents and spans per second, the CPU time the step took (all threads;
when it is near the wall time on a 2-core machine, the other core was busy
elsewhere) and the process's peak memory after each step. Floors (issue
4): JSONL export >= 20,000 docs/s, import >= 1,500 docs/s, peak memory
< 500 MB.

    .venv/bin/python bench/formats.py [--docs 100000] [--no-docbin]
"""

import argparse
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from scratch import setup_django

LABELS = ("ACTOR", "LOCATION", "QUANTITY")


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    syllables = ["ka", "ro", "mi", "su", "le", "ta", "bar", "qa", "in", "del", "or", "an", "ve", "zu", "ham"]
    words = {"".join(rng.choice(syllables) for _ in range(rng.randint(1, 3))) for _ in range(size * 2)}
    return sorted(words)[:size]


def document(number: int, rng: random.Random, words: list[str], length: int, spans: int) -> dict:
    """About `length` words in sentences, `spans` spans of one or two capitalised words."""
    parts, out, position = [], [], 0
    every = max(length // spans, 3)
    for i in range(length):
        word = rng.choice(words)
        at_span = i % every == 1 and len(out) < spans
        if at_span:
            word = word.capitalize() + (" " + rng.choice(words).capitalize() if rng.random() < 0.4 else "")
            out.append({"start": position, "end": position + len(word), "label": LABELS[len(out) % 3]})
        end = "." if i % 15 == 14 else ","  if i % 7 == 3 else ""
        piece = word + end
        parts.append(piece)
        position += len(piece) + 1
    parts.append(f"(doc {number})")
    return {"id": f"doc-{number}", "text": " ".join(parts), "spans": out, "meta": {"source": "bench"}}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Step:
    """Wall and CPU time of one step: CPU time tells a slow step from a busy machine."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, cpu_seconds() - self.cpu


def line(name: str, step: Step, documents: int, spans: int) -> None:
    print(
        f"  {name:<22} {step.wall:7.1f} s  {documents / step.wall:9,.0f} docs/s  {spans / step.wall:11,.0f} spans/s"
        f"   cpu {step.cpu:6.1f} s   peak {peak_mb():6.0f} MB"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--spans", type=int, default=30)
    parser.add_argument("--no-docbin", action="store_true", help="JSONL only (the DocBin steps take minutes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        from annotator import services

        rng = random.Random(4)
        words = vocabulary(rng)
        source = Path(folder) / "docs.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for number in range(args.docs):
                handle.write(json.dumps(document(number, rng, words, args.words, args.spans)) + "\n")
        size = source.stat().st_size
        print(
            f"{args.docs:,} documents of ~{args.words} words and {args.spans} spans "
            f"({size / (1 << 20):.0f} MB of JSONL); SQLite in a temporary folder; peak = the process's so far"
        )
        print(f"  {'setup':<22} peak {peak_mb():6.0f} MB")

        project = services.ensure_project("bench")
        with Step() as step:
            result = services.import_file(project, source, fmt="jsonl")
        line("import JSONL", step, result.documents_created, result.spans)

        for fmt, name in (("jsonl", "gold.jsonl"), ("spacy", "gold.spacy"))[: 1 if args.no_docbin else 2]:
            with Step() as step:
                exported = services.export_layer(project, fmt=fmt, layer="gold", output=Path(folder) / name)
            line(f"export {'DocBin' if fmt == 'spacy' else 'JSONL'}", step, exported.documents, exported.spans)

        if args.no_docbin:
            return
        second = services.ensure_project("bench-docbin")
        with Step() as step:
            result = services.import_file(second, Path(folder) / "gold.spacy", fmt="spacy")
        line("import DocBin", step, result.documents_created, result.spans)
        print(f"  DocBin file {(Path(folder) / 'gold.spacy').stat().st_size / (1 << 20):.0f} MB")


if __name__ == "__main__":
    main()
