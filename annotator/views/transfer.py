"""Moving data in and out from the web: the export page and its downloads, and file upload import.

Thin: check the role, call one service, stream or redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import names, services
from ..formats import EXPORT_FORMATS, FormatError
from ..jobs import start
from ..jobs.runs import RunRefused
from ..roles import Role
from .access import project_page


@require_GET
@project_page(Role.MANAGER, refusal="Only a project manager can export.")
def export(request, *, project, role):
    """The export page (format, layer, model or annotator), and the download it asks for.

    The download is streamed as the layer is read, so it starts at once and
    memory stays bounded. For a progress bar and a file kept for later, the
    tasks page starts the export as a background run (views.runs).
    """
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
@project_page(Role.MANAGER, refusal="Only a project manager can import.")
def import_upload(request, *, project, role):
    """Start importing an uploaded file into a layer (managers); the run's page shows its progress and report.

    The file is stored and read by a task worker (jobs.imports): checked
    whole first, so a bad file stores nothing and the run's page says
    `file:line: field: what is wrong`.
    """
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a file to import.")
        return redirect("export", slug=project.slug)
    post = request.POST
    try:
        run = start.start_import(
            project,
            request.user,
            upload,
            fmt=post.get("format") or "auto",
            layer=post.get("layer") or "gold",
            model=post.get("model") or None,
            annotator=post.get("annotator") or None,
            skip_invalid=bool(post.get("skip_invalid")),
            offsets=post.get("offsets") or None,
            overlaps=post.get("overlaps") or None,
            empty_is_gold=bool(post.get("empty_is_gold")),
        )
    except (FormatError, RunRefused) as error:
        messages.error(request, f"{error} Nothing from {upload.name} was stored.")
        return redirect("export", slug=project.slug)
    return redirect("task_detail", slug=project.slug, pk=run.pk)
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
