"""SQLite: a long write elsewhere never kills the task worker; it waits, logs, and goes on."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError

from annotator.management.commands import task_worker
from annotator.jobs import runs

ROOT = Path(__file__).resolve().parents[2]


def test_the_worker_loop_waits_out_a_locked_database(monkeypatch, caplog):
    calls = []

    def action():
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return "done"

    monkeypatch.setattr(task_worker.time, "sleep", lambda seconds: None)
    with caplog.at_level(logging.WARNING, logger="annotator.tasks"):
        assert task_worker._until_unlocked("looking for tasks", action) == "done"
    assert len(calls) == 3
    assert [r.getMessage() for r in caplog.records] == [
        "task worker: looking for tasks: database is locked; trying again in 1 s",
        "task worker: looking for tasks: database is locked; trying again in 2 s",
    ]


def test_other_database_errors_still_stop_the_worker():
    def action():
        raise OperationalError("no such table: django_tasks_db_dbtaskresult")

    with pytest.raises(OperationalError, match="no such table"):
        task_worker._until_unlocked("looking for tasks", action)


def test_a_chunk_write_is_tried_again_when_the_database_is_locked(monkeypatch, caplog):
    tries = []

    @runs.retry_when_locked
    def write():
        tries.append(1)
        if len(tries) == 1:
            raise OperationalError("database is locked")
        return 7

    monkeypatch.setattr(runs.time, "sleep", lambda seconds: None)
    with caplog.at_level(logging.WARNING):
        assert write() == 7
    assert len(tries) == 2 and "database is locked; trying again in 1 s" in caplog.text


@pytest.mark.slow
def test_a_worker_survives_a_write_lock_held_longer_than_its_busy_timeout(tmp_path):
    """The probe's failure: an import held the write lock for ~45 s and `task_worker` exited. Here another
    connection holds it for 4 s against a busy timeout of 0.2 s: the worker logs, waits, and runs its task."""
    env = {**os.environ, "ANNOTATOR_VAR_DIR": str(tmp_path), "SQLITE_BUSY_TIMEOUT": "0.2", "TASKS_BACKEND": "db"}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    # A task waiting for the worker: an export of the (empty) demo-less project.
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from annotator import services; "
         "from annotator.jobs import start; start.start_export(services.ensure_project('news'), None, fmt='jsonl', layer='gold')"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "annotator.settings"}, check=True, timeout=120,
    )
    holder = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None, check_same_thread=False)
    assert holder.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # set by the app's connections (settings)
    holder.execute("BEGIN IMMEDIATE")  # the long import's write lock
    worker = subprocess.Popen(
        [*manage, "task_worker", "--batch", "--no-preload", "--recover-every", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    release = threading.Timer(4.0, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        out, err = worker.communicate(timeout=120)
    finally:
        release.cancel()
        holder.close()
    assert worker.returncode == 0, err
    assert "database is locked; trying again in" in err
    done = sqlite3.connect(tmp_path / "db.sqlite3")
    assert done.execute("SELECT status FROM annotator_taskrun").fetchall() == [("done",)]
