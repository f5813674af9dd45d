"""Background runs: the list, one run, its download; starting an export or a prediction run."""

from __future__ import annotations

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.response import Response

from ... import names
from ...jobs import start
from ...jobs.export import export_media_type, export_path
from ...jobs.runs import RunRefused, runs_visible_to
from ...models import TaskRun
from .. import serializers as s
from ..permissions import MANAGER, APIView
from .common import accepted, valid


class TaskList(APIView):
    """Background runs of the project: all of them for managers, your own for others."""

    serializer_class = s.TaskRunSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TaskRun.objects.none()
        runs = runs_visible_to(self.request.user, self.project, self.role)
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in TaskRun.Kind.values:
                raise drf_serializers.ValidationError({"kind": f"one of {', '.join(TaskRun.Kind.values)}"})
            runs = runs.filter(kind=kind)
        return runs

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=TaskRun.Kind.values)],
        responses={200: s.TaskRunSerializer(many=True)},
    )
    def get(self, request, slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _run_of(view, pk: int) -> TaskRun:
    run = runs_visible_to(view.request.user, view.project, view.role).filter(pk=pk).first()
    if run is None:
        raise Http404("No such task.")
    return run


class TaskDetail(APIView):
    """One run: status, done of total, errors, result. Poll it until `status` is done or failed."""

    serializer_class = s.TaskRunSerializer

    @extend_schema(responses={200: s.TaskRunSerializer})
    def get(self, request, slug, pk):
        return Response(self.get_serializer(_run_of(self, pk)).data)


_EXPORT_FILE = "The export file in its format's media type: any JSON value for the JSON formats, bytes otherwise."


class TaskDownload(APIView):
    """The file a finished export run wrote."""

    serializer_class = None

    @extend_schema(
        responses={
            # JSON formats (Label Studio, doccano) come as application/json: any JSON value, not a string.
            (200, "application/json"): OpenApiResponse(OpenApiTypes.ANY, description=_EXPORT_FILE),
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description=_EXPORT_FILE),
        }
    )
    def get(self, request, slug, pk):
        run = _run_of(self, pk)
        if run.kind != TaskRun.Kind.EXPORT or run.status != TaskRun.Status.DONE:
            raise Http404("This task has no file (yet).")
        path = export_path(run)
        if not path.exists():
            raise Http404("The export file is gone; start the export again.")
        media_type = export_media_type(run)
        if media_type.startswith(("text/", "application/json")):
            media_type += "; charset=utf-8"
        return FileResponse(path.open("rb"), as_attachment=True, filename=run.result.get("file") or path.name, content_type=media_type)


class ExportStart(APIView):
    """Start an export (managers); poll the task it returns, then fetch its `download`."""

    serializer_class = s.TaskRunSerializer
    roles = (MANAGER,)

    @extend_schema(request=s.ExportStartSerializer, responses={202: s.TaskRunSerializer})
    def post(self, request, slug):
        data = valid(s.ExportStartSerializer, request.data)
        # Names are looked up in this project only: one of another project is "not found", as a missing one.
        if data.get("model") and data["layer"] == "model" and names.version_in(self.project, data["model"]) is None:
            raise Http404(f"No predictions of {data['model']!r} in this project.")
        if data.get("annotator") and names.annotator_in(self.project, data["annotator"]) is None:
            raise Http404(f"No annotator {data['annotator']!r} in this project.")
        try:
            run = start.start_export(
                self.project,
                request.user,
                fmt=data["format"],
                layer=data["layer"],
                model=data.get("model") or None,
                annotator=data.get("annotator") or None,
                as_of=data.get("as_of") or None,
            )
        except RunRefused as error:
            raise drf_serializers.ValidationError({"detail": str(error)}) from None
        return accepted(self, run)


class PredictStart(APIView):
    """Predict, in the background, every document that lacks the current extractor's predictions (managers).

    A new extractor version (changed patterns or model) predicts the whole project again.
    """

    serializer_class = s.TaskRunSerializer
    roles = (MANAGER,)

    @extend_schema(request=None, responses={202: s.TaskRunSerializer})
    def post(self, request, slug):
        return accepted(self, start.start_prediction(self.project, request.user))
