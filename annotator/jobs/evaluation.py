"""Evaluation runs: score an extractor version against the project's gold; the scores are the run's result."""

from __future__ import annotations

from .. import scoring, selectors
from ..services import scores
from ..models import TaskRun
from . import chunks, runs


def evaluate_run(run_id: int) -> dict:
    """Score the run's extractor version (default: the latest) and keep the scores on the run."""
    chunk = chunks.claim(run_id, 0)
    if chunk is None:
        return {"skipped": True}
    runs.mark_running(run_id)
    run = TaskRun.objects.select_related("project").get(pk=run_id)
    name = run.params.get("model")
    extractor = scoring.version_named(name, run.project) if name else selectors.latest_extractor(run.project)
    if extractor is None:
        chunks.close(chunk, error="no extractor")
        runs.fail(run_id, f"no extractor version {name!r} in this project" if name else "no predictions in this project yet")
        return {"failed": True}
    try:
        scored = scores.refresh(run.project, extractor)  # also stores the snapshots the pages show
    except Exception as error:
        chunks.close(chunk, error=str(error))
        runs.fail(run_id, f"{type(error).__name__}: {error}")
        return {"failed": True}
    documents = len(scored.gold.documents)
    result = {"extractor": extractor.version, "evaluation_run": scored.run.pk if scored.run else None, **scored.results}
    if chunks.close(chunk):
        runs.finish(run_id, result=result, done=documents, total=documents)
    return {"evaluation_run": result["evaluation_run"]}
