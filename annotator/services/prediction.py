"""Run the extractor over documents and store its predictions, keyed by extractor version."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from ..extraction import load_extractor
from ..models import (
    Document,
    ExtractorVersion,
    Label,
    PredictedSpan,
    Prediction,
    Project,
)


@lru_cache(maxsize=4)
def get_extractor(model: str | None = None):
    """Load the extractor once per process: loading spaCy takes about a second.

    `model` is a spaCy pipeline name or path, or the version string of a
    trained version (its bytes come from the database, services.training).
    """
    if model and not Path(model).exists():
        from .training import load_trained

        trained = load_trained(model)
        if trained is not None:
            return trained
    return load_extractor(model or settings.EXTRACTOR_MODEL)


def model_for(project: Project, model: str | None = None) -> str | None:
    """The model to predict with: `model` if given, else the project's promoted version (None: the rules)."""
    if model:
        return model
    from .training import suggestion_model

    return suggestion_model(project)


def register_extractor(extractor) -> ExtractorVersion:
    version, _ = ExtractorVersion.objects.get_or_create(
        version=extractor.version,
        defaults={"name": extractor.name, "base_model": extractor.base_model, "warnings": list(extractor.warnings)},
    )
    return version


def store_predictions(version: ExtractorVersion, labels: dict[str, Label], pairs) -> int:
    """Store (document, spans) pairs as predictions of `version`; skip documents that have one.

    Keyed by (document, extractor version), so running twice never predicts a document twice.
    """
    pairs = list(pairs)
    existing = set(
        Prediction.objects.filter(extractor=version, document__in=[d for d, _ in pairs]).values_list(
            "document_id", flat=True
        )
    )
    pairs = [(d, s) for d, s in pairs if d.pk not in existing]
    predictions = Prediction.objects.bulk_create(Prediction(document=d, extractor=version) for d, _ in pairs)
    PredictedSpan.objects.bulk_create(
        PredictedSpan(
            prediction=prediction,
            label=labels[span["label"]],
            start=span["start"],
            end=span["end"],
            score=span.get("score"),
            source=span.get("source") or "",
        )
        for prediction, (_, spans) in zip(predictions, pairs)
        for span in spans
        if span["label"] in labels
    )
    documents = [d for d, _ in pairs]
    for document, spans in pairs:
        document.uncertainty = uncertainty(spans)
    Document.objects.bulk_update(documents, ["uncertainty"], batch_size=1000)
    return len(predictions)


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
) -> tuple[ExtractorVersion, int]:
    """Run the extractor over the project's documents that lack its predictions.

    Returns the extractor version and how many documents were predicted.
    Each chunk is stored in its own transaction, so a stopped run resumes
    where it left off.
    """
    extractor = get_extractor(model_for(project, model))
    version = register_extractor(extractor)
    labels = {label.name: label for label in project.labels.all()}
    todo = list(
        project.documents.exclude(predictions__extractor=version).order_by("order", "id").values_list("id", flat=True)
    )
    done = 0
    for begin in range(0, len(todo), chunk_size):
        documents = list(Document.objects.filter(id__in=todo[begin : begin + chunk_size]).only("id", "text"))
        spans = extractor.predict([d.text for d in documents])
        with transaction.atomic():
            done += store_predictions(version, labels, zip(documents, spans))
        if progress:
            progress(min(begin + chunk_size, len(todo)), len(todo))
    return version, done
