"""Training runs: the body of the training task, its progress on the run, and cancelling it.

The training itself is services.training.train_project; here it reports to
the run (steps done, the log) through its Reporter, and a cancel is seen at
the next report: the run is no longer unfinished, so the report raises
extraction.training.Cancelled and the training stops where it is.
"""

from __future__ import annotations

import logging

from django.db.models import F

from ..extraction import training as pure
from ..models import RunChunk, TaskRun
from ..services import training
from . import chunks, runs

logger = logging.getLogger(__name__)


def _report_to(run_id: int, chunk: RunChunk):
    def report(done: int | None, total: int, lines: list[str]) -> None:
        fields = {"total": total, "result": {"log": lines}}
        if done is not None:
            fields["done"] = done
        if not chunks.hold(chunk) or not runs.update(run_id, **fields):
            raise pure.Cancelled()

    return report


def train_run(run_id: int) -> dict:
    """Train, store and score a version; the run's result is the `train --json` object.

    Returns {"training": pk, "promoted": bool}: a promoted version's
    suggestions are then predicted by a new run (jobs.tasks starts it).
    """
    taken = chunks.take_step(run_id)
    if taken is None:  # done, held, or cancelled while it waited
        return {"skipped": True}
    run, chunk = taken
    params = run.params
    try:
        trained = training.train_project(
            run.project,
            dev_fraction=params.get("dev_fraction", 0.2),
            seed=params.get("seed", 0),
            curve=params.get("curve", False),
            promote_if_better=params.get("promote"),
            max_steps=params.get("max_steps"),
            user=run.user,
            task=run,
            reporter_factory=lambda total: training.Reporter(total, report=_report_to(run_id, chunk)),
        )
    except pure.Cancelled:
        chunks.close(chunk, error="cancelled")
        return {"cancelled": True}
    except Exception as error:
        logger.exception("training run %s failed", run_id)
        return chunks.fail_step(run, chunk, f"{type(error).__name__}: {error}")
    result = {**training.summary(trained), "training": trained.pk, "log": trained.log[-200:]}
    if chunks.close(chunk):
        runs.finish(run_id, result=result, done=F("total"))
    return {"training": trained.pk, "promoted": trained.promoted}


def cancel(run: TaskRun, user=None) -> bool:
    """Stop a queued or running training: the run fails with a note, the training stops at its next report."""
    if run.kind != TaskRun.Kind.TRAIN:
        return False
    who = getattr(user, "username", None)
    return runs.fail(run.pk, f"cancelled{f' by {who}' if who else ''}")
