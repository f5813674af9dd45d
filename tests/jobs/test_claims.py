"""Chunk rows are claimed once: workers asking at the same moment never get the same chunk.

PostgreSQL: threads, each with its own connection, claim through SELECT ...
FOR UPDATE SKIP LOCKED. SQLite: processes on one database file claim
through the IMMEDIATE write transaction (settings' transaction_mode).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from annotator.jobs import chunks
from annotator.models import RunChunk, TaskRun

ROOT = Path(__file__).resolve().parents[2]
CHUNKS = 40


def _run_with_chunks(project, n: int = CHUNKS) -> TaskRun:
    run = TaskRun.objects.create(project=project, kind="predict")
    RunChunk.objects.bulk_create([RunChunk(run=run, index=i, first_id=i, last_id=i, size=1) for i in range(n)])
    return run


def _claim_all(run_id: int, go: threading.Barrier, out: list) -> None:
    try:
        go.wait()
        while (chunk := chunks.claim(run_id)) is not None:
            out.append(chunk.index)
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_claiming_at_once_on_postgresql_never_share_a_chunk(project):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED between connections needs PostgreSQL (DATABASE_URL)")
    run = _run_with_chunks(project)
    go = threading.Barrier(6)
    taken: list[list[int]] = [[] for _ in range(6)]
    threads = [threading.Thread(target=_claim_all, args=(run.pk, go, out)) for out in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [index for out in taken for index in out]
    assert sorted(every) == list(range(CHUNKS))  # each chunk once: none twice, none left
    assert sum(1 for out in taken if out) >= 2  # they really did share the work
    assert set(RunChunk.objects.filter(run=run).values_list("state", flat=True)) == {"claimed"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_claiming_the_same_chunk_on_postgresql_one_wins(project):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED between connections needs PostgreSQL (DATABASE_URL)")
    run = _run_with_chunks(project, 1)
    go = threading.Barrier(8)
    won: list = []

    def claim_first():
        try:
            go.wait()
            won.append(chunks.claim(run.pk, 0))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim_first) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([c for c in won if c is not None]) == 1


CLAIMER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
    import django
    django.setup()
    from annotator.jobs import chunks
    open({go!r} + "." + str(os.getpid()), "w").close()  # ready
    while not os.path.exists({go!r}):
        time.sleep(0.01)
    while (chunk := chunks.claim({run_id})) is not None:
        print(chunk.index, flush=True)
    """
)


@pytest.mark.slow
def test_processes_claiming_at_once_on_sqlite_never_share_a_chunk(tmp_path):
    env = {**os.environ, "ANNOTATOR_VAR_DIR": str(tmp_path), "TASKS_BACKEND": "dummy", "DJANGO_SETTINGS_MODULE": "annotator.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    setup = (
        "import django; django.setup(); from annotator import services; from annotator.models import RunChunk, TaskRun; "
        "run = TaskRun.objects.create(project=services.ensure_project('news'), kind='predict'); "
        f"RunChunk.objects.bulk_create([RunChunk(run=run, index=i) for i in range({CHUNKS})]); print(run.pk)"
    )
    run_id = int(subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=120).stdout.split()[-1])
    go = tmp_path / "go"
    script = CLAIMER.format(root=str(ROOT), go=str(go), run_id=run_id)
    workers = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    try:
        # Every claimer is set up and waiting before any claims: then they all start at once.
        while len(list(tmp_path.glob("go.*"))) < len(workers):
            if any(worker.poll() is not None for worker in workers):
                break
            time.sleep(0.05)
        go.touch()
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert all(worker.returncode == 0 for worker in workers), [err[-2000:] for _, err in outputs]
    every = [int(line) for out, _ in outputs for line in out.split()]
    assert Counter(every) == Counter(range(CHUNKS))  # each chunk once
