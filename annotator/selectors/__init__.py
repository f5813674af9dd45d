"""Reads: what a user may see, the next document, spans of a layer (progress: selectors.dashboards).

Every function runs a fixed number of queries, whatever the number of
documents or spans (no queries in a loop).
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404

from .documents import DocumentRow, row_of, with_states
from .queue import next_waiting, review_queue
from ..models import (
    Annotation,
    AnnotationSpan,
    Document,
    ExtractorVersion,
    Label,
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
