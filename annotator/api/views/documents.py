"""Documents: the list, one document, claiming one (`annotation`, `next`), and pushing documents and predictions."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from ... import selectors, services
from ...selectors.documents import kept_totals, search, with_states
from ...jobs import start
from ...models import Annotation, Document
from .. import serializers as s
from ..permissions import MANAGER, APIView
from ..filters import DocumentFilter, filters
from .common import annotation_detail
from .push import push_documents, push_schema


class DocumentList(APIView):
    """The project's documents, a page at a time; push new ones (managers).

    Managers and reviewers see every document with its state; annotators see
    the documents they have worked on (they get new ones through `next`).
    """

    serializer_class = s.DocumentSerializer
    write_roles = (MANAGER,)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        user = self.request.user
        mine = Annotation.objects.filter(document=OuterRef("pk"), annotator=user, kind=Annotation.Kind.ANNOTATION)
        documents = (
            with_states(self.project, self.project.documents.defer("text", "tokens", "meta"))
            .annotate(my_status=Subquery(mine.values("status")[:1]), my_annotation=Subquery(mine.values("pk")[:1]))
            .order_by("order", "id")
        )
        if not self.overseer:
            documents = documents.filter(Exists(mine))
        wanted = filters(self, DocumentFilter)
        if "state" in wanted:
            documents = documents.filter(state=wanted["state"])
        own = wanted.get("status")
        if own:
            documents = documents.filter(~Exists(mine)) if own == "new" else documents.filter(my_status=own)
        query = wanted.get("q")
        if query:
            documents = search(documents, query)  # the document list's full-text search (FTS5 / tsvector)
        return documents

    def known_count(self) -> int | None:
        """An overseer's list with no filter but the state holds the documents counted per state
        (selectors.documents.kept_totals): the pagination needs no COUNT(*) over the documents."""
        wanted = filters(self, DocumentFilter)
        if not self.overseer or wanted.get("status") or wanted.get("q"):
            return None
        return kept_totals(self.project, wanted.get("state", ""))["total"]

    @extend_schema(parameters=[DocumentFilter], responses={200: s.DocumentSerializer(many=True)})
    def get(self, request, slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @push_schema(
        s.DocumentsPushSerializer,
        "Store documents (a text already in the project is not stored twice) and, in the same request, the "
        "spans given into one layer: gold (default), model (predictions under `model`; a document that has "
        "that model's predictions keeps them) or annotations (the submitted annotations of `annotator`). "
        "With predict, a background prediction run starts afterwards (see `task`).",
    )
    def post(self, request, slug):
        total, data = push_documents(self, request)
        run = start.start_prediction(self.project, request.user) if data["predict"] else None
        return Response({**total, "task": run.pk if run else None}, status=status.HTTP_201_CREATED)


class DocumentDetail(APIView):
    """A document with its text, meta and token offsets (annotators: only those they work on)."""

    serializer_class = s.DocumentDetailSerializer

    @extend_schema(responses={200: s.DocumentDetailSerializer})
    def get(self, request, slug, pk):
        document = selectors.document_in(self.project, pk)
        own = selectors.own_annotation(document, request.user)
        if not self.overseer and own is None:
            raise Http404("No such document of yours.")
        kind = Annotation.Kind.ANNOTATION
        counts = Annotation.objects.filter(document=document, kind=kind).aggregate(
            submitted=Count("id", filter=Q(status=Annotation.Status.SUBMITTED)),
            drafts=Count("id", filter=Q(status=Annotation.Status.DRAFT)),
        )
        document.submitted_count, document.draft_count = counts["submitted"], counts["drafts"]
        document.my_status = own.status if own else None
        document.my_annotation = own.pk if own else None
        return Response(self.get_serializer(document).data)


class DocumentAnnotation(APIView):
    """Start (or open) your annotation of a document: it starts from the latest extractor's suggestions if new.

    Starting one claims a slot through the same locked path as `next`: 409
    when the document already has its k annotators.
    """

    serializer_class = s.AnnotationDetailSerializer

    @extend_schema(
        request=None,
        responses={
            200: s.AnnotationDetailSerializer,
            201: s.AnnotationDetailSerializer,
            409: OpenApiResponse(s.ErrorSerializer, description="The document already has its k annotators."),
        },
    )
    def post(self, request, slug, pk):
        document = selectors.document_in(self.project, pk)
        created = selectors.own_annotation(document, request.user) is None
        annotation = services.claim_document(document, request.user)  # ClaimRefused: 409
        return Response(
            self.get_serializer(annotation_detail(annotation.pk)).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class NextDocument(APIView):
    """Claim the next document for you to annotate and open your annotation of it (204: nothing left)."""

    serializer_class = s.AnnotationDetailSerializer

    @extend_schema(request=None, responses={200: s.AnnotationDetailSerializer, 204: None})
    def post(self, request, slug):
        document = services.claim_next(self.project, request.user)
        if document is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        annotation = services.start_annotation(document, request.user)
        return Response(self.get_serializer(annotation_detail(annotation.pk)).data)
