"""The API loops of issue 11 against a live server: gunicorn (2 workers) on SQLite and on PostgreSQL.

For each database and corpus size (~600-word documents with 30 predicted
spans each, bench/corpus.py) it prepares a fresh database, then times with
one client:

- import documents + predictions via the API (pushes of 1,000 documents,
  layer model), beside `manage.py import_docs --layer model` on the same file;
- fetch one document with its spans (GET predictions/?document=ID);
- save one span (POST annotations/AID/spans/);
- export the whole project (POST exports/, the task run by a task worker, then the download).

and prints p50/p95 per loop. Floors on a quiet machine: fetch and save p50
<= 10 ms and p95 <= 20 ms, the 10,000-document push <= 10 s, PostgreSQL
within 1.3x of SQLite. On a busy machine read the ratios.

    .venv/bin/python bench/api_loops.py [--docs 1000 10000] [--db sqlite postgres] [--requests 300]

PostgreSQL: DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/);
the database `annotator_bench_api` is dropped and made again for each run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from corpus import document, write_jsonl  # noqa: E402

PY = sys.executable
PG_NAME = "annotator_bench_api"
LABELS = "ACTOR,LOCATION,QUANTITY"
SETUP_USERS = """
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from annotator.models import Membership, Project
project = Project.objects.get(slug="api")
tokens = []
for name, role in (("boss", "manager"), ("ann", "annotator")):
    user = get_user_model().objects.create_user(name, password="bench-password-123")
    Membership.objects.create(project=project, user=user, role=role)
    tokens.append(AuthToken.objects.create(user=user)[1])
print("TOKENS", *tokens)
"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def ms(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:7.1f} ms  p95 {percentile(values, 0.95) * 1000:7.1f} ms  (n={len(values)})"


class Setup:
    """A fresh database, its environment, and the processes (gunicorn, a task worker) serving it."""

    def __init__(self, db: str, folder: Path, port: int):
        self.db, self.folder, self.port = db, folder, port
        self.env = {
            **os.environ,
            "ANNOTATOR_VAR_DIR": str(folder),
            "SECRET_KEY": "bench-secret-key-not-for-production-" + "x" * 20,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "TASKS_BACKEND": "db",
            "PYTHONPATH": str(ROOT),
        }
        self.env.pop("DATABASE_URL", None)
        if db == "postgres":
            base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/").rsplit("/", 1)[0]
            self.env["DATABASE_URL"] = f"{base}/{PG_NAME}"
            self._recreate_pg(base)
        self.processes: list[subprocess.Popen] = []
        self.url = f"http://127.0.0.1:{port}"

    def _recreate_pg(self, base: str) -> None:
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {PG_NAME}")

    def manage(self, *args: str, capture: bool = False) -> str:
        out = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
        return out.stdout

    def start(self) -> None:
        gunicorn = [PY, "-m", "gunicorn", "annotator.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "600"]
        for command in (gunicorn, [PY, "manage.py", "task_worker", "--no-preload"]):
            self.processes.append(
                subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.folder / "server.log", "a"), start_new_session=True)
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/api/", timeout=30)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start: see " + str(self.folder / "server.log"))

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of gunicorn's worker processes (children of the arbiter)."""
        arbiter = self.processes[0].pid
        sizes = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{arbiter}$", text, re.M):
                sizes.append(int(re.search(r"^VmRSS:\s+(\d+)", text, re.M).group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def push(session, url: str, count: int) -> tuple[float, list[float]]:
    """Push the corpus in requests of 1,000 documents with their predictions; (total seconds, per request)."""
    bodies = []
    for begin in range(0, count, 1000):
        docs = [document(i) for i in range(begin, min(count, begin + 1000))]
        bodies.append(json.dumps({"documents": docs, "layer": "model", "model": "bench-api"}).encode())
    times = []
    started = time.perf_counter()
    for body in bodies:
        t = time.perf_counter()
        response = session.post(f"{url}/documents/", data=body, headers={"Content-Type": "application/json"}, timeout=600)
        times.append(time.perf_counter() - t)
        if response.status_code != 201:
            raise RuntimeError(f"push: {response.status_code} {response.text[:500]}")
    return time.perf_counter() - started, times


def free_words(index: int) -> list[tuple[int, int]]:
    """Word offsets of document `index` that no predicted span touches (where a new span may go)."""
    record = document(index)
    taken = [(s["start"], s["end"]) for s in record["spans"]]
    return [
        (m.start(), m.end())
        for m in re.finditer(r"[a-z]{4,}", record["text"])
        if not any(m.start() < end and start < m.end() for start, end in taken)
    ]


def loops(setup: Setup, count: int, requests_per_loop: int) -> dict:
    api = f"{setup.url}/api/projects/api"
    boss_token, ann_token = setup.tokens
    boss, ann = requests.Session(), requests.Session()
    boss.headers["Authorization"] = f"Token {boss_token}"
    ann.headers["Authorization"] = f"Token {ann_token}"
    result = {"rss_idle": setup.worker_rss_mb()}
    result["push_total"], result["push_each"] = push(boss, api, count)
    result["rss_after_push"] = setup.worker_rss_mb()
    first = boss.get(f"{api}/documents/?page_size=1").json()["results"][0]["id"]
    step = max(1, count // requests_per_loop)
    ids = [first + (i * step) % count for i in range(requests_per_loop)]

    for document_id in ids[:20]:  # warm both workers' connections and caches
        boss.get(f"{api}/predictions/", params={"model": "bench-api", "document": document_id})
    fetch = []
    for document_id in ids:
        t = time.perf_counter()
        response = boss.get(f"{api}/predictions/", params={"model": "bench-api", "document": document_id})
        fetch.append(time.perf_counter() - t)
        assert response.status_code == 200 and len(response.json()["results"][0]["spans"]) == 30, response.text[:300]
    result["fetch"] = fetch

    annotations = []
    for offset in range(20):
        response = ann.post(f"{api}/documents/{first + offset}/annotation/")
        assert response.status_code in (200, 201), response.text[:300]
        body = response.json()
        annotations.append([body["id"], body["version"], free_words(offset)])
    save = []
    for i in range(requests_per_loop):
        entry = annotations[i % len(annotations)]
        start, end = entry[2].pop(0)
        t = time.perf_counter()
        response = ann.post(f"{api}/annotations/{entry[0]}/spans/", json={"version": entry[1], "start": start, "end": end, "label": "ACTOR"})
        save.append(time.perf_counter() - t)
        assert response.status_code == 201, response.text[:300]
        entry[1] = response.json()["version"]
    result["save"] = save

    t = time.perf_counter()
    response = boss.post(f"{api}/exports/", json={"format": "jsonl", "layer": "model", "model": "bench-api"})
    if response.status_code == 202:
        task = response.json()
        while task["status"] not in ("done", "failed", "cancelled"):
            time.sleep(0.05)
            task = boss.get(task["url"]).json()
        if task["status"] == "done":
            size = len(boss.get(task["download"]).content)
            result["export"] = (time.perf_counter() - t, size)
        else:
            result["export"] = (None, task.get("errors"))
    else:
        result["export"] = (None, f"{response.status_code} {response.text[:200]}")
    return result


def run(db: str, count: int, requests_per_loop: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"api-loops-{db}-"))
    setup = Setup(db, folder, free_port())
    setup.manage("migrate", "--noinput")
    corpus = folder / "corpus.jsonl"
    write_jsonl(corpus, count)
    setup.manage("create_project", "--project", "cmd", "--labels", LABELS)
    t = time.perf_counter()
    setup.manage("import_docs", str(corpus), "--project", "cmd", "--layer", "model", "--model", "bench-cmd")
    command = time.perf_counter() - t
    setup.manage("create_project", "--project", "api", "--labels", LABELS)
    setup.tokens = setup.manage("shell", "-c", SETUP_USERS).split("TOKENS", 1)[1].split()
    try:
        setup.start()
        result = loops(setup, count, requests_per_loop)
    finally:
        setup.stop()
    result["command"] = command
    return result


def report(db: str, count: int, r: dict) -> None:
    push_rate, command_rate = count / r["push_total"], count / r["command"]
    print(f"\n== {db}, {count:,} documents (~600 words, 30 predicted spans each)")
    print(f"  import via the API:   {r['push_total']:6.1f} s  {push_rate:7.0f} docs/s   (per 1,000-document request: {ms(r['push_each'])})")
    print(f"  import_docs command:  {r['command']:6.1f} s  {command_rate:7.0f} docs/s   API/command = {push_rate / command_rate:.2f}")
    print(f"  fetch one document with its spans: {ms(r['fetch'])}")
    print(f"  save one span:                     {ms(r['save'])}")
    seconds, detail = r["export"]
    print(f"  export the whole project (jsonl, model layer, task + download): " + (f"{seconds:.1f} s, {detail:,} bytes" if seconds else f"n/a ({detail})"))
    print("  gunicorn worker RSS: idle " + ", ".join(f"{v:.0f}" for v in r["rss_idle"]) + " MB; after the push " + ", ".join(f"{v:.0f}" for v in r["rss_after_push"]) + " MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=300, help="Requests in each of the fetch and save loops.")
    args = parser.parse_args()
    results = {}
    for count in args.docs:
        for db in args.db:
            results[db, count] = run(db, count, args.requests)
            report(db, count, results[db, count])
    for count in args.docs:
        if ("sqlite", count) in results and ("postgres", count) in results:
            s, p = results["sqlite", count], results["postgres", count]
            print(
                f"\nPostgreSQL / SQLite at {count:,}: push {p['push_total'] / s['push_total']:.2f}x, "
                f"fetch p50 {statistics.median(p['fetch']) / statistics.median(s['fetch']):.2f}x, "
                f"save p50 {statistics.median(p['save']) / statistics.median(s['save']):.2f}x"
            )


if __name__ == "__main__":
    main()
