"""Recovery is "plan again what is missing": a dead worker's chunk is handed out again and finished,
what it stored stands, and nothing is predicted twice. Progress is a count of what is stored."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.management import call_command

from annotator import services
from annotator.jobs import chunks, start
from annotator.jobs import prediction as jobs_prediction
from annotator.models import Document, Prediction, TaskRun

from ..conftest import make_document

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
pytestmark = pytest.mark.django_db


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = DB_BACKEND
    settings.PREDICT_CHUNK_SIZE = 4
    settings.PREDICT_PARALLEL = 2


def work() -> None:
    """The database backend's worker, here, until no task waits (see tests/test_tasks.py)."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("task_worker", batch=True, preload=False, recover_every=0, verbosity=0)


def make_documents(project, n: int) -> list[Document]:
    return [make_document(project, text=f"Doc {i}: Iraqi forces entered Mosul.", order=i) for i in range(1, n + 1)]


def asking(monkeypatch, extractor) -> list[str]:
    """The texts the extractor is asked to predict, in order."""
    asked: list[str] = []
    real = extractor.predict

    def predict(texts, batch_size=16):
        for text in texts:
            asked.append(text.split(":")[0])
            yield from real([text])

    monkeypatch.setattr(extractor, "predict", predict)
    return asked


def test_a_dead_workers_chunk_is_planned_again_and_finished(project, fake_extractor, db_tasks, monkeypatch):
    documents = make_documents(project, 10)
    run = start.start_prediction(project)
    # A worker plans the run, claims chunk 0, stores one batch of it (Doc 1 and 2) and dies.
    assert jobs_prediction.plan(run.pk) == [0, 1]
    dead = chunks.claim(run.pk, 0)
    version = services.register_extractor(fake_extractor)
    labels = {label.name: label for label in project.labels.all()}
    services.store_predictions(version, labels, [(d, []) for d in documents[:2]])
    asked = asking(monkeypatch, fake_extractor)
    work()  # the queued plan finds the chunks planned and starts the open ones: 1 and 2 (0 is held, fresh)
    run.refresh_from_db()
    assert run.status == "running" and run.done == 2 + 4 + 2 and sorted(asked) == sorted(f"Doc {i}" for i in range(5, 11))
    assert start.replan() == []  # the holder may still be alive: not silent long enough
    assert [r.pk for r in start.replan(stale_seconds=0)] == [run.pk]
    assert not chunks.hold(dead)  # handed out again: the dead worker, were it to wake, would stop
    work()
    run.refresh_from_db()
    assert run.status == "done" and run.done == run.total == 10 and run.result["predicted"] == 10
    assert sorted(asked) == sorted(f"Doc {i}" for i in range(3, 11))  # Doc 1 and 2 were stored: never asked again
    assert Prediction.objects.count() == 10 and set(run.chunk_rows.values_list("state", flat=True)) == {"done"}


def test_progress_is_counted_from_what_is_stored(project, fake_extractor, db_tasks, monkeypatch):
    documents = make_documents(project, 8)
    services.predict_documents(project, ids=[documents[3].pk])  # predicted before the run: inside its range
    run = start.start_prediction(project)
    jobs_prediction.plan(run.pk)
    run.refresh_from_db()
    assert run.total == 7 and jobs_prediction.counted(run) == 0  # the one predicted before is not progress
    # Someone else (the command, another run) predicts two of the run's documents meanwhile.
    services.predict_documents(project, ids=[documents[0].pk, documents[6].pk])
    assert jobs_prediction.counted(run) == 2
    asked = asking(monkeypatch, fake_extractor)
    work()
    run.refresh_from_db()
    assert run.status == "done" and run.done == run.total == 7
    assert sorted(asked) == sorted(f"Doc {i}" for i in (2, 3, 5, 6, 8))  # what was stored is skipped
    assert Prediction.objects.count() == 8


def test_a_run_whose_tasks_were_lost_is_handed_out_again(project, fake_extractor, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    make_documents(project, 3)
    run = start.start_prediction(project)  # enqueued into a backend that never runs it: the task is lost
    assert start.replan() == []  # just created: not silent yet
    settings.TASKS = DB_BACKEND
    assert [r.pk for r in start.replan(stale_seconds=0)] == [run.pk]
    work()
    run.refresh_from_db()
    assert run.status == "done" and run.done == 3
    TaskRun.objects.filter(pk=run.pk).update(heartbeat_at=None)
    assert start.replan(stale_seconds=0) == []  # finished runs are left alone
