"""Reads: what a user may see, the next document, spans of a layer, progress.

Every function runs a fixed number of queries, whatever the number of
documents or spans (no queries in a loop).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404

from .formats import Record, Span
from .models import (
    Annotation,
    AnnotationSpan,
    Document,
    ExtractorVersion,
    GoldSpan,
    Label,
    Membership,
    PredictedSpan,
    Prediction,
    Project,
)

DONE_STATUSES = (Annotation.Status.SUBMITTED, Annotation.Status.SKIPPED)


def projects_for(user):
    """The projects a user belongs to (all of them for a superuser)."""
    projects = Project.objects.all()
    if not user.is_superuser:
        projects = projects.filter(memberships__user=user)
    return projects.annotate(document_count=Count("documents", distinct=True)).order_by("name")


def project_for(user, slug: str) -> Project:
    """The project `slug` if the user may see it; 404 otherwise (not 403: its existence is not told)."""
    project = Project.objects.filter(slug=slug).first()
    if project is None or not (user.is_superuser or Membership.objects.filter(project=project, user=user).exists()):
        raise Http404("No such project.")
    return project


def role_of(user, project: Project) -> str | None:
    if user.is_superuser:
        return Membership.Role.MANAGER
    return Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()


def can_manage(user, project: Project) -> bool:
    return role_of(user, project) == Membership.Role.MANAGER


def labels_of(project: Project) -> list[Label]:
    return list(project.labels.all())


def document_in(project: Project, pk: int) -> Document:
    document = Document.objects.filter(project=project, pk=pk).select_related("project").first()
    if document is None:
        raise Http404("No such document in this project.")
    return document


@dataclass
class DocumentRow:
    document: Document
    status: str | None
    span_count: int | None
    has_gold: bool


def document_rows(project: Project, user) -> list[DocumentRow]:
    """The project's documents with the user's status on each and whether gold exists."""
    mine = Annotation.objects.filter(document=OuterRef("pk"), annotator=user)
    documents = (
        project.documents.defer("text", "tokens", "meta")
        .annotate(
            my_status=Subquery(mine.values("status")[:1]),
            my_spans=Subquery(
                mine.annotate(n=Count("spans")).values("n")[:1]
            ),
        )
        .order_by("order", "id")
    )
    return [DocumentRow(d, d.my_status, d.my_spans, d.gold_at is not None) for d in documents]


@dataclass
class Progress:
    total: int
    done: int
    gold: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def progress_of(rows: list[DocumentRow]) -> Progress:
    return Progress(
        total=len(rows),
        done=sum(1 for r in rows if r.status in DONE_STATUSES),
        gold=sum(1 for r in rows if r.has_gold),
    )


def next_document(project: Project, user, after: Document | None = None) -> Document | None:
    """The first document in work order the user has neither submitted nor skipped.

    Documents after `after` come first, so "submit and next" moves forward.
    """
    done = Annotation.objects.filter(document=OuterRef("pk"), annotator=user, status__in=DONE_STATUSES)
    todo = project.documents.exclude(Exists(done)).only("id", "order").order_by("order", "id")
    if after is not None:
        later = todo.filter(Q(order__gt=after.order) | Q(order=after.order, id__gt=after.id)).first()
        if later is not None:
            return later
    return todo.exclude(pk=after.pk).first() if after is not None else todo.first()


def neighbours(document: Document) -> tuple[int, int]:
    """(position, total) of the document in its project's work order, 1-based."""
    documents = Document.objects.filter(project_id=document.project_id)
    before = documents.filter(Q(order__lt=document.order) | Q(order=document.order, id__lt=document.id)).count()
    return before + 1, documents.count()


def annotation_spans(annotation: Annotation) -> list[AnnotationSpan]:
    return list(annotation.spans.select_related("label").order_by("start"))


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
        annotations = Annotation.objects.filter(status=Annotation.Status.SUBMITTED)
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
