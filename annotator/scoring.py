"""Score an extractor version of a project against its gold, and keep each run.

The database side of annotator/evaluation: gather the gold and one
extractor version's predictions of a project in a fixed number of queries
(no query per document or span), hand them to the pure scoring, and store
the run so the evaluation page can chart the history.

Only documents with gold (Document.gold_at set) are scored; a gold document
without predictions of the version counts as all missed, and predictions on
documents without gold are left out.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F

from .evaluation.schemes import Evaluation, evaluate
from .models import Document, EvaluationRun, ExtractorVersion, GoldSpan, PredictedSpan, Prediction, Project
from .names import version_in


@dataclass
class Gold:
    """The project's gold: which documents have it (without their texts), and their spans."""

    documents: list[dict]  # {"id", "title", "external_id", "content_hash", "order"} in work order
    spans: list[tuple[int, str, int, int]]  # (document id, label, start, end)
    total_documents: int  # all documents of the project, with gold or not
    fingerprint: str

    @property
    def ids(self) -> list[int]:
        return [d["id"] for d in self.documents]


@dataclass
class Scored:
    """One extractor version scored against the gold."""

    extractor: ExtractorVersion
    gold: Gold
    evaluation: Evaluation
    predicted_documents: int  # gold documents that have predictions of the version
    results: dict[str, Any] = field(default_factory=dict)
    run: EvaluationRun | None = None

    @property
    def unpredicted_documents(self) -> int:
        return len(self.gold.documents) - self.predicted_documents


def gold_of(project: Project) -> Gold:
    """The documents with gold and their spans (three queries)."""
    total = project.documents.count()
    documents = list(
        project.documents.filter(gold_at__isnull=False)
        .order_by("order", "id")
        .values("id", "title", "external_id", "content_hash", "order")
    )
    spans = list(
        GoldSpan.objects.filter(document__project=project, document__gold_at__isnull=False)
        .order_by("document_id", "start", "end")
        .values_list("document_id", "label__name", "start", "end")
    )
    return Gold(documents, spans, total, fingerprint(documents, spans))


def fingerprint(documents: list[dict], spans: list[tuple[int, str, int, int]]) -> str:
    """A hash of the gold as scored: each document's text hash with its spans, in a stable order."""
    hashes = {d["id"]: d["content_hash"] for d in documents}
    by_document: dict[str, list] = {hashes[d["id"]]: [] for d in documents}
    for document_id, label, start, end in spans:
        by_document[hashes[document_id]].append([label, start, end])
    payload = json.dumps(sorted((h, sorted(s)) for h, s in by_document.items()), separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def predictions_of(project: Project, extractor: ExtractorVersion) -> tuple[list[tuple[int, str, int, int]], int]:
    """The version's spans on gold documents, and how many gold documents it predicted (two queries)."""
    on_gold = {"prediction__extractor": extractor, "prediction__document__project": project}
    spans = list(
        PredictedSpan.objects.filter(**on_gold, prediction__document__gold_at__isnull=False)
        .annotate(document_id=F("prediction__document_id"))
        .values_list("document_id", "label__name", "start", "end")
    )
    predicted = Prediction.objects.filter(
        extractor=extractor, document__project=project, document__gold_at__isnull=False
    ).count()
    return spans, predicted


def label_names(project: Project) -> list[str]:
    return list(project.labels.order_by("order", "name").values_list("name", flat=True))


def score(
    project: Project,
    extractor: ExtractorVersion,
    *,
    gold: Gold | None = None,
    labels: list[str] | None = None,
    keep_outcomes: bool = False,
    store: bool = True,
) -> Scored:
    """Score `extractor` against the project's gold; store the run unless it repeats the last one.

    `gold` and `labels`, when given, save their queries (the page scores two
    versions on one gold).
    """
    gold = gold if gold is not None else gold_of(project)
    labels = labels if labels is not None else label_names(project)
    spans, predicted = predictions_of(project, extractor)
    evaluation = evaluate(gold.spans, spans, labels=labels, documents=gold.ids, keep_outcomes=keep_outcomes)
    results = evaluation.as_dict()
    results["predicted_documents"] = predicted
    # Stored and compared as JSON: tuples become lists, keys strings.
    results = json.loads(json.dumps(results))
    scored = Scored(extractor, gold, evaluation, predicted, results)
    if store:
        scored.run = record_run(project, extractor, gold, results)
    return scored


def stored_run(project: Project, extractor: ExtractorVersion, gold: Gold, results: dict) -> EvaluationRun | None:
    """The last stored run of this version if it scored the same gold to the same numbers (reads only)."""
    last = EvaluationRun.objects.filter(project=project, extractor=extractor).order_by("-created_at", "-id").first()
    if last is not None and last.gold_fingerprint == gold.fingerprint and last.results == results:
        return last
    return None


def record_run(project: Project, extractor: ExtractorVersion, gold: Gold, results: dict) -> EvaluationRun:
    """Store a run, or return the last one of this version if it scored the same gold to the same numbers."""
    last = stored_run(project, extractor, gold, results)
    if last is not None:
        return last
    return EvaluationRun.objects.create(
        project=project,
        extractor=extractor,
        extractor_version=extractor.version,
        gold_documents=len(gold.documents),
        gold_fingerprint=gold.fingerprint,
        results=results,
    )


def history(project: Project, limit: int = 100) -> list[EvaluationRun]:
    """The project's last `limit` runs, oldest first (one query)."""
    runs = list(EvaluationRun.objects.filter(project=project).order_by("-created_at", "-id")[:limit])
    runs.reverse()
    return runs


def documents_with_text(ids: list[int]) -> dict[int, Document]:
    """The documents `ids` with their texts (one query)."""
    return {d.pk: d for d in Document.objects.filter(pk__in=ids).only("id", "text", "title", "external_id", "order")}


def version_named(name: str | None, project: Project) -> ExtractorVersion | None:
    """The extractor version `name` (exact version string, or the name of the newest with that name)
    among those with predictions in the project: a version of another project is not found."""
    return version_in(project, name)
