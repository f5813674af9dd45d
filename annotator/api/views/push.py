"""Pushing documents with the spans of one layer (gold, model, annotations), and an external model's predictions.

Both go through the file import's batched path (services.import_records:
documents as raw rows, predictions and gold through db.bulk), so the API
takes documents as fast as `import_docs`. A push is checked whole before
anything is written, and written in one transaction: a bad item stores
nothing and is named by its index ("documents": {index: [reason]}).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.response import Response

from ... import services
from ...formats import FormatError, Record, Span, check_spans
from ...models import ExtractorVersion
from ...services import gold
from .. import serializers as s
from .common import valid

RESULT_KEYS = ("documents_created", "documents_existing", "spans", "skipped")


def push_schema(request, description: str):
    """The schema of a push: `request` in, the counts (PushResultSerializer) out with 201."""
    return extend_schema(request=request, responses={201: s.PushResultSerializer}, description=description)


def push_documents(view, request) -> tuple[dict, dict]:
    """Store the pushed documents, and their spans in the layer named (DocumentList.post).

    Returns the counts (PushResultSerializer without `task`) and the
    validated request. Only documents that come with spans (even none) get
    spans in the layer; the others are just texts.
    """
    data = valid(s.DocumentsPushSerializer, request.data)
    layer, model = data["layer"], data.get("model")
    if layer == "model":
        refuse_own_version(model)
    owner = member_named(view.project, data["annotator"]) if layer == "annotations" else None
    labels = set(view.project.labels.values_list("name", flat=True))
    records = [(record_of(item, index, labels), "spans" in item) for index, item in enumerate(data["documents"])]
    total = {"documents_created": 0, "documents_existing": 0, "spans": 0, "skipped": []}
    with transaction.atomic():
        for has_spans in (True, False):
            part = [record for record, with_spans in records if with_spans == has_spans]
            if part:
                result = services.import_records(
                    view.project, part, layer=layer, model=model, annotator=owner, has_spans=has_spans,
                    how=gold.How.API, user=request.user,
                )
                for key in RESULT_KEYS:
                    total[key] += getattr(result, key)
    return total, data


def push_predictions(view, request) -> Response:
    """Store an external model's predictions (PredictionList.post): documents named by id or by text."""
    data = valid(s.PredictionsPushSerializer, request.data)
    refuse_own_version(data["model"])
    labels = set(view.project.labels.values_list("name", flat=True))
    ids = [item["document"] for item in data["documents"] if "document" in item]
    # Plain rows: model instances of a related manager would each read their deferred project_id (a query a row).
    known = {pk: (text, external_id) for pk, text, external_id in view.project.documents.filter(pk__in=ids).values_list("id", "text", "external_id")}
    records = []
    for index, item in enumerate(data["documents"]):
        text = None
        if "document" in item:
            pk = item["document"]
            if pk not in known:
                raise drf_serializers.ValidationError({"documents": {index: [f"no document {pk} in this project"]}})
            text, external_id = known[pk]
            item = {**item, "id": item.get("id") or external_id or str(pk)}
        records.append(record_of(item, index, labels, text))
    result = services.import_records(view.project, records, layer="model", model=data["model"])
    return Response({key: getattr(result, key) for key in RESULT_KEYS} | {"task": None}, status=status.HTTP_201_CREATED)


def refuse_own_version(model: str) -> None:
    """Pushed predictions never go under a version of the app's own extractor."""
    if ExtractorVersion.objects.filter(version=model).exclude(base_model="imported").exists():
        raise drf_serializers.ValidationError({"model": "that name is a version of the app's own extractor"})


def member_named(project, username: str):
    """The project member `username` (whose annotations a push of the annotations layer writes)."""
    user = get_user_model().objects.filter(username=username, memberships__project=project).first()
    if user is None:
        raise drf_serializers.ValidationError({"annotator": f"no member of this project is named {username!r}"})
    return user


def record_of(item: dict, index: int, labels: set[str], text: str | None = None) -> Record:
    """The pushed item as a canonical record, checked as the file import checks one (else a 400 naming the item)."""
    record = Record(
        id=item.get("id") or "",
        text=text if text is not None else item["text"],
        spans=[
            Span(
                start=span["start"],
                end=span["end"],
                label=span["label"],
                text=span.get("text"),
                score=span.get("score"),
                source=span.get("source"),
            )
            for span in item.get("spans", [])
        ],
        meta=item.get("meta") or {},
    )
    try:
        check_spans(record, labels)
    except FormatError as error:
        raise drf_serializers.ValidationError({"documents": {index: [str(error)]}}) from None
    return record
