"""Compute the heavy numbers (agreement, an evaluation, spans per label) and store them as snapshots.

Over 100,000 documents these read millions of spans: seconds, not a
request's milliseconds. A background run calls `refresh` (the evaluation
run of the run machinery does), which stores each result in a
ScoreSnapshot with its basis (selectors.dashboards.basis: what it was
computed from). The pages read the snapshot, show its age and offer to
compute it again when the basis has moved on; a GET never writes. Small
projects (up to INLINE_LIMIT documents to read) are computed in the
request instead, which keeps the pages exact while people work, without
storing anything.
"""

from __future__ import annotations

import time

from django.utils import timezone

from .. import scoring
from ..models import ExtractorVersion, Project, ScoreSnapshot
from ..selectors import dashboards

Kind = ScoreSnapshot.Kind


def _store(project: Project, kind: str, subject: str, basis: str, documents: int, results: dict, began: float) -> ScoreSnapshot:
    snapshot, _ = ScoreSnapshot.objects.update_or_create(
        project=project,
        kind=kind,
        subject=subject,
        defaults={
            "basis": basis,
            "documents": documents,
            "results": results,
            "seconds": time.perf_counter() - began,
            "computed_at": timezone.now(),
        },
    )
    return snapshot


# ---------------------------------------------------------------- agreement


def refresh_agreement(project: Project) -> ScoreSnapshot:
    began = time.perf_counter()
    basis = dashboards.basis(project, Kind.AGREEMENT)
    result = dashboards.compact_agreement(dashboards.project_agreement(project))
    return _store(project, Kind.AGREEMENT, "", basis, result["documents_scored"], result, began)


# ---------------------------------------------------------------- spans per label


def refresh_labels(project: Project) -> ScoreSnapshot:
    began = time.perf_counter()
    basis = dashboards.basis(project, Kind.LABELS)
    documents = dashboards.gold_counts(project)["total"]
    return _store(project, Kind.LABELS, "", basis, documents, dashboards.labels_now(project), began)


# ---------------------------------------------------------------- evaluation


def refresh_evaluation(project: Project, extractor: ExtractorVersion) -> scoring.Scored:
    """Score `extractor` against the gold, keep the run in the history and the scores as a snapshot."""
    began = time.perf_counter()
    basis = dashboards.basis(project, Kind.EVALUATION, extractor.version)
    scored = scoring.score(project, extractor, store=True)
    results = {**scored.results, "gold_documents": len(scored.gold.documents), "total_documents": scored.gold.total_documents}
    _store(project, Kind.EVALUATION, extractor.version, basis, len(scored.gold.documents), results, began)
    return scored


def refresh(project: Project, extractor: ExtractorVersion | None = None) -> scoring.Scored | None:
    """Everything heavy of a project at once: what a background run computes (one evaluation run).

    Returns the evaluation of `extractor` (None: no extractor given).
    """
    scored = refresh_evaluation(project, extractor) if extractor is not None else None
    refresh_agreement(project)
    refresh_labels(project)
    return scored
