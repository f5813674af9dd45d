"""The annotation page and the span edits it sends. Thin: parse, call one service, render.

Edits name the annotation they change by id and only its owner may send
them; they go through `editor.edit`, shared with the review page.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import offsets, selectors, services
from ..models import Annotation
from ..roles import OVERSEERS
from .access import project_page
from .editor import document_context, edit, go_to, render_annotation

NOTHING_LEFT = "Nothing left for you to annotate in this project. Thank you!"


@require_GET
@project_page()
def next_document(request, *, project, role):
    document = services.claim_next(project, request.user)
    if document is None:
        messages.success(request, NOTHING_LEFT)
        return redirect("project_detail", slug=project.slug)
    return redirect("annotate", slug=project.slug, pk=document.pk)


@require_GET
@project_page()
def annotate(request, pk, *, project, role):
    """Open a document: the user's own annotation if they have one, else the text read-only.

    Viewing is not claiming: a slot is taken only by the Start button (or
    key), which goes through the same locked path as “Start annotating”.
    """
    document = selectors.document_in(project, pk)
    annotation = selectors.own_annotation(document, request.user)
    if annotation is not None:
        return render_annotation(request, annotation)
    context = {
        **document_context(project, document),
        "can_start": services.has_open_slot(document),
        "has_gold": document.gold_at is not None,
        "overseer": role in OVERSEERS,
        "segments": offsets.segments(document.text, []),
        "labels": selectors.labels_of(project),
    }
    return render(request, "annotator/document.html", context)


@require_POST
@project_page()
def claim(request, pk, *, project, role):
    """Start annotating a document opened by id (the Start button): claim a slot, or say why not."""
    document = selectors.document_in(project, pk)
    try:
        services.claim_document(document, request.user)
    except services.ClaimRefused as error:
        messages.error(request, str(error))
    return redirect("annotate", slug=project.slug, pk=document.pk)


def _int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise services.EditRefused(f"Not a whole number: {value!r}.") from None


@require_POST
@project_page()
def span_add(request, aid, *, project, role):
    post = request.POST

    def action(annotation, **kw):
        return services.add_span(
            annotation, request.user, start=_int(post.get("start")) or 0, end=_int(post.get("end")) or 0,
            label_id=post.get("label"), **kw,
        )

    return edit(request, project, aid, action)


_STEP = re.compile(r"^(start|end):(-1|1)$")


@require_POST
@project_page()
def span_change(request, aid, span_id, *, project, role):
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

    return edit(request, project, aid, action)


@require_POST
@project_page()
def span_delete(request, aid, span_id, *, project, role):
    return edit(request, project, aid, lambda a, **kw: services.delete_span(a, request.user, span_id=span_id, **kw))


@require_POST
@project_page()
def undo(request, aid, *, project, role):
    return edit(request, project, aid, lambda a, **kw: services.undo(a, request.user, **kw))


def _next_url(request, project) -> str:
    following = services.claim_next(project, request.user)
    if following is None:
        messages.success(request, NOTHING_LEFT)
        return reverse("project_detail", args=[project.slug])
    return reverse("annotate", args=[project.slug, following.pk])


@require_POST
@project_page()
def submit(request, aid, *, project, role):
    """Submit an annotation (a reviewer's copy: accept it as the gold) and go on to the next document."""
    confirm = request.POST.get("confirm") == "1"

    def action(annotation, **kw):
        if annotation.kind == Annotation.Kind.REVIEW:
            services.accept(annotation, request.user, confirm=confirm, **kw)
        elif annotation.status != Annotation.Status.SUBMITTED or annotation.version != kw["version"]:
            services.submit(annotation, request.user, **kw)
        # Already submitted (and not changed since): Enter just moves on.

    def then(annotation):
        if annotation.kind == Annotation.Kind.REVIEW:
            return go_to(request, reverse("review_next", args=[project.slug]))
        return go_to(request, _next_url(request, project))

    return edit(request, project, aid, action, then)


@require_POST
@project_page()
def reopen(request, aid, *, project, role):
    """Take a submitted annotation (or an accepted review) back to draft, on purpose (undo restores it)."""
    return edit(request, project, aid, lambda a, **kw: services.reopen(a, request.user, **kw))


@require_POST
@project_page()
def skip(request, aid, *, project, role):
    return edit(
        request, project, aid,
        lambda a, **kw: services.skip(a, request.user, **kw),
        lambda a: go_to(request, _next_url(request, project)),
    )
