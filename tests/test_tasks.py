"""Background work: prediction runs in chunk rows, progress, the task pages, and stopping and resuming workers.

The database backend runs in this process in the quick tests; the tests
marked `postgres` start real worker processes (one is killed in the middle
of a run); one test goes through RQ and the Redis at 127.0.0.1:6379.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from annotator import services
from annotator.jobs import chunks, start
from annotator.jobs import prediction as jobs_prediction
from annotator.models import Document, Membership, Prediction, RunChunk, TaskRun

from .conftest import make_document

ROOT = Path(__file__).resolve().parent.parent
DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
TEXT = "Doc {}: Iraqi forces entered Mosul while families fled to Raqqa."


def make_documents(project, n: int) -> list[Document]:
    return [make_document(project, text=TEXT.format(i), order=i) for i in range(1, n + 1)]


def assert_each_predicted_once(project, version: str = "fake-extractor-1") -> None:
    per_document = Prediction.objects.filter(document__project=project, extractor__version=version)
    assert per_document.count() == project.documents.count()
    assert per_document.values("document").distinct().count() == project.documents.count()


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = DB_BACKEND
    settings.PREDICT_CHUNK_SIZE = 3


def work(**options) -> None:
    """Run the database backend's worker here until no task waits.

    The worker closes "old" connections between tasks; inside a test's
    transaction that would close the test's own connection (SQLite's
    in-memory one is kept anyway), so it is told not to here.
    """
    from unittest import mock

    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("task_worker", batch=True, preload=False, recover_every=0, verbosity=0, **options)


# ---------------------------------------------------------------- chunks and progress


@pytest.mark.django_db
def test_a_run_is_cut_into_chunks_that_the_worker_takes_one_by_one(project, fake_extractor, db_tasks, make_user):
    make_documents(project, 7)
    boss = make_user("boss", role=Membership.Role.MANAGER, project=project)
    run = start.start_prediction(project, boss)
    assert run.status == "queued" and run.user == boss
    work()
    run.refresh_from_db()
    assert run.status == "done" and run.done == run.total == 7 and run.percent == 100
    ids = list(Document.objects.order_by("id").values_list("id", flat=True))
    rows = list(run.chunk_rows.order_by("index").values_list("index", "first_id", "last_id", "size", "state"))
    assert rows == [(0, ids[0], ids[2], 3, "done"), (1, ids[3], ids[5], 3, "done"), (2, ids[6], ids[6], 1, "done")]
    assert run.errors == []
    assert run.result == {"extractor": "fake-extractor-1", "predicted": 7}
    assert_each_predicted_once(project)


@pytest.mark.django_db
def test_progress_moves_with_each_stored_batch(project, fake_extractor, db_tasks, monkeypatch):
    make_documents(project, 5)
    monkeypatch.setattr(jobs_prediction, "WRITE_BATCH", 2)
    seen = []
    real_predict = fake_extractor.predict

    def predict(texts, batch_size=16):
        for spans in real_predict(texts):
            seen.append(TaskRun.objects.get().done)
            yield spans

    monkeypatch.setattr(fake_extractor, "predict", predict)
    start.start_prediction(project)
    work()
    assert seen == [0, 0, 2, 3, 3]  # chunks of 3 written two at a time: 2, then 1; then the next chunk


@pytest.mark.django_db
def test_nothing_to_do_finishes_at_once(project, fake_extractor, db_tasks, document):
    services.predict_documents(project)
    run = start.start_prediction(project)
    work()
    run.refresh_from_db()
    assert (run.status, run.total, run.chunk_rows.count()) == ("done", 0, 0)


@pytest.mark.django_db
def test_a_failing_chunk_is_recorded_and_the_others_go_on(project, fake_extractor, db_tasks, monkeypatch):
    make_documents(project, 6)
    real_predict = fake_extractor.predict

    def predict(texts, batch_size=16):
        texts = list(texts)
        if any(t.startswith("Doc 4:") for t in texts):
            raise RuntimeError("the model fell over")
        return real_predict(texts)

    monkeypatch.setattr(fake_extractor, "predict", predict)
    run = start.start_prediction(project)
    work()
    run.refresh_from_db()
    assert run.status == "done" and run.done == 3
    assert run.errors == ["chunk 2 of 2: RuntimeError: the model fell over"]
    assert Prediction.objects.count() == 3


@pytest.mark.django_db
def test_a_missing_model_fails_the_run(project, db_tasks, document, monkeypatch):
    def missing(model=None):
        raise OSError("no such pipeline")

    monkeypatch.setattr(services.prediction, "get_extractor", missing)
    run = start.start_prediction(project)
    work()
    run.refresh_from_db()
    assert run.status == "failed" and "no such pipeline" in run.errors[0]


@pytest.mark.django_db
def test_predict_command_in_the_background(project, fake_extractor, settings, capsys):
    settings.TASKS = IMMEDIATE
    make_documents(project, 4)
    call_command("predict", "--background", "--wait", "--project", project.slug)
    out = capsys.readouterr().out
    assert "Prediction run" in out and "4 documents predicted with fake-extractor-1" in out
    settings.TASKS = DB_BACKEND
    call_command("predict", "--background", "--project", project.slug)
    assert "/tasks/" in capsys.readouterr().out
    assert TaskRun.objects.filter(status="queued").count() == 1


# ---------------------------------------------------------------- stopping and resuming


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs (no except Exception catches it)."""


@pytest.mark.django_db
def test_a_stopped_chunk_is_resumed_without_predicting_anything_twice(project, fake_extractor, db_tasks, settings, monkeypatch):
    settings.PREDICT_CHUNK_SIZE = 4
    settings.PREDICT_PARALLEL = 1
    make_documents(project, 10)
    monkeypatch.setattr(jobs_prediction, "WRITE_BATCH", 2)
    asked: list[str] = []
    real_predict = fake_extractor.predict
    die_at = ["Doc 3:"]

    def predict(texts, batch_size=16):
        for text in texts:
            if die_at and text.startswith(die_at[0]):
                die_at.clear()
                raise Killed()
            asked.append(text.split(":")[0])
            yield from real_predict([text])

    monkeypatch.setattr(fake_extractor, "predict", predict)
    run = start.start_prediction(project)
    work()  # dies in the first chunk, after storing Doc 1 and 2
    run.refresh_from_db()
    assert run.status == "running" and run.done == 2
    assert list(run.chunk_rows.filter(state="claimed").values_list("index", flat=True)) == [0]
    assert Prediction.objects.count() == 2
    # The claim is fresh: not stale yet, nothing is handed out twice.
    assert start.replan() == []
    assert [r.pk for r in start.replan(stale_seconds=0)] == [run.pk]  # planned again: the chunk is open
    assert run.chunk_rows.get(index=0).state == "open"
    work()
    run.refresh_from_db()
    assert run.status == "done" and run.done == run.total == 10
    assert set(run.chunk_rows.values_list("state", flat=True)) == {"done"}
    assert_each_predicted_once(project)
    assert sorted(asked) == sorted(f"Doc {i}" for i in range(1, 11))  # nothing asked twice
    assert run.result["predicted"] == 10


@pytest.mark.django_db
def test_a_held_chunk_is_taken_again_only_once_its_holder_is_silent(project, settings):
    settings.TASK_STALE_SECONDS = 300
    run = TaskRun.objects.create(project=project, kind="export")
    RunChunk.objects.create(run=run, index=0)
    first = chunks.claim(run.pk, 0)
    assert first is not None and chunks.claim(run.pk, 0) is None  # held, and its holder is alive
    RunChunk.objects.filter(pk=first.pk).update(claimed_at=first.claimed_at - timedelta(seconds=301))
    second = chunks.claim(run.pk, 0)  # silent for longer than TASK_STALE_SECONDS: anyone may take it
    assert second is not None and second.token != first.token
    assert not chunks.hold(first) and chunks.hold(second)  # the old holder learns it lost the chunk
    assert not chunks.close(first) and chunks.close(second)


@pytest.mark.django_db
def test_a_worker_that_lost_its_chunk_stops_and_its_writes_stand(project, fake_extractor, db_tasks, settings, monkeypatch):
    settings.PREDICT_CHUNK_SIZE = 10
    make_documents(project, 4)
    monkeypatch.setattr(jobs_prediction, "WRITE_BATCH", 1)
    real_predict = fake_extractor.predict

    def predict(texts, batch_size=16):
        for index, text in enumerate(texts):
            if index == 2:  # meanwhile the chunk was given to someone else
                RunChunk.objects.filter(index=0).update(token="another worker")
            yield from real_predict([text])

    monkeypatch.setattr(fake_extractor, "predict", predict)
    run = start.start_prediction(project)
    work()
    run.refresh_from_db()
    assert Prediction.objects.count() == 2 and run.done == 2 and run.status == "running"


@pytest.mark.django_db
def test_exports_and_evaluations_resume_too(project, fake_extractor, db_tasks, document):
    services.predict_documents(project)
    run = start.start_export(project, fmt="jsonl", layer="model")
    TaskRun.objects.filter(pk=run.pk).update(status="running")
    run.chunk_rows.update(state="claimed", token="t", claimed_at=datetime(2000, 1, 1, tzinfo=timezone.utc))
    work()  # the export's task ran, saw its chunk claimed... in 2000: a silent holder, so it took over
    run.refresh_from_db()
    assert run.status == "done" and run.result["documents"] == 1


# ---------------------------------------------------------------- the pages


@pytest.fixture
def boss_client(client, project, make_user):
    client.force_login(make_user("boss", role=Membership.Role.MANAGER, project=project))
    return client


@pytest.mark.django_db
def test_the_progress_partial_polls_until_the_run_is_finished(project, boss_client):
    run = TaskRun.objects.create(project=project, kind="predict", status="running", done=3, total=12)
    page_url = reverse("task_detail", args=[project.slug, run.pk])
    page = boss_client.get(page_url).content.decode()
    assert "3 of 12" in page and 'width: 25%' in page
    assert f'hx-get="{page_url}"' in page and f'href="{page_url}"' in page and 'hx-trigger="load delay:1s"' in page
    fragment = boss_client.get(page_url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section class="card task-progress"') and "<html" not in fragment
    TaskRun.objects.filter(pk=run.pk).update(status="done", done=12, result={"predicted": 12, "extractor": "x"})
    finished = boss_client.get(page_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-get" not in finished and "12 documents got suggestions" in finished


@pytest.mark.django_db
def test_repredict_button_and_export_download_pages(project, boss_client, fake_extractor, settings, tmp_path, document):
    settings.TASKS = IMMEDIATE
    settings.EXPORT_DIR = tmp_path
    detail = boss_client.get(reverse("project_detail", args=[project.slug])).content.decode()
    assert reverse("task_predict", args=[project.slug]) in detail
    response = boss_client.post(reverse("task_predict", args=[project.slug]))
    run = TaskRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("task_detail", args=[project.slug, run.pk])
    assert run.status == "done" and Prediction.objects.count() == 1
    response = boss_client.post(reverse("task_export", args=[project.slug]), {"format": "jsonl", "layer": "model"})
    export = TaskRun.objects.get(kind="export")
    page = boss_client.get(response["Location"]).content.decode()
    download_url = reverse("task_download", args=[project.slug, export.pk])
    assert download_url in page
    body = b"".join(boss_client.get(download_url).streaming_content)
    assert b"Iraqi forces" in body
    listing = boss_client.get(reverse("task_list", args=[project.slug])).content.decode()
    assert "Export · model as jsonl" in listing and "Prediction" in listing


@pytest.mark.django_db
def test_task_pages_follow_the_roles(project, client, make_user, document):
    run = TaskRun.objects.create(project=project, kind="export", params={"format": "jsonl", "layer": "gold"})
    ann = make_user("ann", project=project)
    client.force_login(ann)
    assert client.get(reverse("task_detail", args=[project.slug, run.pk])).status_code == 404
    assert client.post(reverse("task_predict", args=[project.slug])).status_code == 403
    assert client.post(reverse("task_export", args=[project.slug]), {"format": "jsonl"}).status_code == 403
    assert client.post(reverse("task_evaluate", args=[project.slug])).status_code == 403
    assert client.get(reverse("task_list", args=[project.slug])).status_code == 200
    outsider = make_user("out")
    client.force_login(outsider)
    assert client.get(reverse("task_list", args=[project.slug])).status_code == 404


# ---------------------------------------------------------------- RQ and Redis


@pytest.mark.slow
@pytest.mark.django_db
def test_prediction_through_rq_and_the_real_redis(project, fake_extractor, settings):
    import django_rq

    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # A database of its own on the Redis server, emptied before and after.
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/14", "DEFAULT_TIMEOUT": 600}}
    settings.PREDICT_CHUNK_SIZE = 2
    queue = django_rq.get_queue("default")
    queue.connection.flushdb()
    try:
        make_documents(project, 5)
        run = start.start_prediction(project)
        assert queue.count == 1
        worker = django_rq.get_worker("default", job_class="django_tasks_rq.Job", worker_class="rq.worker.SimpleWorker")
        # No command channel for a burst worker: stopping rq's pubsub thread waits up to a minute for its
        # blocked read when the test's output is captured (the work itself takes a second).
        worker.subscribe = worker.unsubscribe = lambda: None
        worker.work(burst=True)
        run.refresh_from_db()
        assert run.status == "done" and run.done == run.total == 5 and run.chunk_rows.count() == 3
        assert_each_predicted_once(project)
        assert queue.finished_job_registry.count == 4  # the plan and one task per chunk
    finally:
        queue.connection.flushdb()


# ---------------------------------------------------------------- real worker processes on PostgreSQL

WORKER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
    import django
    django.setup()
    from django.core.management import call_command
    from annotator.services import prediction
    from tests.conftest import FakeExtractor

    class Slow(FakeExtractor):
        def predict(self, texts, batch_size=16):
            for text in texts:
                time.sleep({delay})
                with open({log!r}, "a") as log:
                    log.write(text.split(":")[0] + "\\n")
                yield from super().predict([text])

    slow = Slow()
    prediction.get_extractor = lambda model=None: slow
    call_command("task_worker", preload=False, interval=0.05, recover_every=0.5, verbosity=0)
    """
)


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(tmp_path: Path, name: str, delay: float) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "TASKS_BACKEND": "db",
        "PREDICT_CHUNK_SIZE": "50",
        "PREDICT_PARALLEL": "4",
        # A holder silent this long is taken for dead (a live one reports every stored batch, ~0.5 s here).
        "TASK_STALE_SECONDS": "3",
    }
    script = WORKER.format(root=str(ROOT), delay=delay, log=str(log))
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT, stderr=subprocess.PIPE)
    return process, log


def _mid_chunk(run: TaskRun, at_least: int) -> bool:
    return run.done >= at_least and run.chunk_rows.filter(state="claimed").exists()


def wait_until(condition, timeout: float = 60.0, processes=()) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"a worker died: {process.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_database_workers_share_one_run_on_postgresql(project, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("worker processes need a shared database (PostgreSQL through DATABASE_URL)")
    make_documents(project, 300)
    workers = [start_worker(tmp_path, f"w{i}", delay=0.004) for i in range(2)]
    try:
        run = start.start_prediction(project)
        wait_until(lambda: TaskRun.objects.get(pk=run.pk).finished, timeout=120, processes=[p for p, _ in workers])
    finally:
        for process, _ in workers:
            stop(process)
    run.refresh_from_db()
    assert run.status == "done" and run.done == run.total == 300 and run.chunk_rows.count() == 6
    assert_each_predicted_once(project)
    logs = [_lines(log) for _, log in workers]
    assert all(logs), "both workers predicted"
    assert sorted(logs[0] + logs[1]) == sorted(f"Doc {i}" for i in range(1, 301))  # none twice


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killing_a_worker_mid_run_and_starting_another_finishes_the_run(project, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("worker processes need a shared database (PostgreSQL through DATABASE_URL)")
    from django_tasks_db.models import DBTaskResult

    make_documents(project, 200)
    first, first_log = start_worker(tmp_path, "first", delay=0.01)
    second = None
    try:
        run = start.start_prediction(project)
        # Kill it in the middle of a chunk: after some chunks are stored, while it holds the next one
        # (each chunk takes about half a second here, so the kill lands inside it).
        wait_until(lambda: _mid_chunk(TaskRun.objects.get(pk=run.pk), 60), processes=[first])
        first.send_signal(signal.SIGKILL)
        first.wait()
        run.refresh_from_db()
        assert run.status == "running" and 60 <= run.done < 200 and run.chunk_rows.filter(state="claimed").exists()
        stored_before = set(Prediction.objects.values_list("document__text", flat=True))
        assert len(stored_before) == run.done
        assert DBTaskResult.objects.filter(status="RUNNING").exists()  # the killed worker's task, left as it is

        second, second_log = start_worker(tmp_path, "second", delay=0.001)
        wait_until(lambda: TaskRun.objects.get(pk=run.pk).finished, timeout=120, processes=[second])
    finally:
        for process in (first, second):
            if process is not None:
                stop(process)
    run.refresh_from_db()
    assert run.status == "done" and run.done == run.total == 200 and run.errors == []
    assert_each_predicted_once(project)
    # The second worker never predicted what the first had stored; between them nothing is missing.
    again = set(_lines(second_log)) & {text.split(":")[0] for text in stored_before}
    assert again == set()
    assert set(_lines(first_log)) | set(_lines(second_log)) == {f"Doc {i}" for i in range(1, 201)}
