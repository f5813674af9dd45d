"""Plain-ORM reference implementations of the fast paths in annotator/db/bulk.py and selectors/layers.py.

Slow and obvious: each fast path's results are compared with these.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Exists, OuterRef

from annotator import selectors
from annotator.formats import Record, Span
from annotator.models import Annotation, AnnotationSpan, Document, ExtractorVersion, GoldSpan, PredictedSpan, Project


def _records(documents, spans_by_document, meta_extra=None) -> Iterator[Record]:
    for document in documents:
        meta = dict(document.meta or {})
        meta.setdefault("title", document.title)
        if meta_extra:
            meta.update(meta_extra)
        yield Record(
            id=document.external_id or str(document.pk),
            text=document.text,
            spans=spans_by_document.get(document.pk, []),
            meta=meta,
        )


def _span(text: str, span, **extra) -> Span:
    return Span(start=span.start, end=span.end, label=span.label.name, text=text[span.start : span.end], **extra)


def layer_records(
    project: Project,
    layer: str,
    *,
    model: str | None = None,
    annotator=None,
    chunk_size: int = 500,
) -> Iterator[Record]:
    """Yield one record per document that has the layer, in work order, a chunk of documents at a time.

    The plain-ORM reader selectors.layers.LayerReader is checked against (it
    was the app's own before the fast one replaced it): a model instance per
    span, no raw SQL, no JSON built by the database.

    layer is gold, model (the predictions of `model`, default the latest
    extractor) or annotations (of `annotator`, default everyone's submitted ones).
    """
    documents = project.documents.order_by("order", "id")
    if layer == "gold":
        documents = documents.filter(gold_at__isnull=False)
    elif layer == "model":
        version = ExtractorVersion.objects.filter(version=model).first() if model else selectors.latest_extractor(project)
        if version is None:
            raise ValueError(f"no predictions of {model!r} in this project" if model else "no predictions in this project")
        documents = documents.filter(predictions__extractor=version)
    elif layer == "annotations":
        annotations = Annotation.objects.filter(status=Annotation.Status.SUBMITTED, kind=Annotation.Kind.ANNOTATION)
        if annotator is not None:
            annotations = annotations.filter(annotator=annotator)
        documents = documents.filter(Exists(annotations.filter(document=OuterRef("pk"))))
    else:
        raise ValueError(f"unknown layer {layer!r} (gold, model or annotations)")

    ids = list(documents.values_list("id", flat=True))
    for begin in range(0, len(ids), chunk_size):
        chunk = list(Document.objects.filter(id__in=ids[begin : begin + chunk_size]).order_by("order", "id"))
        texts = {d.pk: d.text for d in chunk}
        by_owner: dict[int, list[Span]] = {}
        if layer == "gold":
            for span in GoldSpan.objects.filter(document__in=chunk).select_related("label"):
                by_owner.setdefault(span.document_id, []).append(_span(texts[span.document_id], span))
            yield from _records(chunk, by_owner)
        elif layer == "model":
            spans = PredictedSpan.objects.filter(prediction__extractor=version, prediction__document__in=chunk)
            for span in spans.select_related("label", "prediction"):
                document_id = span.prediction.document_id
                by_owner.setdefault(document_id, []).append(
                    _span(texts[document_id], span, score=span.score, source=span.source or None)
                )
            yield from _records(chunk, by_owner, {"model": version.version})
        else:
            # One record per (document, annotator): layers are never merged.
            owned = list(
                annotations.filter(document__in=chunk).select_related("annotator").order_by("annotator__username")
            )
            for span in AnnotationSpan.objects.filter(annotation__in=owned).select_related("label"):
                by_owner.setdefault(span.annotation_id, []).append(span)
            by_document: dict[int, list[Annotation]] = {}
            for annotation in owned:
                by_document.setdefault(annotation.document_id, []).append(annotation)
            for document in chunk:
                for annotation in by_document.get(document.pk, []):
                    name = annotation.annotator.username
                    spans_of = [
                        _span(document.text, s, origin=s.origin, annotator=name) for s in by_owner.get(annotation.pk, [])
                    ]
                    yield from _records([document], {document.pk: spans_of}, {"annotator": name})


# ---------------------------------------------------------------- annotations by owner
