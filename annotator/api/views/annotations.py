"""Annotations and their edits: spans added, changed and deleted, submit and reopen.

Span edits carry the annotation version the client last saw; a stale one
gets 409 with the current version and changes nothing. Refusals and stale
versions are raised as app errors (annotator.errors) and answered by the
API's exception handler (annotator.api.errors).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from ... import selectors, services
from ...models import Annotation, Label
from .. import serializers as s
from ..filters import AnnotationFilter, filters
from ..permissions import APIView
from .common import ANNOTATION_ID, REFUSED, STALE, annotation_detail, valid

EDIT_RESPONSES = {409: STALE, 422: REFUSED}


def edit_schema(request, answer, description: str, *, code: int = 200, parameters=()):
    """The schema of an edit of an annotation: its id in the path, `request` in, `answer` (or 409, 422) out."""
    return extend_schema(
        parameters=[ANNOTATION_ID, *parameters],
        request=request,
        responses={code: answer, **EDIT_RESPONSES},
        description=description,
    )


class AnnotationList(APIView):
    """Annotations in the project: your own (annotators), everyone's (managers and reviewers)."""

    serializer_class = s.AnnotationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Annotation.objects.none()
        annotations = (
            Annotation.objects.filter(document__project=self.project)
            .select_related("annotator")
            .annotate(span_count=Count("spans"))
            .order_by("document__order", "document_id", "annotator__username", "kind")
        )
        if not self.overseer:
            annotations = annotations.filter(annotator=self.request.user, kind=Annotation.Kind.ANNOTATION)
        wanted = filters(self, AnnotationFilter)
        if "document" in wanted:
            annotations = annotations.filter(document_id=wanted["document"])
        if "status" in wanted:
            annotations = annotations.filter(status=wanted["status"])
        if "annotator" in wanted:
            annotations = annotations.filter(annotator__username=wanted["annotator"])
        if "kind" in wanted:
            annotations = annotations.filter(kind=wanted["kind"])
        return annotations

    @extend_schema(parameters=[AnnotationFilter], responses={200: s.AnnotationSerializer(many=True)})
    def get(self, request, slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AnnotationDetail(APIView):
    """One annotation with its spans and version (send the version with every edit)."""

    serializer_class = s.AnnotationDetailSerializer

    @extend_schema(parameters=[ANNOTATION_ID], responses={200: s.AnnotationDetailSerializer})
    def get(self, request, slug, aid):
        annotations = Annotation.objects.filter(pk=aid, document__project=self.project)
        if not self.overseer:
            annotations = annotations.filter(annotator=request.user)
        try:
            annotation = annotation_detail(aid, annotations)
        except Annotation.DoesNotExist:
            raise Http404("No such annotation.") from None
        return Response(self.get_serializer(annotation).data)


class _Edit(APIView):
    """An edit of your own annotation: call the service, and answer 409 (not 422) when the version was stale."""

    serializer_class = s.SpanEditResultSerializer

    def edit(self, request, aid, action):
        """Run `action(annotation)`; return the annotation (its new version and status) and what the action returned."""
        annotation = selectors.annotation_of(request.user, self.project, aid)
        try:
            result = action(annotation)
        except services.EditRefused:
            # A stale version wins over every other refusal: when the annotation has moved on from the
            # version the client sent (another edit won a race), the answer is 409, as if checked first.
            sent = _sent_version(request)
            current = Annotation.objects.filter(pk=annotation.pk).values_list("version", flat=True).first()
            if sent is not None and current is not None and current != sent:
                raise services.StaleEdit(current) from None
            raise
        if self.reread:
            annotation.refresh_from_db(fields=["version", "status"])
        return annotation, result

    def step(self, request, aid, body, service) -> Response:
        """A step that changes the annotation's status (submit, reopen): `service(annotation, user, data)`."""
        data = valid(body, request.data)
        annotation, _ = self.edit(request, aid, lambda a: service(a, request.user, data))
        return _status(annotation)

    #: Read the annotation's version and status again after the action. A span edit's service bumps
    #: this very instance (its version and status are fresh) or changes nothing: no read needed.
    reread = True

    def label(self, name: str | None) -> Label | None:
        """The label named `name` (or with that id) in the project; None passes through.

        The Label itself goes to the service, which then need not look it up again.
        """
        if name in (None, ""):
            return None
        by_id = str(name).isdigit() and int(name) <= s.MAX_INT
        label = Label.objects.filter(project=self.project).filter(Q(name=name) | Q(pk=int(name)) if by_id else Q(name=name)).first()
        if label is None:
            raise services.EditRefused(f"Unknown label {name!r} for this project.")
        return label


def _sent_version(request) -> int | None:
    """The annotation version the client sent (body or ?version=), if it is a number."""
    body = request.data if isinstance(request.data, dict) else {}
    value = body.get("version", request.query_params.get("version"))
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _inside(annotation, start: int | None, end: int | None) -> None:
    """Refuse (422) offsets outside the document's text: they are not moved to the nearest word."""
    length = len(annotation.document.text)
    if (end is not None and end > length) or (start is not None and start >= length):
        raise services.EditRefused(
            f"The span [{start if start is not None else '…'}, {end if end is not None else '…'}) is outside the text "
            f"(length {length})."
        )


def _edited(annotation, span=None, status_code=status.HTTP_200_OK) -> Response:
    """The answer of a span edit: the annotation's new version and the span as it now is (None: deleted)."""
    span_data = None
    if span is not None:
        span_data = s.AnnotationSpanSerializer(span, context={"text": annotation.document.text}).data
    return Response({"version": annotation.version, "span": span_data}, status=status_code)


def _status(annotation) -> Response:
    """The answer of a step that changes an annotation's status: its new version and status."""
    return Response({"version": annotation.version, "status": annotation.status})


class SpanList(_Edit):
    reread = False
    @edit_schema(
        s.SpanAddSerializer, s.SpanEditResultSerializer, "Add a span to your annotation; it snaps to whole tokens.", code=201
    )
    def post(self, request, slug, aid):
        data = valid(s.SpanAddSerializer, request.data)

        def action(annotation):
            _inside(annotation, data["start"], data["end"])
            return services.add_span(
                annotation,
                request.user,
                version=data["version"],
                start=data["start"],
                end=data["end"],
                label_id=self.label(data["label"]),
                elapsed=data["elapsed"],
            )

        return _edited(*self.edit(request, aid, action), status.HTTP_201_CREATED)


class SpanDetail(_Edit):
    reread = False
    @edit_schema(
        s.SpanChangeSerializer, s.SpanEditResultSerializer, "Change a span's label and/or extent (new offsets snap to tokens)."
    )
    def patch(self, request, slug, aid, span_id):
        data = valid(s.SpanChangeSerializer, request.data)

        def action(annotation):
            _inside(annotation, data.get("start"), data.get("end"))
            return services.change_span(
                annotation,
                request.user,
                version=data["version"],
                span_id=span_id,
                label_id=self.label(data.get("label")),
                start=data.get("start"),
                end=data.get("end"),
                elapsed=data["elapsed"],
            )

        return _edited(*self.edit(request, aid, action))

    @edit_schema(
        None,
        s.SpanEditResultSerializer,
        "Delete a span; the version goes in the query string (?version=N).",
        parameters=[OpenApiParameter("version", int, required=True, description="The annotation version the deletion is based on.")],
    )
    def delete(self, request, slug, aid, span_id):
        body = request.data if isinstance(request.data, dict) else {}
        data = valid(s.VersionSerializer, {"version": request.query_params.get("version", body.get("version"))})
        annotation, _ = self.edit(
            request, aid, lambda a: services.delete_span(a, request.user, version=data["version"], span_id=span_id)
        )
        return _edited(annotation)


def _submit(annotation, user, data: dict) -> None:
    if annotation.kind == Annotation.Kind.REVIEW:
        services.accept(annotation, user, version=data["version"], elapsed=data["elapsed"], confirm=data["confirm"])
    else:
        services.submit(annotation, user, version=data["version"], elapsed=data["elapsed"])


def _reopen(annotation, user, data: dict) -> None:
    services.reopen(annotation, user, version=data["version"], elapsed=data["elapsed"])


class Submit(_Edit):
    serializer_class = s.StatusResultSerializer

    @edit_schema(
        s.SubmitSerializer,
        s.StatusResultSerializer,
        "Submit your annotation (a reviewer's copy: accept it as the gold, once every disagreement is settled; "
        "`confirm` when that removes or relabels gold spans).",
    )
    def post(self, request, slug, aid):
        return self.step(request, aid, s.SubmitSerializer, _submit)


class Reopen(_Edit):
    serializer_class = s.StatusResultSerializer

    @edit_schema(
        s.VersionSerializer,
        s.StatusResultSerializer,
        "Take your submitted annotation back to draft to change it (it leaves the review queue until submitted again).",
    )
    def post(self, request, slug, aid):
        return self.step(request, aid, s.VersionSerializer, _reopen)
