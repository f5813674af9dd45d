"""The annotation page and the span edits it sends. Thin: parse, call one service, render.

Edits name the annotation they change by id and only its owner may send
them; they come from the page's script as htmx requests and answer with the
`annotation` partial (the text with its spans); errors answer with the
`flash` partial and a 4xx status that the script shows.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from .. import offsets, selectors, services
from ..models import Annotation


def annotation_context(annotation: Annotation, selected=None) -> dict:
    """What the `annotation` partial needs, for an annotator's or a reviewer's copy."""
    document = annotation.document
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


def render_annotation(request, annotation: Annotation, selected=None, status=200):
    if annotation.kind == Annotation.Kind.REVIEW:
        from .review import render_review

        return render_review(request, annotation, selected=selected, status=status)
    context = annotation_context(annotation, selected)
    template = "annotator/annotate.html#annotation" if request.htmx else "annotator/annotate.html"
    return render(request, template, context, status=status)


def flash(request, message: str, status: int, level: str = "error"):
    response = render(request, "annotator/annotate.html#flash", {"flash": message, "level": level}, status=status)
    return reswap(retarget(response, "#flash"), "innerHTML")


@require_GET
def next_document(request, slug):
    project = selectors.project_for(request.user, slug)
    document = services.claim_next(project, request.user)
    if document is None:
        messages.success(request, "Nothing left for you to annotate in this project. Thank you!")
        return redirect("project_detail", slug=project.slug)
    return redirect("annotate", slug=project.slug, pk=document.pk)


@require_GET
def annotate(request, slug, pk):
    """Open a document: the user's own annotation if they have one, else the text read-only.

    Viewing is not claiming: a slot is taken only by the Start button (or
    key), which goes through the same locked path as “Start annotating”.
    """
    project = selectors.project_for(request.user, slug)
    document = selectors.document_in(project, pk)
    annotation = selectors.own_annotation(document, request.user)
    if annotation is not None:
        return render_annotation(request, annotation)
    position, total = selectors.neighbours(document)
    context = {
        "project": project,
        "document": document,
        "position": position,
        "total": total,
        "can_start": services.has_open_slot(document),
        "has_gold": document.gold_at is not None,
        "overseer": selectors.role_of(request.user, project) in ("manager", "reviewer"),
        "segments": offsets.segments(document.text, []),
        "labels": selectors.labels_of(project),
    }
    return render(request, "annotator/document.html", context)


@require_POST
def claim(request, slug, pk):
    """Start annotating a document opened by id (the Start button): claim a slot, or say why not."""
    project = selectors.project_for(request.user, slug)
    document = selectors.document_in(project, pk)
    try:
        services.claim_document(document, request.user)
    except services.ClaimRefused as error:
        messages.error(request, str(error))
    return redirect("annotate", slug=project.slug, pk=document.pk)


def edit(request, slug, aid, action):
    """Run one edit on the signed-in user's annotation `aid` and answer with the new text."""
    project = selectors.project_for(request.user, slug)
    annotation = selectors.annotation_of(request.user, project, aid)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return flash(request, "The request carried no annotation version; reload the page.", 400)
    elapsed = _seconds(request.POST.get("elapsed"))
    try:
        result = action(annotation, version=version, elapsed=elapsed)
    except services.StaleEdit as error:
        response = flash(request, str(error), 409)
        response["X-Annotation-Version"] = str(error.current_version)
        return response
    except services.EditRefused as error:
        return flash(request, str(error), 422)
    if isinstance(result, HttpResponse):
        return result
    annotation.refresh_from_db(fields=["version", "status", "time_spent", "submitted_at", "basis"])
    return render_annotation(request, annotation, selected=getattr(result, "pk", None))


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
def span_add(request, slug, aid):
    post = request.POST

    def action(annotation, **kw):
        return services.add_span(
            annotation, request.user, start=_int(post.get("start")) or 0, end=_int(post.get("end")) or 0,
            label_id=post.get("label"), **kw,
        )

    return edit(request, slug, aid, action)


_STEP = re.compile(r"^(start|end):(-1|1)$")


@require_POST
def span_change(request, slug, aid, span_id):
    post = request.POST
    match = _STEP.match(post.get("step", ""))

    def action(annotation, **kw):
        return services.change_span(
            annotation,
            request.user,
            span_id=span_id,
            label_id=post.get("label"),
            start=_int(post.get("start")),
            end=_int(post.get("end")),
            step=(match.group(1), int(match.group(2))) if match else None,
            **kw,
        )

    return edit(request, slug, aid, action)


@require_POST
def span_delete(request, slug, aid, span_id):
    return edit(request, slug, aid, lambda a, **kw: services.delete_span(a, request.user, span_id=span_id, **kw))


@require_POST
def undo(request, slug, aid):
    return edit(request, slug, aid, lambda a, **kw: services.undo(a, request.user, **kw))


def go_to(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _next_url(request, project) -> str:
    following = services.claim_next(project, request.user)
    if following is None:
        messages.success(request, "Nothing left for you to annotate in this project. Thank you!")
        return reverse("project_detail", args=[project.slug])
    return reverse("annotate", args=[project.slug, following.pk])


@require_POST
def submit(request, slug, aid):
    confirm = request.POST.get("confirm") == "1"

    def action(annotation, **kw):
        if annotation.kind == Annotation.Kind.REVIEW:
            services.accept(annotation, request.user, confirm=confirm, **kw)
            return go_to(request, reverse("review_next", args=[slug]))
        if annotation.status != Annotation.Status.SUBMITTED or annotation.version != kw["version"]:
            services.submit(annotation, request.user, **kw)
        # Already submitted (and not changed since): Enter just moves on.
        return go_to(request, _next_url(request, annotation.document.project))

    return edit(request, slug, aid, action)


@require_POST
def reopen(request, slug, aid):
    """Take a submitted annotation (or an accepted review) back to draft, on purpose (undo restores it)."""
    return edit(request, slug, aid, lambda a, **kw: services.reopen(a, request.user, **kw))


@require_POST
def skip(request, slug, aid):
    def action(annotation, **kw):
        services.skip(annotation, request.user, **kw)
        return go_to(request, _next_url(request, annotation.document.project))

    return edit(request, slug, aid, action)
