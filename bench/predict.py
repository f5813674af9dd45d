"""Benchmark background prediction: the app's throughput against bare nlp.pipe, with 1 and 2 workers.

Run from the repository root:

    .venv/bin/python bench/predict.py [--documents 1000] [--words 250] [--database-url URL]

It generates articles from the sentences of the seed corpus, stores them
in a fresh database (SQLite in a temporary folder, or the empty PostgreSQL
database given), then measures in one run, on the same texts:

- bare: the extractor's spaCy pipeline (annotator.extraction.load_extractor)
  running `nlp.pipe` over the texts in this process, nothing stored;
- app, 1 worker and 2 workers: `jobs.start.start_prediction` and that many
  `manage.py task_worker` processes (database backend), from the start of
  the run until its last chunk is stored: tasks, chunking, reading the
  texts, converting and writing the predictions, progress, everything.

The workers are started and load the extractor before the clock starts,
as a long-running worker would have. Prints documents/s and the ratios;
the floor is app (1 worker) >= 0.85 of bare.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLOOR = 0.85


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--words", type=int, default=250, help="Words per generated article (about).")
    parser.add_argument("--chunk-size", type=int, default=200)
    parser.add_argument("--database-url", help="An empty database to use instead of a temporary SQLite file.")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def generate(n: int, words: int, seed: int) -> list[str]:
    """Articles made of seed-corpus sentences in a seeded random order, each unique."""
    sentences = []
    for path in sorted((ROOT / "fixtures" / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 5]
    rng = random.Random(seed)
    articles = []
    for i in range(n):
        body, count = [], 0
        while count < words:
            sentence = rng.choice(sentences)
            body.append(sentence)
            count += len(sentence.split())
        articles.append(f"Generated article {i}.\n\n" + " ".join(body))
    return articles


def setup_environment(args) -> dict:
    var = Path(tempfile.mkdtemp(prefix="bench-predict-"))
    env = {
        "ANNOTATOR_VAR_DIR": str(var),
        "TASKS_BACKEND": "db",
        "PREDICT_CHUNK_SIZE": str(args.chunk_size),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
    return {**os.environ, **env}


class Worker:
    """A `manage.py task_worker` process; ready once it has loaded the extractor and polls for tasks."""

    def __init__(self, env: dict):
        self.ready = threading.Event()
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "task_worker", "--interval", "0.05", "--recover-every", "0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line)
            if "Starting worker" in line:
                self.ready.set()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def app_run(project, env: dict, workers: int, timeout: float = 3600) -> float:
    """Seconds from starting a prediction run until it is done, with `workers` worker processes."""
    from annotator.jobs import start
    from annotator.models import Prediction, TaskRun

    Prediction.objects.filter(document__project=project).delete()
    started = [Worker(env) for _ in range(workers)]
    try:
        for worker in started:
            if not worker.ready.wait(timeout=120):
                raise SystemExit("a worker did not start:\n" + "".join(worker.output[-30:]))
        begin = time.perf_counter()
        run = start.start_prediction(project)
        while True:
            run.refresh_from_db()
            if run.finished:
                break
            if time.perf_counter() - begin > timeout:
                raise SystemExit("the run did not finish in time")
            time.sleep(0.02)
        elapsed = time.perf_counter() - begin
    finally:
        for worker in started:
            worker.stop()
    run = TaskRun.objects.get(pk=run.pk)
    if run.status != "done" or run.errors or run.done != run.total:
        raise SystemExit(f"the run went wrong: {run.status} {run.done}/{run.total} {run.errors}")
    stored = Prediction.objects.filter(document__project=project).count()
    if stored != project.documents.count():
        raise SystemExit(f"{stored} documents predicted of {project.documents.count()}")
    return elapsed


def main() -> int:
    args = parse_args()
    env = setup_environment(args)
    import django

    django.setup()
    from django.core.management import call_command

    from annotator import services
    from annotator.extraction import load_extractor
    from annotator.formats import Record

    call_command("migrate", verbosity=0)
    texts = generate(args.documents, args.words, args.seed)
    words = sum(len(t.split()) for t in texts)
    project = services.ensure_project("bench", name="Prediction benchmark")
    services.import_records(project, [Record(id=f"g{i}", text=t) for i, t in enumerate(texts)], has_spans=False)

    extractor = load_extractor()
    print(f"{len(texts)} generated articles, {words:,} words (about {words // len(texts)} each); extractor {extractor.version}")
    list(extractor.nlp.pipe(texts[:32], batch_size=16))  # warm up

    def bare() -> float:
        begin = time.perf_counter()
        for _ in extractor.nlp.pipe(texts, batch_size=16):
            pass
        return time.perf_counter() - begin

    bare_first = bare()
    one = app_run(project, env, 1)
    two = app_run(project, env, 2)
    bare_second = bare()
    # The faster of two bare passes (one before, one after the app runs): the ratio is not flattered.
    bare_seconds = min(bare_first, bare_second)

    n = len(texts)
    rate = {"bare": n / bare_seconds, "one": n / one, "two": n / two}
    print("\nthroughput (documents/s)")
    print(f"  bare nlp.pipe, this process:        {rate['bare']:8.1f}  ({bare_seconds:.1f} s; the two passes {bare_first:.1f} s, {bare_second:.1f} s)")
    print(f"  app, 1 worker (tasks + DB writes):  {rate['one']:8.1f}  ({one:.1f} s)")
    print(f"  app, 2 workers:                     {rate['two']:8.1f}  ({two:.1f} s)")
    print(f"\n  ratio app/bare, 1 worker:  {rate['one'] / rate['bare']:.3f}")
    print(f"  ratio app/bare, 2 workers: {rate['two'] / rate['bare']:.3f}")
    print(f"  2 workers / 1 worker:      {rate['two'] / rate['one']:.2f}x on {os.cpu_count()} cores")
    ok = rate["one"] / rate["bare"] >= FLOOR
    print(f"\nfloors\n  {'ok  ' if ok else 'FAIL'} app throughput with 1 worker >= {FLOOR} of bare nlp.pipe")
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
