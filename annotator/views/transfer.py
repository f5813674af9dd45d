"""Moving data in and out from the web: the export page and its downloads, and file upload import.

Thin: check the role, call one service, stream or redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import names, selectors, services
from ..formats import EXPORT_FORMATS, FormatError


@require_GET
def export(request, slug):
    """The export page (format, layer, model or annotator), and the download it asks for.

    The download is streamed as the layer is read, so it starts at once and
    memory stays bounded. There is no progress bar in the page: that needs
    the export to run as a background task.
    """
    project = selectors.project_for(request.user, slug)
    if not selectors.can_manage(request.user, project):
        raise PermissionDenied("Only a project manager can export.")
    if "format" not in request.GET:
        return render(request, "annotator/export.html", {"project": project, **services.export_choices(project)})
    fmt, layer = request.GET.get("format"), request.GET.get("layer", "gold")
    if fmt not in EXPORT_FORMATS or layer not in services.LAYERS:
        return HttpResponse("Unknown layer or format.", status=400, content_type="text/plain")
    # Names are looked up in this project only: one of another project is "not found", like a missing one.
    annotator = None
    if layer == "annotations" and request.GET.get("annotator"):
        annotator = names.annotator_in(project, request.GET["annotator"])
        if annotator is None:
            return HttpResponse("No such annotator in this project.", status=404, content_type="text/plain")
    if layer == "model" and request.GET.get("model") and names.version_in(project, request.GET["model"]) is None:
        return HttpResponse(f"no predictions of {request.GET['model']!r} in this project", status=404, content_type="text/plain")
    try:
        name, media_type, chunks = services.download(
            project, fmt=fmt, layer=layer, model=request.GET.get("model") or None, annotator=annotator
        )
    except ValueError as error:
        return HttpResponse(str(error), status=404, content_type="text/plain")
    if media_type.startswith(("text/", "application/json")):
        media_type += "; charset=utf-8"
    response = StreamingHttpResponse(chunks, content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
def import_upload(request, slug):
    """Import an uploaded file into a layer (managers), then go back to the export page with the outcome.

    The import runs within the request, all or nothing; long imports belong
    to the command line (`manage.py import_docs`, with a progress bar) until
    background tasks arrive.
    """
    project = selectors.project_for(request.user, slug)
    if not selectors.can_manage(request.user, project):
        raise PermissionDenied("Only a project manager can import.")
    upload = request.FILES.get("file")
    back = redirect("export", slug=project.slug)
    if upload is None:
        messages.error(request, "Choose a file to import.")
        return back
    post = request.POST
    try:
        result = services.import_upload(
            project,
            upload,
            fmt=post.get("format", "auto"),
            layer=post.get("layer", "gold"),
            model=post.get("model") or None,
            annotator=post.get("annotator") or None,
            skip_invalid=bool(post.get("skip_invalid")),
        )
    except FormatError as error:
        messages.error(request, f"{error} Nothing from {upload.name} was stored.")
        return back
    messages.success(request, f"{upload.name}: {result}")
    for problem in result.problems[:10]:
        messages.warning(request, problem)
    return back
