"""Layers read as canonical records: the gold, a model's predictions; the model versions."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ... import names, selectors
from ...spans import Span as Item
from ...models import Document, GoldSpan, PredictedSpan
from ...services import gold
from .. import serializers as s
from ..permissions import MANAGER, OVERSEERS, APIView
from ..filters import GoldFilter, PredictionFilter, filters
from .push import push_predictions, push_schema


class _Records(APIView):
    """A page of documents with the spans of one layer, as canonical records."""

    serializer_class = s.RecordSerializer
    roles = OVERSEERS

    def page_of(self, documents, wanted: dict) -> list[Document]:
        if "document" in wanted:
            documents = documents.filter(pk=wanted["document"])
        # "project" too: rows of a related manager have their project set from it, which reads project_id
        # (a deferred field would cost one query a row).
        fields = ("id", "project", "external_id", "title", "text", "meta")
        return self.paginate_queryset(documents.order_by("order", "id").only(*fields))

    def records(self, documents, spans_by_document, extra=None):
        out = []
        for document in documents:
            meta = dict(document.meta or {})
            meta.setdefault("title", document.title)
            if extra:
                meta.update(extra)
            out.append(
                {
                    "document": document.pk,
                    "id": document.external_id or str(document.pk),
                    "text": document.text,
                    "spans": spans_by_document.get(document.pk, []),
                    "meta": meta,
                }
            )
        return self.get_paginated_response(out)


class GoldList(_Records):
    """The gold: documents that have it, with their adjudicated spans (managers and reviewers)."""

    @extend_schema(parameters=[GoldFilter], responses={200: s.RecordSerializer(many=True)})
    def get(self, request, slug):
        wanted = filters(self, GoldFilter)
        when = wanted.get("as_of")
        if when:
            page = self.page_of(self.project.documents.filter(gold.had_gold_at(when)), wanted)
            items = gold.items_as_of([d.pk for d in page], when)
        else:
            page = self.page_of(self.project.documents.filter(gold_at__isnull=False), wanted)
            items = {}
            for start, end, label, document_id in GoldSpan.objects.filter(document__in=[d.pk for d in page]).values_list(
                "start", "end", "label__name", "document_id"
            ):
                items.setdefault(document_id, []).append(Item(start, end, label))
        texts = {d.pk: d.text for d in page}
        spans = {
            pk: [{"start": i.start, "end": i.end, "label": i.label, "text": texts[pk][i.start : i.end]} for i in sorted(found)]
            for pk, found in items.items()
        }
        return self.records(page, spans)


class PredictionList(_Records):
    """Predictions of one model version (default the latest), and pushing those of your own models (managers)."""

    write_roles = (MANAGER,)

    @extend_schema(parameters=[PredictionFilter], responses={200: s.RecordSerializer(many=True)})
    def get(self, request, slug):
        wanted = filters(self, PredictionFilter)
        name = wanted.get("model")
        version = (
            names.version_in(self.project, name) if name else selectors.latest_extractor(self.project)
        )
        if version is None:
            raise Http404(f"No predictions of {name!r} in this project." if name else "No predictions in this project yet.")
        page = self.page_of(self.project.documents.filter(predictions__extractor=version), wanted)
        texts = {d.pk: d.text for d in page}
        spans: dict[int, list] = {}
        predicted = PredictedSpan.objects.filter(prediction__extractor=version, prediction__document__in=[d.pk for d in page])
        rows = predicted.order_by("start", "end").values_list(
            "prediction__document_id", "start", "end", "label__name", "score", "source"
        )
        for document_id, start, end, label, score, source in rows:
            spans.setdefault(document_id, []).append(
                {
                    "start": start,
                    "end": end,
                    "label": label,
                    "text": texts[document_id][start:end],
                    "score": score,
                    "source": source or None,
                }
            )
        return self.records(page, spans, {"model": version.version})

    @push_schema(
        s.PredictionsPushSerializer,
        "Store an external model's spans under `model`. Documents are named by id here or by text (a new "
        "text becomes a document). Predictions are never edited: a document that already has predictions "
        "of that model keeps them (see `skipped`).",
    )
    def post(self, request, slug):
        return push_predictions(self, request)


class ModelList(APIView):
    """The model versions with predictions in the project (the extractor's and pushed ones), newest first."""

    serializer_class = s.ExtractorVersionSerializer
    pagination_class = None

    @extend_schema(responses={200: s.ExtractorVersionSerializer(many=True)})
    def get(self, request, slug):
        versions = selectors.extractor_versions(self.project).order_by("-created_at", "-id")
        return Response(self.get_serializer(versions, many=True).data)
