"""Prediction runs: plan the documents that lack the extractor's predictions as chunk rows, predict a chunk.

Everything a worker writes is keyed by (document, extractor version), so
the run's progress is a count of what is stored: the documents of the
run's id range that have its version's predictions, less those that had
them when it was planned. A chunk is read again as "what is still missing
in this range" each time it is claimed, so a worker killed at any moment
costs only the batch it had in hand, and nothing is predicted twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Greatest

from ..models import Document, ExtractorVersion, Prediction, RunChunk, TaskRun
from ..selectors import documents as doclist
from ..services import prediction
from . import chunks, runs

logger = logging.getLogger(__name__)

# Documents stored per transaction inside a chunk: what a killed worker can lose, and how often it reports.
WRITE_BATCH = 50


def extractor_for(run: TaskRun):
    # Looked up on the module each time, so tests can swap the extractor.
    extractor = prediction.get_extractor(prediction.model_for(run.project, run.params.get("model")))
    return extractor, prediction.register_extractor(extractor)


def parallel(run: TaskRun) -> int:
    """How many chains of chunk tasks a run has: chunk i's task enqueues chunk i + parallel's."""
    return max(1, int(run.params.get("parallel") or settings.PREDICT_PARALLEL))


def _stored(project_id: int, plan: dict) -> int:
    """Documents of the plan's id range that have its version's predictions now (one query)."""
    return Prediction.objects.filter(
        extractor_id=plan["extractor"],
        document__project_id=project_id,
        document_id__gte=plan["first"],
        document_id__lte=plan["last"],
    ).count()


def counted(run: TaskRun) -> int:
    """The run's progress, counted from what is stored."""
    plan = run.params.get("plan")
    return max(0, min(run.total, _stored(run.project_id, plan) - plan["before"])) if plan else 0


def _documents(run: TaskRun):
    """The run's documents: the project's, or the document list's selection it was started on."""
    documents = Document.objects.filter(project_id=run.project_id)
    if "selection" in run.params:
        documents = documents.filter(id__in=doclist.selection(run.project, run.user, run.params["selection"]))
    return documents


def plan(run_id: int) -> list[int]:
    """Load the extractor, cut the documents that lack its predictions into chunk rows; the chunks to start.

    Safe to run twice: the chunks of a run are unique by index, so a second
    plan (a task delivered again) finds them there and only starts workers.
    """
    run = TaskRun.objects.select_related("project").filter(pk=run_id).first()
    if run is None or run.finished:
        return []
    if run.chunk_rows.exists():  # planned before a stop: only the workers need starting again
        return chunks.open_indexes(run_id, parallel(run))
    runs.mark_running(run_id)
    try:
        extractor, version = extractor_for(run)
    except Exception as error:  # a missing model or a broken pipeline: say so on the run
        runs.fail(run_id, f"cannot load the extractor {run.params.get('model') or settings.EXTRACTOR_MODEL!r}: {error}")
        return []
    todo = list(
        _documents(run)
        .exclude(predictions__extractor=version)
        .order_by("id")
        .values_list("id", flat=True)
    )
    size = max(1, settings.PREDICT_CHUNK_SIZE)
    pieces = [todo[b : b + size] for b in range(0, len(todo), size)]
    rows = [RunChunk(run_id=run_id, index=i, first_id=ids[0], last_id=ids[-1], size=len(ids)) for i, ids in enumerate(pieces)]
    params = {**run.params, "version": version.version, "warnings": list(extractor.warnings), "parallel": settings.PREDICT_PARALLEL}
    if todo:
        # The range can hold documents predicted before (between two that were not): they are not progress.
        params["plan"] = {"extractor": version.pk, "first": todo[0], "last": todo[-1]}
        params["plan"]["before"] = _stored(run.project_id, params["plan"])
    try:
        with transaction.atomic():
            RunChunk.objects.bulk_create(rows)
            runs.update(run_id, params=params, total=len(todo), result={"extractor": version.version, "predicted": 0})
    except IntegrityError:  # another plan of the same run got there first
        return []
    if not rows:
        runs.finish(run_id, done=0)
        return []
    return list(range(min(len(rows), parallel(run))))


def predict_chunk(run_id: int, index: int) -> bool:
    """Predict what is missing in chunk `index`; whether this worker closed it (its successor is then due)."""
    chunk = chunks.claim(run_id, index)
    if chunk is None:
        return False
    run = TaskRun.objects.select_related("project").get(pk=run_id)
    if run.finished:
        chunks.close(chunk)
        return False
    runs.mark_running(run_id)
    try:
        extractor, version = extractor_for(run)
        if version.version != run.params.get("version"):
            runs.fail(
                run_id,
                f"this worker runs extractor {version.version}, the run was planned for {run.params.get('version')}: "
                "the extractor changed since; start a new prediction run",
            )
            return False
        _predict_range(run, chunk, extractor, version)
    except chunks.Lost:
        return False
    except Exception as error:  # one bad chunk must not stop the others: record it and go on
        logger.exception("task run %s: chunk %s failed", run_id, index)
        closed = chunks.close(chunk, error=f"chunk {index + 1} of {run.chunk_rows.count()}: {type(error).__name__}: {error}")
    else:
        closed = chunks.close(chunk)
    if closed and chunks.all_closed(run_id):
        done = counted(run)
        runs.finish(run_id, done=done, errors=[*run.errors, *chunks.errors(run_id)], result={**run.result, "predicted": done})
    return closed


def _predict_range(run: TaskRun, chunk: RunChunk, extractor, version: ExtractorVersion) -> None:
    labels = {label.name: label for label in run.project.labels.all()}
    # What is still missing in the chunk: after a stop, the part already stored is not done again.
    documents = list(
        _documents(run).filter(id__gte=chunk.first_id, id__lte=chunk.last_id)
        .exclude(predictions__extractor=version)
        .order_by("id")
        .only("id", "text")
    )
    batch: list = []
    for document, spans in zip(documents, extractor.predict(d.text for d in documents)):
        batch.append((document, spans))
        if len(batch) >= WRITE_BATCH:
            _write(run, chunk, version, labels, batch)
            batch = []
    if batch:
        _write(run, chunk, version, labels, batch)


@runs.retry_when_locked
def _write(run: TaskRun, chunk: RunChunk, version, labels, batch) -> None:
    """Store a batch of predictions while holding the chunk, then refresh the run's count of what is stored.

    A document another worker stored meanwhile is skipped (store_predictions
    looks first; the unique (document, version) constraint catches a race, and
    the batch is tried again without it). The count is raised, never lowered:
    two workers counting at once cannot move the bar back.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                chunks.hold_or_stop(chunk)
                prediction.store_predictions(version, labels, batch)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    runs.update(run.pk, done=Greatest("done", counted(run)))
