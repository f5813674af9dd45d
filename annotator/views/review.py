"""The reviewer's pages: the queue of documents to settle, and one document's review."""

from __future__ import annotations

import string
from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import offsets, selectors, services
from ..adjudication import Item
from .annotate import annotation_context, edit
from ..models import Annotation

REVIEWERS = ("manager", "reviewer")
CONTEXT = 50  # about this many characters shown around a disagreement, widened to whole words
ELLIPSIS = "…"


@dataclass
class Option:
    key: str  # the keyboard key that takes it
    choice: str  # the annotator's username, or "model" for the reference row
    title: str
    segments: list
    empty: bool


def _cut_points(text: str, start: int, end: int) -> tuple[int, int]:
    """About CONTEXT characters either side of [start, end), never cutting a word: the cut is at a space
    (at most 25 characters further out; a longer word is cut where it stands)."""
    left = max(0, start - CONTEXT)
    if left > 0 and not text[left - 1].isspace():
        space = text.rfind(" ", max(0, left - 25), left)
        newline = text.rfind("\n", max(0, left - 25), left)
        at = max(space, newline)
        left = at + 1 if at != -1 else left
    right = min(len(text), end + CONTEXT)
    if right < len(text) and not text[right].isspace():
        spaces = [i for i in (text.find(" ", right, right + 25), text.find("\n", right, right + 25)) if i != -1]
        right = min(spaces) if spaces else right
    return min(left, start), max(right, end)


def _snippet(text: str, start: int, end: int, items) -> tuple[str, list]:
    """Cut the text around [start, end) at word boundaries and shift the items into it;
    an ellipsis marks where the text goes on."""
    left, right = _cut_points(text, start, end)
    items = [i for i in items if left <= i.start and i.end <= right]
    prefix = ELLIPSIS if left > 0 else ""
    piece = prefix + text[left:right].strip("\n") + (ELLIPSIS if right < len(text) else "")
    # Offsets shift by what was cut off the left, plus the ellipsis, minus the line breaks stripped at the start.
    lead = len(text[left:right]) - len(text[left:right].lstrip("\n"))
    shift = left + lead - len(prefix)
    shifted = [Item(i.start - shift, i.end - shift, i.label) for i in items]
    return piece, shifted


def _conflict_rows(document, state, model_items, colors):
    """For each disagreement, every annotator's version (and the model's) as display segments."""
    rows = []
    keys = iter(string.ascii_lowercase.replace("e", "").replace("n", "").replace("j", "").replace("k", ""))
    letters = {name: next(keys) for name in state.sets}
    for conflict in state.conflicts:
        options = []
        for name, items in conflict.options:
            piece, shifted = _snippet(document.text, conflict.start, conflict.end, items)
            spans = [Shown(i, colors) for i in shifted]
            options.append(Option(letters[name], name, name, offsets.segments(piece, spans), not items))
        inside = [i for i in model_items if i.start < conflict.end and conflict.start < i.end]
        piece, shifted = _snippet(document.text, conflict.start, conflict.end, inside)
        model = Option("", "model", "model", offsets.segments(piece, [Shown(i, colors) for i in shifted]), not inside)
        rows.append(
            {
                "conflict": conflict,
                "text": _words(document.text[conflict.start : conflict.end]),
                "options": options,
                "model": model,
                "choice": state.resolved.get(conflict.key),
            }
        )
    return rows, letters


def _words(text: str, limit: int = 60) -> str:
    """The text of a disagreement for its heading: one line, at most `limit` characters, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit] + ELLIPSIS


class Shown:
    """An Item with what the text templates need to colour it (review snippets, the gold page)."""

    def __init__(self, item: Item, colors: dict[str, str]):
        self.start, self.end, self.label_name = item.start, item.end, item.label
        self.color = colors.get(item.label, "#888888")


def render_review(request, review: Annotation, selected=None, status=200):
    document = review.document
    state = services.review_state(review)
    labels = selectors.labels_of(document.project)
    colors = {label.name: label.color for label in labels}
    model_items = selectors.model_items(document)
    rows, letters = _conflict_rows(document, state, model_items, colors)
    context = annotation_context(review, selected)
    changes = state.changes
    context.update(
        {
            "state": state,
            "rows": rows,
            "letters": letters,
            "open_count": len(state.open_conflicts),
            "annotators": sorted(name for name in state.sets if name != services.GOLD),
            "changes": {
                "summary": changes.summary(),
                "removed": [_quoted(document.text, i) for i in changes.removed],
                "added": [_quoted(document.text, i) for i in changes.added],
                "relabelled": [(_quoted(document.text, a), b.label) for a, b in changes.relabelled],
                "removes": len(changes.removed) + len(changes.relabelled),
            },
        }
    )
    template = "annotator/review.html#annotation" if request.htmx else "annotator/review.html"
    return render(request, template, context, status=status)


def _quoted(text: str, item: Item) -> dict:
    return {"label": item.label, "text": text[item.start : item.end], "start": item.start, "end": item.end}


@require_POST
def rebuild(request, slug, aid):
    """Build the review copy again from the current gold and submissions (after they changed)."""
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, *REVIEWERS)
    return edit(request, slug, aid, lambda review, **kw: services.rebuild(review, request.user, **kw))


@require_GET
def review_queue(request, slug):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, *REVIEWERS)
    rows = selectors.review_queue(project)
    return render(request, "annotator/review_queue.html", {"project": project, "rows": rows})


@require_GET
def review_next(request, slug):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, *REVIEWERS)
    waiting = [row for row, waits in selectors.review_queue(project) if waits]
    if not waiting:
        messages.success(request, "No document is waiting for review.")
        return redirect("review_queue", slug=slug)
    return redirect("review", slug=slug, pk=waiting[0].document.pk)


@require_GET
def review(request, slug, pk):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, *REVIEWERS)
    document = selectors.document_in(project, pk)
    return render_review(request, services.start_review(document, request.user))


@require_POST
def resolve(request, slug, aid):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, *REVIEWERS)
    post = request.POST
    return edit(
        request,
        slug,
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
def agreement(request, slug):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, *REVIEWERS)
    result = selectors.project_agreement(project)
    return render(
        request,
        "annotator/agreement.html",
        {
            "project": project,
            "result": result,
            "f1_matrix": _matrix(result, "f1_strict"),
            "kappa_matrix": _matrix(result, "cohen_kappa"),
            "per_label": [
                {"label": label, **result["overall"]["per_label"][label], **result["per_label"][label]}
                for label in result["labels"]
            ],
            "lowest": [{**d, "color": _heat(d["f1_strict"])} for d in result["by_document"][:20]],
        },
    )
