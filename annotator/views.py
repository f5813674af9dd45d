"""Pages. Thin: parse the request, call one service or selector, render.

Span edits come from the page's script as htmx requests and answer with the
`annotation` partial (the text with its spans); errors answer with the
`flash` partial and a 4xx status that the script shows.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, retarget, reswap

from . import offsets, selectors, services
from .formats import FORMATS


def _annotation_context(request, document, annotation, selected=None):
    spans = selectors.annotation_spans(annotation)
    for span in spans:
        span.covered = document.text[span.start : span.end]
    position, total = selectors.neighbours(document)
    return {
        "project": document.project,
        "document": document,
        "annotation": annotation,
        "labels": selectors.labels_of(document.project),
        "segments": offsets.segments(document.text, spans),
        "spans": spans,
        "selected": selected,
        "position": position,
        "total": total,
    }


def _render_annotation(request, document, annotation, selected=None, status=200):
    context = _annotation_context(request, document, annotation, selected)
    template = "annotator/annotate.html#annotation" if request.htmx else "annotator/annotate.html"
    return render(request, template, context, status=status)


def _flash(request, message: str, status: int, level: str = "error"):
    response = render(request, "annotator/annotate.html#flash", {"flash": message, "level": level}, status=status)
    return reswap(retarget(response, "#flash"), "innerHTML")


@require_GET
def project_list(request):
    return render(request, "annotator/project_list.html", {"projects": selectors.projects_for(request.user)})


@require_GET
def project_detail(request, slug):
    project = selectors.project_for(request.user, slug)
    rows = selectors.document_rows(project, request.user)
    extractor = selectors.latest_extractor(project)
    return render(
        request,
        "annotator/project_detail.html",
        {
            "project": project,
            "rows": rows,
            "progress": selectors.progress_of(rows),
            "extractor": extractor,
            "labels": selectors.labels_of(project),
            "can_manage": selectors.can_manage(request.user, project),
        },
    )


@require_GET
def next_document(request, slug):
    project = selectors.project_for(request.user, slug)
    document = selectors.next_document(project, request.user)
    if document is None:
        messages.success(request, "All documents are done. Thank you!")
        return redirect("project_detail", slug=project.slug)
    return redirect("annotate", slug=project.slug, pk=document.pk)


@require_GET
def annotate(request, slug, pk):
    project = selectors.project_for(request.user, slug)
    document = selectors.document_in(project, pk)
    annotation = services.start_annotation(document, request.user)
    return _render_annotation(request, document, annotation)


def _edit(request, slug, pk, action):
    """Run one span edit for the signed-in user's annotation and answer with the new text."""
    project = selectors.project_for(request.user, slug)
    document = selectors.document_in(project, pk)
    annotation = services.start_annotation(document, request.user)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _flash(request, "The request carried no annotation version; reload the page.", 400)
    elapsed = _seconds(request.POST.get("elapsed"))
    try:
        result = action(annotation, version=version, elapsed=elapsed)
    except services.StaleEdit as error:
        response = _flash(request, str(error), 409)
        response["X-Annotation-Version"] = str(error.current_version)
        return response
    except services.EditRefused as error:
        return _flash(request, str(error), 422)
    if isinstance(result, HttpResponse):
        return result
    selected = getattr(result, "pk", None)
    return _render_annotation(request, document, annotation, selected=selected)


def _seconds(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise services.EditRefused(f"Not a whole number: {value!r}.") from None


@require_POST
def span_add(request, slug, pk):
    post = request.POST
    return _edit(
        request,
        slug,
        pk,
        lambda a, **kw: services.add_span(
            a, request.user, start=_int(post.get("start")) or 0, end=_int(post.get("end")) or 0, label_id=post.get("label"), **kw
        ),
    )


_STEP = re.compile(r"^(start|end):(-1|1)$")


@require_POST
def span_change(request, slug, pk, span_id):
    post = request.POST
    match = _STEP.match(post.get("step", ""))
    return _edit(
        request,
        slug,
        pk,
        lambda a, **kw: services.change_span(
            a,
            request.user,
            span_id=span_id,
            label_id=post.get("label"),
            start=_int(post.get("start")),
            end=_int(post.get("end")),
            step=(match.group(1), int(match.group(2))) if match else None,
            **kw,
        ),
    )


@require_POST
def span_delete(request, slug, pk, span_id):
    return _edit(request, slug, pk, lambda a, **kw: services.delete_span(a, request.user, span_id=span_id, **kw))


@require_POST
def undo(request, slug, pk):
    return _edit(request, slug, pk, lambda a, **kw: services.undo(a, request.user, **kw))


def _go_next(request, project, document):
    following = selectors.next_document(project, request.user, after=document)
    url = (
        reverse("annotate", args=[project.slug, following.pk])
        if following
        else reverse("project_detail", args=[project.slug])
    )
    if following is None:
        messages.success(request, "All documents are done. Thank you!")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
def submit(request, slug, pk):
    def action(annotation, **kw):
        services.submit(annotation, request.user, **kw)
        return _go_next(request, annotation.document.project, annotation.document)

    return _edit(request, slug, pk, action)


@require_POST
def skip(request, slug, pk):
    def action(annotation, **kw):
        services.skip(annotation, request.user, **kw)
        return _go_next(request, annotation.document.project, annotation.document)

    return _edit(request, slug, pk, action)


@require_GET
def export(request, slug):
    """Download a layer as a file, written as it streams."""
    project = selectors.project_for(request.user, slug)
    if not selectors.can_manage(request.user, project):
        raise PermissionDenied("Only a project manager can export.")
    layer = request.GET.get("layer", "gold")
    fmt = request.GET.get("format", "jsonl")
    if layer not in ("gold", "model") or fmt != "jsonl":
        return HttpResponse("Unknown layer or format.", status=400, content_type="text/plain")
    try:
        records = selectors.layer_records(project, layer, model=request.GET.get("model") or None)
        first = next(records, None)
    except ValueError as error:
        return HttpResponse(str(error), status=404, content_type="text/plain")

    def lines():
        if first is not None:
            yield from FORMATS[fmt].dump([first])
            yield from FORMATS[fmt].dump(records)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(lines(), content_type="application/jsonl; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-{layer}-{stamp}.jsonl"'
    return response
