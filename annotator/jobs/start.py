"""Start runs of every kind, and plan again what stopped workers left: what the faces call.

Each start checks what is asked (RunRefused or TrainingRefused say what is
wrong), records the run, and hands its first step to the workers through
jobs.tasks. `replan`, which every worker calls every so often, is the
whole recovery: a chunk whose holder has been silent for
TASK_STALE_SECONDS is opened again and handed out, and a run nobody works
on is handed to the workers again; what was stored stands, what is missing
is done, and nothing is done twice (every write is keyed and skips what
is there).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from ..models import ExtractorVersion, Project, TaskRun
from ..services import training
from . import chunks, runs, tasks
from .export import export_params
from .imports import import_params, store_upload

logger = logging.getLogger(__name__)

Kind = TaskRun.Kind


def start_prediction(project: Project, user=None, *, model: str | None = None, selection: str | None = None) -> TaskRun:
    """Start predicting the project's documents that lack the extractor's predictions (a new version: all);
    with `selection`, only those of the document list's selection (selectors.documents.selection).

    The worker loads the extractor (`model`, default the project's promoted
    version or settings.EXTRACTOR_MODEL), so the web process never loads spaCy.
    """
    params = {"model": model} if selection is None else {"model": model, "selection": selection}
    return tasks.begin(runs.create(project, user, Kind.PREDICT, params, steps=0))


def start_export(
    project: Project,
    user=None,
    *,
    fmt: str,
    layer: str,
    model: str | None = None,
    annotator: str | None = None,
    as_of: str | None = None,
    selection: str | None = None,
) -> TaskRun:
    """Start writing a layer of the project in `fmt` to a file under settings.EXPORT_DIR (`as_of`: the gold then;
    `selection`: only the documents of the document list's selection, selectors.documents.selection)."""
    params = export_params(fmt, layer, model, annotator, as_of)
    if selection is not None:
        params["selection"] = selection
    return tasks.begin(runs.create(project, user, Kind.EXPORT, params))


def start_evaluation(project: Project, user=None, *, model: str | None = None) -> TaskRun:
    """Start scoring an extractor version (default the latest) against the project's gold."""
    return tasks.begin(runs.create(project, user, Kind.EVALUATE, {"model": model}))


def start_agreement(project: Project, user=None) -> TaskRun:
    """Start computing the agreement (and the spans per label) again: an evaluation run that scores no extractor
    and stores the snapshots the pages and the API read (jobs.evaluation)."""
    return tasks.begin(runs.create(project, user, Kind.EVALUATE, {"model": None, "only": "agreement"}))


def start_import(project: Project, user, upload, **options) -> TaskRun:
    """Store an uploaded file and start importing it; `options` are import_params' (those of `import_docs`).

    Bad options are refused (RunRefused), and a file over the size limit
    (FormatError), before anything is stored.
    """
    params = import_params(**options)
    params.update(upload=store_upload(upload), file=upload.name)
    return tasks.begin(runs.create(project, user, Kind.IMPORT, params))


def start_training(
    project: Project, user=None, *, dev_fraction: float = 0.2, seed: int = 0, curve: bool = False, promote: bool | None = None
) -> TaskRun:
    """Start a training as a background task (one at a time per project)."""
    if not 0 < dev_fraction < 1:
        raise training.TrainingRefused("the dev fraction must be between 0 and 1")
    gold = project.documents.filter(gold_at__isnull=False).count()
    if gold < 2:
        raise training.TrainingRefused(f"training needs at least 2 documents with gold; this project has {gold}")
    params = {"dev_fraction": dev_fraction, "seed": seed, "curve": curve, "promote": promote}
    with transaction.atomic():
        # The project's row lock: two workers finding a retraining due at once start one training.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if TaskRun.objects.filter(project=project, kind=Kind.TRAIN, status__in=runs.UNFINISHED).exists():
            raise training.TrainingRefused("a training of this project is already running")
        run = runs.create(project, user, Kind.TRAIN, params)
    return tasks.begin(run)  # after the commit: the worker must see the run


def promote(project: Project, extractor: ExtractorVersion | None, user=None) -> TaskRun:
    """Make `extractor` the one that suggests (None: the rules) and predict the documents that lack its suggestions."""
    training.promote(project, extractor, user)
    return start_prediction(project, user)


def maybe_retrain(project: Project) -> TaskRun | None:
    """Start a background training when one is due (promotion follows the project's auto_promote)."""
    if not training.retrain_due(project):
        return None
    try:
        return start_training(project, None, dev_fraction=0.2, seed=project.random_seed)
    except training.TrainingRefused:
        return None


def start_due_trainings() -> list[TaskRun]:
    """A training for every project whose `retrain_every` new gold documents have come (the workers call this)."""
    started = []
    for project in Project.objects.filter(retrain_every__gt=0):
        run = maybe_retrain(project)
        if run is not None:
            logger.info("project %s: %s new gold documents, training again (run %s)", project.slug, project.retrain_every, run.pk)
            started.append(run)
    return started


def replan(stale_seconds: float | None = None) -> list[TaskRun]:
    """Hand the work of silent workers to others; the runs handed out again.

    A chunk claimed longer ago than `stale_seconds` (default
    settings.TASK_STALE_SECONDS) is opened again and its step enqueued. A
    run with no chunk held lately that was not planned or handed out within
    the period is handed out again too (its task may have been lost); each
    hand-out moves the run's heartbeat, so a run waiting in a busy queue is
    handed out at most once per period. Enqueuing twice is harmless: a step
    whose chunk is closed or held does nothing.
    """
    unfinished = TaskRun.objects.filter(status__in=runs.UNFINISHED)
    reopened = chunks.reopen_stale(unfinished.values_list("pk", flat=True), stale_seconds)
    limit = chunks.cutoff(stale_seconds)
    handed = []
    for run in unfinished.filter(pk__in=list(reopened)):
        logger.warning("task run %s: chunk(s) %s held by a silent worker; handing them out again", run.pk, reopened[run.pk])
        tasks.again(run, reopened[run.pk])
        handed.append(run)
    for run in unfinished.exclude(pk__in=list(reopened)).filter(heartbeat_at__lt=limit):
        if chunks.held_recently(run.pk, stale_seconds):
            continue
        # One conditional UPDATE: of two workers looking at once, one hands the run out.
        if TaskRun.objects.filter(pk=run.pk, heartbeat_at=run.heartbeat_at).update(heartbeat_at=timezone.now()):
            logger.warning("task run %s: no progress for a while; handing it to the workers again", run.pk)
            tasks.again(run, [])
            handed.append(run)
    return handed


def watch() -> list[TaskRun]:
    """What every worker does every so often: plan again what stopped, start the trainings that are due."""
    handed = replan()
    try:
        start_due_trainings()
    except Exception:  # retraining is a convenience: never let it stop the recovery of runs
        logger.exception("starting due trainings failed")
    return handed
