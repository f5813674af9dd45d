"""Evaluation runs: score an extractor version against the project's gold; the scores are the run's result.

A run with params `only: agreement` computes the agreement snapshot alone (a project may have no predictions).
"""

from __future__ import annotations

from .. import scoring, selectors
from ..services import scores
from . import chunks, runs


def evaluate_run(run_id: int) -> dict:
    """Score the run's extractor version (default: the latest) and keep the scores on the run."""
    taken = chunks.take_step(run_id)
    if taken is None:
        return {"skipped": True}
    run, chunk = taken
    if run.params.get("only") == "agreement":
        return _agreement(run, chunk)
    name = run.params.get("model")
    extractor = scoring.version_named(name, run.project) if name else selectors.latest_extractor(run.project)
    if extractor is None:
        return chunks.fail_step(run, chunk, f"no extractor version {name!r} in this project" if name else "no predictions in this project yet")
    try:
        scored = scores.refresh(run.project, extractor)  # also stores the snapshots the pages show
    except Exception as error:
        return chunks.fail_step(run, chunk, f"{type(error).__name__}: {error}")
    documents = len(scored.gold.documents)
    result = {"extractor": extractor.version, "evaluation_run": scored.run.pk if scored.run else None, **scored.results}
    if chunks.close(chunk):
        runs.finish(run_id, result=result, done=documents, total=documents)
    return {"evaluation_run": result["evaluation_run"]}


def _agreement(run, chunk) -> dict:
    """Compute the agreement and the spans per label again and store their snapshots (start.start_agreement)."""
    try:
        snapshot = scores.refresh_agreement(run.project)
        scores.refresh_labels(run.project)
    except Exception as error:
        return chunks.fail_step(run, chunk, f"{type(error).__name__}: {error}")
    documents = snapshot.documents
    result = {"agreement": True, "documents_scored": documents, "computed_at": snapshot.computed_at.isoformat()}
    if chunks.close(chunk):
        runs.finish(run.pk, result=result, done=documents, total=documents)
    return {"documents_scored": documents}
