"""Run the extractor over documents and store its predictions, keyed by extractor version."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..db.bulk import insert_predictions
from .. import extraction
from ..models import Document, ExtractorVersion, Label, Prediction, Project
from .versions import load_trained, suggestion_model


_extractors: dict[str, object] = {}
_extractors_lock = threading.Lock()


def get_extractor(model: str | None = None):
    """The extractor for `model`, loaded once per process: loading spaCy takes about a second.

    `model` is a spaCy pipeline name or path, or the version string of a
    trained version (its bytes come from the database, services.training);
    None is settings.EXTRACTOR_MODEL. This is the app's one extractor cache
    (extraction.load_extractor is called without its own), shared by the
    threads of a worker.
    """
    name = model or settings.EXTRACTOR_MODEL
    with _extractors_lock:
        if name not in _extractors:
            _extractors[name] = _load(name)
        return _extractors[name]


def _load(name: str):
    if not Path(name).exists():
        trained = load_trained(name)
        if trained is not None:
            return trained
    return extraction.load_extractor(name, cache=False)


def model_for(project: Project, model: str | None = None) -> str | None:
    """The model to predict with: `model` if given, else the project's promoted version (None: the rules)."""
    return model or suggestion_model(project)


def register_extractor(extractor) -> ExtractorVersion:
    version, _ = ExtractorVersion.objects.get_or_create(
        version=extractor.version,
        defaults={"name": extractor.name, "base_model": extractor.base_model, "warnings": list(extractor.warnings)},
    )
    return version


def store_predictions(version: ExtractorVersion, labels: dict[str, Label], pairs) -> int:
    """Store (document, spans) pairs as predictions of `version`; skip documents that have one.

    Keyed by (document, extractor version), so running twice never predicts a
    document twice. Spans are dicts (start, end, label, score, source); a
    label the project does not have is left out. The rows go in as raw
    multi-row INSERTs (db.bulk.insert_predictions): through the ORM, 30,000
    spans were 30,000 model instances and most of an import's time.
    """
    pairs = list(pairs)
    existing = set(
        Prediction.objects.filter(extractor=version, document_id__in=[d.pk for d, _ in pairs]).values_list(
            "document_id", flat=True
        )
    )
    label_ids = {name: label.pk for name, label in labels.items()}
    rows = []
    for document, spans in pairs:
        if document.pk in existing:
            continue
        document.uncertainty = uncertainty(spans)
        rows.append((document.pk, document.uncertainty, _span_rows(spans, label_ids)))
    insert_predictions(version.pk, timezone.now(), rows)
    return len(rows)


def _span_rows(spans, label_ids: dict[str, int]) -> list[tuple]:
    """(label id, start, end, score, source) of each span whose label the project has."""
    return [
        (label_ids[span["label"]], span["start"], span["end"], span.get("score"), span.get("source") or "")
        for span in spans
        if span["label"] in label_ids
    ]


def uncertainty(spans) -> float:
    """How unsure the extractor was about a document: 1 minus the score of its least sure span.

    Drives the "most uncertain first" work order; a document without scored spans gets 0.
    """
    scores = [s["score"] for s in spans if s.get("score") is not None]
    return 1.0 - min(scores) if scores else 0.0


def predict_documents(
    project: Project,
    *,
    model: str | None = None,
    chunk_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
    ids: Iterable[int] | None = None,
) -> tuple[ExtractorVersion, int]:
    """Run the extractor over the project's documents that lack its predictions.

    Returns the extractor version and how many documents were predicted.
    Each chunk is stored in its own transaction, so a stopped run resumes
    where it left off. `ids` limits the run to those documents (a background
    job's chunk): the command and the jobs share this one prediction path.
    """
    extractor = get_extractor(model_for(project, model))
    version = register_extractor(extractor)
    labels = {label.name: label for label in project.labels.all()}
    documents = project.documents if ids is None else project.documents.filter(id__in=list(ids))
    todo = list(documents.exclude(predictions__extractor=version).order_by("order", "id").values_list("id", flat=True))
    done = 0
    for begin in range(0, len(todo), chunk_size):
        documents = list(Document.objects.filter(id__in=todo[begin : begin + chunk_size]).only("id", "text"))
        spans = extractor.predict([d.text for d in documents])
        with transaction.atomic():
            done += store_predictions(version, labels, zip(documents, spans))
        if progress:
            progress(min(begin + chunk_size, len(todo)), len(todo))
    return version, done
