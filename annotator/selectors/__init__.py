"""Reads: what a user may see, the next document, spans of a layer (progress: selectors.dashboards).

Every function runs a fixed number of queries, whatever the number of
documents or spans (no queries in a loop).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404

from .. import states
from .documents import DocumentRow, row_of, with_states
from ..formats import Record, Span
from ..models import (
    Annotation,
    AnnotationSpan,
    Document,
    ExtractorVersion,
    GoldSpan,
    Label,
    PredictedSpan,
    Prediction,
    Project,
)

def projects_for(user):
    """The projects a user belongs to (all of them for a superuser)."""
    projects = Project.objects.all()
    if not user.is_superuser:
        projects = projects.filter(memberships__user=user)
    return projects.annotate(document_count=Count("documents", distinct=True)).order_by("name")


def labels_of(project: Project) -> list[Label]:
    return list(project.labels.all())


def document_in(project: Project, pk: int) -> Document:
    document = Document.objects.filter(project=project, pk=pk).select_related("project").first()
    if document is None:
        raise Http404("No such document in this project.")
    return document


def review_queue(project: Project) -> list[tuple[DocumentRow, bool]]:
    """Documents waiting for review (first), then the reviewed ones, each with whether it waits."""
    documents = (
        with_states(project, project.documents.defer("text", "tokens", "meta"))
        .filter(state__in=[states.WAITING, states.REVIEWED])
        .order_by("order", "id")
    )
    rows = [(row_of(d), d.state == states.WAITING) for d in documents]
    return sorted(rows, key=lambda pair: not pair[1])


def annotation_spans(annotation: Annotation) -> list[AnnotationSpan]:
    return list(annotation.spans.select_related("label").order_by("start"))


def suggesting_extractor(project: Project) -> ExtractorVersion | None:
    """The version whose predictions new annotations start from: the promoted one (Project.suggestion_model)
    when it has predictions here, else the newest rule extractor (not a trained version) that has some,
    else the newest version that has some. Going back to the rules takes effect at once."""
    predicted = ExtractorVersion.objects.filter(
        Exists(Prediction.objects.filter(extractor=OuterRef("pk"), document__project=project))
    ).order_by("-created_at", "-id")
    if project.suggestion_model_id:
        promoted = predicted.filter(pk=project.suggestion_model_id).first()
        if promoted is not None:
            return promoted
    return predicted.filter(stored_pipeline__isnull=True).first() or predicted.first()


def latest_extractor(project: Project) -> ExtractorVersion | None:
    """The newest extractor version that has predictions in the project."""
    return (
        ExtractorVersion.objects.filter(Exists(Prediction.objects.filter(extractor=OuterRef("pk"), document__project=project)))
        .order_by("-created_at", "-id")
        .first()
    )


def extractor_versions(project: Project):
    return ExtractorVersion.objects.filter(
        Exists(Prediction.objects.filter(extractor=OuterRef("pk"), document__project=project))
    ).annotate(documents=Count("predictions", filter=Q(predictions__document__project=project)))


# ---------------------------------------------------------------- layers as records


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

    layer is gold, model (the predictions of `model`, default the latest
    extractor) or annotations (of `annotator`, default everyone's submitted ones).
    """
    documents = project.documents.order_by("order", "id")
    if layer == "gold":
        documents = documents.filter(gold_at__isnull=False)
    elif layer == "model":
        version = ExtractorVersion.objects.filter(version=model).first() if model else latest_extractor(project)
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


def own_annotation(document: Document, user, kind: str = Annotation.Kind.ANNOTATION) -> Annotation | None:
    annotation = Annotation.objects.filter(document=document, annotator=user, kind=kind).first()
    if annotation is not None:
        annotation.document = document
    return annotation


def annotation_of(user, project: Project, pk: int) -> Annotation:
    """The user's own annotation `pk` in `project`; 404 for anyone else's (its existence is not told)."""
    annotation = (
        Annotation.objects.filter(pk=pk, annotator=user, document__project=project)
        .select_related("document__project")
        .first()
    )
    if annotation is None:
        raise Http404("No such annotation of yours.")
    return annotation


def model_items(document: Document) -> list:
    """The latest extractor's spans on a document, as adjudication Items (for reference)."""
    from ..adjudication import Item

    extractor = suggesting_extractor(document.project)
    prediction = Prediction.objects.filter(document=document, extractor=extractor).first() if extractor else None
    if prediction is None:
        return []
    return [Item(s.start, s.end, s.label.name) for s in prediction.spans.select_related("label")]
