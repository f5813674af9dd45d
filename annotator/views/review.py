"""The reviewer's pages: the queue of documents to settle, one document's review, and the agreement page.

Managers and reviewers only. The review copy is edited through
`editor.edit`, as the annotation page's spans are.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import selectors, services
from ..selectors import dashboards
from ..roles import OVERSEERS
from .access import project_page
from .editor import edit, render_annotation


@require_POST
@project_page(*OVERSEERS)
def rebuild(request, aid, *, project, role):
    """Build the review copy again from the current gold and submissions (after they changed)."""
    return edit(request, project, aid, lambda review, **kw: services.rebuild(review, request.user, **kw))


@require_GET
@project_page(*OVERSEERS)
def review_queue(request, *, project, role):
    """The queue, a page of fifty at a time (`?after=` the cursor of the previous page's last row)."""
    page = selectors.review_queue(project, request.GET.get("after"))
    return render(request, "annotator/review_queue.html", {"project": project, "page": page, "rows": page.rows})


@require_GET
@project_page(*OVERSEERS)
def review_next(request, *, project, role):
    waiting = selectors.next_waiting(project)
    if waiting is None:
        messages.success(request, "No document is waiting for review.")
        return redirect("review_queue", slug=project.slug)
    return redirect("review", slug=project.slug, pk=waiting)


@require_GET
@project_page(*OVERSEERS)
def review(request, pk, *, project, role):
    document = selectors.document_in(project, pk)
    return render_annotation(request, services.start_review(document, request.user))


@require_POST
@project_page(*OVERSEERS)
def resolve(request, aid, *, project, role):
    post = request.POST
    return edit(
        request,
        project,
        aid,
        lambda review, **kw: services.resolve(
            review, request.user, conflict=post.get("conflict", ""), choice=post.get("choice", ""), **kw
        ),
    )


def _heat(value) -> str:
    """A background colour from red (0) to green (1); grey when there is nothing to compare."""
    if value is None:
        return "#eeeeee"
    hue = round(120 * max(0.0, min(1.0, value)))
    return f"hsl({hue}, 65%, 80%)"


def _matrix(result: dict, key: str) -> list[dict]:
    names = result["annotators"]
    cells = {(p["a"], p["b"]): p for p in result["pairs"]}
    rows = []
    for a in names:
        row = []
        for b in names:
            pair = cells.get((a, b)) or cells.get((b, a))
            value = 1.0 if a == b else (pair[key] if pair and pair["documents"] else None)
            row.append({"value": value, "color": _heat(value), "documents": pair["documents"] if pair else None, "self": a == b})
        rows.append({"name": a, "cells": row})
    return rows


@require_GET
@project_page(*OVERSEERS)
def agreement(request, *, project, role):
    shown = dashboards.agreement_shown(project)  # a snapshot, or computed now in a small project
    result = shown.results
    context = {"project": project, "shown": shown, "result": result}
    if result is not None:
        context.update(
            f1_matrix=_matrix(result, "f1_strict"),
            kappa_matrix=_matrix(result, "cohen_kappa"),
            per_label=[
                {"label": label, **result["overall"]["per_label"][label], **result["per_label"][label]}
                for label in result["labels"]
            ],
            lowest=[{**d, "color": _heat(d["f1_strict"])} for d in result["by_document"][:20]],
        )
    return render(request, "annotator/agreement.html", context)
