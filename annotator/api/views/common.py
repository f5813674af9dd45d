"""What the API's views share: schema pieces, parameter parsing, answers for started runs."""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.response import Response

from ...models import Annotation, TaskRun
from .. import serializers as s

# 400, 401, 403 and 404 are added to every operation by annotator/api/schema.py.
STALE = OpenApiResponse(s.StaleSerializer, description="The annotation changed since that version: nothing was written.")
REFUSED = OpenApiResponse(s.ErrorSerializer, description="The edit cannot be applied (overlap, outside the text, unknown label).")
ANNOTATION_ID = OpenApiParameter(
    "aid", {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}, OpenApiParameter.PATH, description="The annotation's id."
)


def valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def annotation_detail(pk: int, annotations=None) -> Annotation:
    """Annotation `pk` with its annotator, document and span count, among `annotations` (default: all)."""
    rows = Annotation.objects.all() if annotations is None else annotations
    return rows.select_related("annotator", "document").annotate(span_count=Count("spans")).get(pk=pk)


def accepted(view, run: TaskRun) -> Response:
    run.refresh_from_db()  # a backend that runs tasks at once has finished it already
    return Response(view.get_serializer(run).data, status=status.HTTP_202_ACCEPTED, headers={"Location": s.TaskRunSerializer(run, context={"request": view.request}).data["url"]})
