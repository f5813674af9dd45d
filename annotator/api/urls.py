"""URLs of the REST API, mounted at /api/ (see annotator/urls.py)."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import include, path, re_path, register_converter
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ..views import site as site_views
from . import auth, schema  # noqa: F401 (schema registers the token's OpenAPI scheme on import)
from .views import annotations, documents, layers, projects, runs, scores


class IdConverter:
    """A row id in a path: at most 18 digits (ids are 64-bit integers); a longer one matches no address (404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")
project_urls = [
    path("", projects.ProjectDetail.as_view(), name="api-project-detail"),
    path("labels/", projects.LabelList.as_view(), name="api-labels"),
    path("documents/", documents.DocumentList.as_view(), name="api-documents"),
    path("documents/<id:pk>/", documents.DocumentDetail.as_view(), name="api-document-detail"),
    path("documents/<id:pk>/annotation/", documents.DocumentAnnotation.as_view(), name="api-document-annotation"),
    path("next/", documents.NextDocument.as_view(), name="api-next"),
    path("annotations/", annotations.AnnotationList.as_view(), name="api-annotations"),
    path("annotations/<id:aid>/", annotations.AnnotationDetail.as_view(), name="api-annotation-detail"),
    path("annotations/<id:aid>/spans/", annotations.SpanList.as_view(), name="api-spans"),
    path("annotations/<id:aid>/spans/<id:span_id>/", annotations.SpanDetail.as_view(), name="api-span-detail"),
    path("annotations/<id:aid>/submit/", annotations.Submit.as_view(), name="api-submit"),
    path("annotations/<id:aid>/reopen/", annotations.Reopen.as_view(), name="api-reopen"),
    path("models/", layers.ModelList.as_view(), name="api-models"),
    path("predictions/", layers.PredictionList.as_view(), name="api-predictions"),
    path("predict/", runs.PredictStart.as_view(), name="api-predict"),
    path("gold/", layers.GoldList.as_view(), name="api-gold"),
    path("exports/", runs.ExportStart.as_view(), name="api-exports"),
    path("evaluation/", scores.Evaluation.as_view(), name="api-evaluation"),
    path("agreement/", scores.Agreement.as_view(), name="api-agreement"),
    path("tasks/", runs.TaskList.as_view(), name="api-tasks"),
    path("tasks/<id:pk>/", runs.TaskDetail.as_view(), name="api-task-detail"),
    path("tasks/<id:pk>/download/", runs.TaskDownload.as_view(), name="api-task-download"),
]

@csrf_exempt
@login_not_required
def not_found(request, rest=""):
    """Any other address under /api/: a JSON 404, as API clients expect (not the site's HTML page)."""
    return JsonResponse({"detail": "No such API address."}, status=404)


urlpatterns = [
    path("", site_views.api_root, name="api-root"),
    path("auth/token/", auth.TokenView.as_view(), name="api-token"),
    path("auth/logout/", auth.LogoutView.as_view(), name="api-logout"),
    path("auth/logoutall/", auth.LogoutAllView.as_view(), name="api-logout-all"),
    path("projects/", projects.ProjectList.as_view(), name="api-projects"),
    path("projects/<slug:slug>/", include(project_urls)),
    # The schema and its Swagger page describe the API only: no login needed to read them.
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: the Content-Security-Policy allows no inline script.
    path("docs/", login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    re_path(r"^(?P<rest>[\s\S]*)$", not_found),
]
