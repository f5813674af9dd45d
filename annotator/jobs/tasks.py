"""The background tasks (django-tasks `@task` functions): the only module that enqueues.

Written against `django_tasks`, the backport of Django 6's `django.tasks`;
on Django 6 the same code imports the built-in module. Each task gets the id
of a TaskRun (annotator.models) and does one step of it through the jobs
module named for the kind. Every task is safe to run twice or after a
stopped attempt: a step first claims its chunk row, and a chunk that is
closed, or held by a worker that is alive, is not done again.

The backend is settings.TASKS: the database (default; `manage.py
task_worker` runs the tasks) or RQ with Redis (TASKS_BACKEND=rq), where any
number of machines run `manage.py task_worker`.
"""

from __future__ import annotations

try:  # Django 6
    from django.tasks import task
except ImportError:  # Django 5.2: the backport
    from django_tasks import task

from ..models import TaskRun
from . import evaluation, export, imports, prediction, runs, training

Kind = TaskRun.Kind


@task()
def plan_prediction(run_id: int) -> dict:
    """Load the extractor, cut the documents that lack its predictions into chunk rows, start the chunk tasks."""
    indexes = prediction.plan(run_id)
    for index in indexes:
        predict_chunk.enqueue(run_id, index)
    return {"chunks started": len(indexes)}


@task()
def predict_chunk(run_id: int, index: int) -> dict:
    """Predict chunk `index` of a run; once it is closed, start chunk index + parallel (each chain does one at a time).

    So `parallel` chains keep that many workers busy on one run while the
    other tasks in the queue still get their turn.
    """
    closed = prediction.predict_chunk(run_id, index)
    if closed:
        run = TaskRun.objects.only("params").get(pk=run_id)
        following = index + prediction.parallel(run)
        if run.chunk_rows.filter(index=following).exists():
            predict_chunk.enqueue(run_id, following)
    return {"chunk": index, "closed": closed}


@task()
def export_run(run_id: int) -> dict:
    """Write a layer of a project to a file for download."""
    return export.export_run(run_id)


@task()
def evaluate_run(run_id: int) -> dict:
    """Score an extractor version against the gold."""
    return evaluation.evaluate_run(run_id)


@task()
def import_run(run_id: int) -> dict:
    """Import a file uploaded on the Import page."""
    return imports.import_run(run_id)


@task()
def train_run(run_id: int) -> dict:
    """Train an extractor version on the project's gold, store and score it; predict with it when promoted."""
    result = training.train_run(run_id)
    if result.get("promoted"):
        run = TaskRun.objects.select_related("project", "user").get(pk=run_id)
        begin(runs.create(run.project, run.user, Kind.PREDICT, {"model": None}, steps=0))
    return result


FIRST_STEP = {
    Kind.PREDICT: plan_prediction,
    Kind.EXPORT: export_run,
    Kind.EVALUATE: evaluate_run,
    Kind.IMPORT: import_run,
    Kind.TRAIN: train_run,
}


def begin(run: TaskRun) -> TaskRun:
    """Hand a new run to the workers: enqueue its first step."""
    FIRST_STEP[run.kind].enqueue(run.pk)
    return run


def again(run: TaskRun, indexes: list[int]) -> None:
    """Hand a run's open chunks to the workers again (jobs.start.replan): the plan or these chunks."""
    if run.kind == Kind.PREDICT and indexes:
        for index in indexes:
            predict_chunk.enqueue(run.pk, index)
    else:
        FIRST_STEP[run.kind].enqueue(run.pk)
