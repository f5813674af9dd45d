"""Moving data in and out from the web: the export page and its downloads, and file upload import.

Thin: check the role, call one service, stream or redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import names, selectors, services
from ..selectors.layers import export_choices
from ..formats import EXPORT_FORMATS, FormatError
from ..jobs import start
from ..jobs.runs import RunRefused
from ..roles import Layer, Role
from .access import project_page


def _refusal(project, query) -> tuple[int, str] | None:
    """Why a download cannot be made, as (status, message); None when it can.

    Every name is looked up in this project only: one of another project is
    "not found", like a missing one.
    """
    fmt, layer, model = query.get("format"), query.get("layer", Layer.GOLD), query.get("model")
    if fmt not in EXPORT_FORMATS or layer not in Layer.values:
        return 400, "Unknown layer or format."
    if layer == Layer.ANNOTATIONS and query.get("annotator") and names.annotator_in(project, query["annotator"]) is None:
        return 404, "No such annotator in this project."
    if layer == Layer.MODEL and model and names.version_in(project, model) is None:
        return 404, f"no predictions of {model!r} in this project"
    if layer == Layer.MODEL and not model and selectors.latest_extractor(project) is None:
        return 404, "no predictions in this project"
    return None


@require_GET
@project_page(Role.MANAGER, refusal="Only a project manager can export.")
def export(request, *, project, role):
    """The export page (format, layer, model or annotator), and the download it asks for.

    The download is streamed as the layer is read, so it starts at once and
    memory stays bounded. For a progress bar and a file kept for later, the
    tasks page starts the export as a background run (views.runs). A
    download that cannot be made is answered in plain text (the browser
    asked for a file, not a page).
    """
    query = request.GET
    if "format" not in query:
        return render(request, "annotator/export.html", {"project": project, **export_choices(project)})
    refusal = _refusal(project, query)
    if refusal is not None:
        return HttpResponse(refusal[1], status=refusal[0], content_type="text/plain")
    layer = query.get("layer", Layer.GOLD)
    annotator = names.annotator_in(project, query["annotator"]) if layer == Layer.ANNOTATIONS and query.get("annotator") else None
    name, media_type, chunks = services.download(
        project, fmt=query["format"], layer=layer, model=query.get("model") or None, annotator=annotator
    )
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
