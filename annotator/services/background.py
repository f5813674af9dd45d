"""Start background runs and record their progress; the bodies that the tasks in annotator/tasks.py run.

A run is a TaskRun row: who asked, what, done/total, errors, the result. A
prediction run is cut into chunks (id ranges of the documents that lacked
the extractor's predictions when it was planned) that workers take one at
a time, so any number of workers share one big run. Every write is keyed by
(document, extractor version) and the progress count moves in the same
transaction as the predictions it counts, so a worker killed at any moment
loses only the batch it had in hand: `recover_stalled` gives its chunk to
another worker, which predicts what is still missing and nothing twice.

Which process holds a chunk is its lease: host, pid, a token, and when it
last reported. A lease is stale when its process is gone (same host) or it
has not reported for settings.TASK_STALE_SECONDS (any host).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from ..formats import EXPORT_FORMATS, FORMATS
from ..models import Document, ExtractorVersion, Project, TaskRun
from . import gold, prediction
from .prediction import register_extractor, store_predictions

logger = logging.getLogger(__name__)

Kind = TaskRun.Kind
Status = TaskRun.Status
MAIN = "main"  # the lease of a one-step run (export, evaluation) or of planning a prediction
# Documents stored per transaction inside a chunk: what a killed worker can lose, and how often it reports.
WRITE_BATCH = 50
LAYERS = ("gold", "model", "annotations")


class RunRefused(ValueError):
    """A run that cannot be started as asked (unknown format or layer, no predictions to evaluate)."""


# ---------------------------------------------------------------- starting


def _enqueue(step: str, run: TaskRun) -> None:
    """Hand a step of `run` to the task backend.

    The tasks (annotator/tasks.py) wrap the step functions below; they are
    looked up here at call time because tasks import this module.
    """
    from .. import tasks

    getattr(tasks, step).enqueue(run.pk)


def _create(project: Project, user, kind: str, params: dict, total: int = 0) -> TaskRun:
    # Created outside any transaction of ours: a worker (another process) must see it when the task arrives.
    return TaskRun.objects.create(
        project=project,
        user=user if user is not None and user.is_authenticated else None,
        kind=kind,
        params=params,
        total=total,
        heartbeat_at=timezone.now(),
    )


def start_prediction(project: Project, user=None, *, model: str | None = None) -> TaskRun:
    """Start predicting the project's documents that lack the extractor's predictions (a new version: all).

    The worker loads the extractor (`model`, default settings.EXTRACTOR_MODEL),
    so the web process never loads spaCy.
    """
    run = _create(project, user, Kind.PREDICT, {"model": model})
    _enqueue("plan_prediction", run)
    return run


def start_export(
    project: Project,
    user=None,
    *,
    fmt: str,
    layer: str,
    model: str | None = None,
    annotator: str | None = None,
    as_of: str | None = None,
) -> TaskRun:
    """Start writing a layer of the project in `fmt` to a file under settings.EXPORT_DIR.

    `as_of` (ISO-8601, gold only) exports the gold as it stood then.
    """
    if fmt not in EXPORT_FORMATS:
        raise RunRefused(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    if layer not in LAYERS:
        raise RunRefused(f"unknown layer {layer!r} (gold, model or annotations)")
    if layer == "model" and model and not ExtractorVersion.objects.filter(version=model).exists():
        raise RunRefused(f"no predictions of {model!r} in this project")
    if annotator and not get_user_model().objects.filter(username=annotator).exists():
        raise RunRefused(f"no such annotator {annotator!r}")
    if as_of:
        if layer != "gold":
            raise RunRefused("as_of reads the gold's history; other layers have none")
        try:
            as_of = gold.parse_as_of(as_of).isoformat()
        except gold.GoldRefused as error:
            raise RunRefused(str(error)) from None
    params = {"format": fmt, "layer": layer, "model": model, "annotator": annotator}
    if as_of:
        params["as_of"] = as_of
    run = _create(project, user, Kind.EXPORT, params)
    _enqueue("export_run", run)
    return run


def start_evaluation(project: Project, user=None, *, model: str | None = None) -> TaskRun:
    """Start scoring an extractor version (default the latest) against the project's gold."""
    run = _create(project, user, Kind.EVALUATE, {"model": model})
    _enqueue("evaluate_run", run)
    return run


# ---------------------------------------------------------------- a locked database


# How often a worker's write is tried again when SQLite says "database is locked" (a long import holds
# the write lock longer than the busy timeout), waiting 1, 2, 4, ... up to 30 s between tries.
LOCK_RETRIES = 8


def is_locked(error: Exception) -> bool:
    """Whether a database error is SQLite's "database is locked" / "database is busy"."""
    message = str(error).lower()
    return isinstance(error, OperationalError) and ("locked" in message or "busy" in message)


def retry_when_locked(function):
    """Run `function` (one transaction of a worker) again when the database is locked, logging each wait.

    Inside an outer transaction there is nothing to retry: the error goes up.
    """

    def run(*args, **kwargs):
        for attempt in range(LOCK_RETRIES):
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                if not is_locked(error) or attempt == LOCK_RETRIES - 1 or transaction.get_connection().in_atomic_block:
                    raise
                wait = min(30, 2**attempt)
                logger.warning("%s: %s; trying again in %s s (try %s of %s)", function.__name__, error, wait, attempt + 2, LOCK_RETRIES)
                time.sleep(wait)

    run.__name__, run.__doc__, run.__wrapped__ = function.__name__, function.__doc__, function
    return run


# ---------------------------------------------------------------- leases


def _here() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def lease_is_stale(lease: dict, now=None, stale_seconds: int | None = None) -> bool:
    """Whether a lease's process is gone (same host) or silent for too long (any host)."""
    now = now or timezone.now()
    stale_seconds = settings.TASK_STALE_SECONDS if stale_seconds is None else stale_seconds
    if lease.get("host") == socket.gethostname() and not _alive(int(lease.get("pid", 0))):
        return True
    at = lease.get("at")
    seen = datetime.fromisoformat(at) if at else None
    return seen is None or now - seen > timedelta(seconds=stale_seconds)


def _take(run: TaskRun, key: str, task_id: str | None) -> str:
    """Write a lease on `key` for this process into the (locked) run; return its token."""
    token = uuid.uuid4().hex
    now = timezone.now()
    run.leases[key] = {**_here(), "token": token, "task": task_id, "at": now.isoformat()}
    run.heartbeat_at = now
    if run.status == Status.QUEUED:
        run.status = Status.RUNNING
        run.started_at = now
    return token


def _locked(run_id: int) -> TaskRun | None:
    return TaskRun.objects.select_for_update().filter(pk=run_id).first()


def _finish(run: TaskRun, status: str = Status.DONE) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.heartbeat_at = run.finished_at
    run.leases = {}


@retry_when_locked
def _fail(run_id: int, message: str) -> None:
    with transaction.atomic():
        run = _locked(run_id)
        if run is None or run.finished:
            return
        run.errors = [*run.errors, message]
        _finish(run, Status.FAILED)
        run.save()
    logger.warning("task run %s failed: %s", run_id, message)


def _claim_main(run_id: int, task_id: str | None) -> tuple[TaskRun, str] | None:
    """Take the main lease of a run unless it is finished or a live process holds it."""
    with transaction.atomic():
        run = _locked(run_id)
        if run is None or run.finished:
            return None
        lease = run.leases.get(MAIN)
        if lease is not None and not lease_is_stale(lease):
            return None
        token = _take(run, MAIN, task_id)
        run.save()
    return run, token


def _release_main(run_id: int, token: str, **changes) -> bool:
    """Finish a one-step run with `changes` if this process still holds its lease."""
    with transaction.atomic():
        run = _locked(run_id)
        if run is None or run.finished or run.leases.get(MAIN, {}).get("token") != token:
            return False
        for name, value in changes.items():
            setattr(run, name, value)
        _finish(run)
        run.save()
    return True


def _progress_callback(run_id: int, token: str, key: str = MAIN, every: float = 0.5) -> Callable[[int, int], None]:
    """A progress(done, total) that records the counts (and reports the lease alive), at most every `every` s."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < every and done < total:
            return
        last[0] = now
        stamp = timezone.now()
        with transaction.atomic():
            run = _locked(run_id)
            if run is None or run.leases.get(key, {}).get("token") != token:
                return
            run.done, run.total = min(done, total), total
            run.leases[key]["at"] = stamp.isoformat()
            run.heartbeat_at = stamp
            run.save(update_fields=["done", "total", "leases", "heartbeat_at"])

    return report


# ---------------------------------------------------------------- prediction


def _extractor_for(run: TaskRun):
    # Looked up on the module each time, so tests can swap the extractor.
    extractor = prediction.get_extractor(prediction.model_for(run.project, run.params.get("model")))
    version = register_extractor(extractor)
    return extractor, version


def plan_prediction(run_id: int, task_id: str | None = None) -> dict:
    """Load the extractor, list the documents that lack its predictions, cut them into chunks, start the workers."""
    claimed = _claim_main(run_id, task_id)
    if claimed is None:
        return {"skipped": True}
    run, token = claimed
    if run.chunks is not None:  # planned before a stop: only the workers need starting again
        _release_plan(run_id, token)
        return _start_workers(run_id)
    try:
        extractor, version = _extractor_for(run)
    except Exception as error:  # a missing model or a broken pipeline: say so on the run
        _fail(run_id, f"cannot load the extractor {run.params.get('model') or settings.EXTRACTOR_MODEL!r}: {error}")
        return {"failed": True}
    todo = list(
        Document.objects.filter(project_id=run.project_id)
        .exclude(predictions__extractor=version)
        .order_by("id")
        .values_list("id", flat=True)
    )
    size = max(1, settings.PREDICT_CHUNK_SIZE)
    chunks = [[ids[0], ids[-1], len(ids)] for ids in (todo[b : b + size] for b in range(0, len(todo), size))]
    with transaction.atomic():
        run = _locked(run_id)
        if run is None or run.leases.get(MAIN, {}).get("token") != token:
            return {"skipped": True}
        run.params = {**run.params, "version": version.version, "warnings": list(extractor.warnings)}
        run.chunks, run.total = chunks, len(todo)
        run.result = {"extractor": version.version, "predicted": 0}
        del run.leases[MAIN]
        if not chunks:
            _finish(run)
        run.save()
    return _start_workers(run_id)


def _release_plan(run_id: int, token: str) -> None:
    with transaction.atomic():
        run = _locked(run_id)
        if run is not None and run.leases.get(MAIN, {}).get("token") == token:
            del run.leases[MAIN]
            run.save(update_fields=["leases"])


def _start_workers(run_id: int) -> dict:
    """Enqueue up to PREDICT_PARALLEL chunk tasks: each chain works on one chunk at a time."""
    with transaction.atomic():
        run = _locked(run_id)
        if run is None or run.finished:
            return {"chunks": len(run.chunks or []) if run else 0}
        wanted = min(_open_chunks(run), settings.PREDICT_PARALLEL) - run.waiting
        if wanted > 0:
            run.waiting += wanted
            run.save(update_fields=["waiting"])
    for _ in range(max(0, wanted)):
        _enqueue("predict_chunk", run)
    return {"chunks": len(run.chunks)}


def _open_chunks(run: TaskRun) -> int:
    """Chunks neither finished nor held by a live lease."""
    done = set(run.chunks_done)
    return sum(
        1
        for index in range(len(run.chunks or []))
        if index not in done and (str(index) not in run.leases or lease_is_stale(run.leases[str(index)]))
    )


@retry_when_locked
def _claim_chunk(run_id: int, task_id: str | None) -> tuple[TaskRun, int, str] | None:
    """Take the first chunk of the run that is neither finished nor held; None when there is none."""
    with transaction.atomic():
        run = _locked(run_id)
        if run is None:
            return None
        if run.waiting:
            run.waiting -= 1
            run.save(update_fields=["waiting"])
        if run.finished or run.chunks is None:
            return None
        done = set(run.chunks_done)
        for index in range(len(run.chunks)):
            if index in done:
                continue
            lease = run.leases.get(str(index))
            if lease is not None and not lease_is_stale(lease):
                continue
            token = _take(run, str(index), task_id)
            run.save()
            return run, index, token
    return None


def predict_chunk(run_id: int, task_id: str | None = None) -> dict:
    """Predict one chunk of a run, then hand the run on to another task if chunks are left.

    Each chain of tasks works on one chunk at a time, so PREDICT_PARALLEL
    chains keep that many workers busy while other tasks still get their turn.
    """
    claimed = _claim_chunk(run_id, task_id)
    if claimed is None:
        return {"chunk": None}
    run, index, token = claimed
    try:
        extractor, version = _extractor_for(run)
        if version.version != run.params.get("version"):
            _fail(
                run_id,
                f"this worker runs extractor {version.version}, the run was planned for {run.params.get('version')}: "
                "the extractor changed since; start a new prediction run",
            )
            return {"chunk": index, "failed": True}
        stored = _predict_range(run, index, token, extractor, version)
    except _LeaseLost:
        return {"chunk": index, "lost": True}
    except Exception as error:  # one bad chunk must not stop the others: record it and go on
        logger.exception("task run %s: chunk %s failed", run_id, index)
        _end_chunk(run_id, index, token, error=f"chunk {index + 1} of {len(run.chunks)}: {type(error).__name__}: {error}")
        stored = 0
    else:
        _end_chunk(run_id, index, token)
    _start_workers(run_id)  # the next chunk, unless enough tasks already wait for the open ones
    return {"chunk": index, "stored": stored}


class _LeaseLost(Exception):
    """Another worker was given this chunk (this one was silent too long): stop, its writes stand."""


def _predict_range(run: TaskRun, index: int, token: str, extractor, version: ExtractorVersion) -> int:
    first, last, _ = run.chunks[index]
    labels = {label.name: label for label in run.project.labels.all()}
    # What is still missing in the chunk: after a stop, the part already stored is not done again.
    documents = list(
        Document.objects.filter(project_id=run.project_id, id__gte=first, id__lte=last)
        .exclude(predictions__extractor=version)
        .order_by("id")
        .only("id", "text")
    )
    stored = 0
    batch: list = []
    spans_of = extractor.predict(d.text for d in documents)
    for document, spans in zip(documents, spans_of):
        batch.append((document, spans))
        if len(batch) >= WRITE_BATCH:
            stored += _write(run.pk, index, token, version, labels, batch)
            batch = []
    if batch:
        stored += _write(run.pk, index, token, version, labels, batch)
    return stored


@retry_when_locked
def _write(run_id: int, index: int, token: str, version, labels, batch) -> int:
    """Store a batch of predictions and count it on the run, in one transaction.

    A document another worker stored meanwhile is skipped (store_predictions
    looks first; the unique (document, version) constraint catches a race, and
    the batch is tried again without it).
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                stored = store_predictions(version, labels, batch)
                run = _locked(run_id)
                lease = run.leases.get(str(index)) if run is not None else None
                if lease is None or lease.get("token") != token:
                    raise _LeaseLost()
                now = timezone.now()
                lease["at"] = now.isoformat()
                run.done = min(run.total, run.done + len(batch))
                run.result = {**run.result, "predicted": run.result.get("predicted", 0) + stored}
                run.heartbeat_at = now
                run.save(update_fields=["done", "result", "leases", "heartbeat_at"])
                return stored
        except IntegrityError:
            if attempt == 2:
                raise
    return 0


@retry_when_locked
def _end_chunk(run_id: int, index: int, token: str, error: str | None = None) -> None:
    with transaction.atomic():
        run = _locked(run_id)
        if run is None or run.finished:
            return
        if run.leases.get(str(index), {}).get("token") == token:
            del run.leases[str(index)]
        if index not in run.chunks_done:
            run.chunks_done = sorted([*run.chunks_done, index])
        if error:
            run.errors = [*run.errors, error]
        run.heartbeat_at = timezone.now()
        if len(run.chunks_done) == len(run.chunks):
            run.done = run.total if not run.errors else run.done
            _finish(run)
        run.save()


# ---------------------------------------------------------------- export and evaluation


def export_path(run: TaskRun) -> Path:
    """Where an export run writes its file (the name the download gets is in run.result)."""
    fmt = run.params["format"]
    module = FORMATS[fmt]
    suffix = ".zip" if module.KIND == "files" else module.SUFFIX
    return Path(settings.EXPORT_DIR) / f"run-{run.pk}{suffix}"


def export_media_type(run: TaskRun) -> str:
    module = FORMATS[run.params["format"]]
    return "application/zip" if module.KIND == "files" else module.MEDIA_TYPE


def export_run(run_id: int, task_id: str | None = None) -> dict:
    """Write the export of a run to its file, counting documents as they are written."""
    from . import exports

    claimed = _claim_main(run_id, task_id)
    if claimed is None:
        return {"skipped": True}
    run, token = claimed
    params = run.params
    annotator = None
    if params.get("annotator"):
        annotator = get_user_model().objects.filter(username=params["annotator"]).first()
    path = export_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = exports.export_layer(
            run.project,
            fmt=params["format"],
            layer=params["layer"],
            output=path,
            model=params.get("model"),
            annotator=annotator,
            progress=_progress_callback(run_id, token),
            as_of=gold.parse_as_of(params["as_of"]) if params.get("as_of") else None,
        )
    except Exception as error:
        _fail(run_id, f"{type(error).__name__}: {error}")
        return {"failed": True}
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"{run.project.slug}-{params['layer']}-{params['format']}-{stamp}{path.suffix}"
    summary = {
        "documents": result.documents,
        "spans": result.spans,
        "problems": result.problems,
        "file": name,
        "bytes": path.stat().st_size,
    }
    _release_main(run_id, token, result=summary, done=result.documents, total=result.documents)
    return summary


def evaluate_run(run_id: int, task_id: str | None = None) -> dict:
    """Score the run's extractor version against the gold and keep the scores on the run."""
    from .. import scoring, selectors

    claimed = _claim_main(run_id, task_id)
    if claimed is None:
        return {"skipped": True}
    run, token = claimed
    project = run.project
    name = run.params.get("model")
    extractor = scoring.version_named(name, project) if name else selectors.latest_extractor(project)
    if extractor is None:
        _fail(run_id, f"no extractor version {name!r} in this project" if name else "no predictions in this project yet")
        return {"failed": True}
    try:
        scored = scoring.score(project, extractor)
    except Exception as error:
        _fail(run_id, f"{type(error).__name__}: {error}")
        return {"failed": True}
    documents = len(scored.gold.documents)
    result = {"extractor": extractor.version, "evaluation_run": scored.run.pk if scored.run else None, **scored.results}
    _release_main(run_id, token, result=result, done=documents, total=documents)
    return {"evaluation_run": result["evaluation_run"]}


# ---------------------------------------------------------------- recovery and waiting


def _next_step(run: TaskRun) -> str:
    if run.kind == Kind.PREDICT:
        return "plan_prediction" if run.chunks is None else "predict_chunk"
    if run.kind == Kind.TRAIN:
        return "train_run"
    return "export_run" if run.kind == Kind.EXPORT else "evaluate_run"


def recover_stalled(stale_seconds: int | None = None) -> list[TaskRun]:
    """Give the work of dead or silent workers to others: drop stale leases, enqueue the next step.

    A run with no live lease that has not moved for `stale_seconds` (default
    settings.TASK_STALE_SECONDS) is kicked too: its task may have been lost.
    Each kick is safe to repeat (every step is idempotent) and moves the
    heartbeat, so a run waiting in a busy queue is kicked at most once per period.
    """
    stale_seconds = settings.TASK_STALE_SECONDS if stale_seconds is None else stale_seconds
    kicked = []
    for run_id in TaskRun.objects.filter(status__in=[Status.QUEUED, Status.RUNNING]).values_list("id", flat=True):
        with transaction.atomic():
            run = _locked(run_id)
            if run is None or run.finished:
                continue
            now = timezone.now()
            stale = [key for key, lease in run.leases.items() if lease_is_stale(lease, now, stale_seconds)]
            silent = not run.leases and (run.heartbeat_at is None or now - run.heartbeat_at > timedelta(seconds=stale_seconds))
            if not stale and not silent:
                continue
            dropped = [run.leases.pop(key) for key in stale]
            run.heartbeat_at = now
            kicks = max(1, len(stale))
            if run.kind == Kind.PREDICT and run.chunks is not None:
                run.waiting += kicks
            run.save(update_fields=["leases", "heartbeat_at", "waiting"])
        _forget_tasks([lease.get("task") for lease in dropped])
        logger.warning("task run %s: %s; handing it to a worker again", run_id, f"{len(stale)} stale lease(s)" if stale else "no progress")
        for _ in range(kicks):
            _enqueue(_next_step(run), run)
        kicked.append(run)
    _retrain_when_due()
    return kicked


def _retrain_when_due() -> None:
    """Start the trainings that projects set to retrain after N new gold documents are due (services.training).

    Here because every worker calls recover_stalled every so often.
    """
    from .training import start_due_trainings

    try:
        start_due_trainings()
    except Exception:  # retraining is a convenience: never let it stop the recovery of runs
        logger.exception("starting due trainings failed")


def _forget_tasks(task_ids: list) -> None:
    """Mark the database backend's records of tasks whose worker died as failed (they stay RUNNING otherwise)."""
    task_ids = [t for t in task_ids if t]
    if not task_ids or "django_tasks_db" not in settings.TASKS["default"]["BACKEND"]:
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id__in=task_ids, status="RUNNING").update(status="FAILED", finished_at=timezone.now())


def wait_for(run: TaskRun, progress: Callable[[int, int], None] | None = None, poll: float = 0.5, timeout: float | None = None) -> TaskRun:
    """Poll a run until it is finished (or `timeout` seconds pass), telling `progress` its counts."""
    started = time.monotonic()
    while True:
        run.refresh_from_db()
        if progress and run.total:
            progress(run.done, run.total)
        if run.finished or (timeout is not None and time.monotonic() - started > timeout):
            return run
        time.sleep(poll)


def runs_visible_to(user, project: Project, role: str | None):
    """The runs of a project a user may see: all of them for managers, their own for anyone else."""
    runs = TaskRun.objects.filter(project=project).select_related("user", "project")
    return runs if role == "manager" else runs.filter(user=user)
