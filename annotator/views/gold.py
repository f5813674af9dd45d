"""A document's gold page: the current gold read-only, its history, a diff of any two revisions, Restore.

Managers and reviewers only (annotators work blind and never see the gold).
Restoring writes a new revision; nothing here changes or removes one.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import offsets, selectors
from ..roles import OVERSEERS
from ..services import gold
from .access import project_page
from .conflicts import Shown
from .editor import document_context


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
@project_page(*OVERSEERS)
def gold_page(request, pk, *, project, role):
    document = selectors.document_in(project, pk)
    colors = {label.name: label.color for label in selectors.labels_of(project)}
    items = gold.current_items(document)
    revisions = gold.history(document)
    latest = revisions[0].number if revisions else 0
    a = _number(request.GET.get("a")) or (latest - 1 if latest > 1 else None)
    b = _number(request.GET.get("b")) or (latest or None)
    compared = None
    if a and b and a != b:
        try:
            compared = gold.compare(document, a, b)
        except gold.GoldRefused as error:
            messages.error(request, str(error))
    text = document.text

    def quoted(item):
        return {"label": item.label, "text": text[item.start : item.end], "start": item.start, "end": item.end,
                "color": colors.get(item.label, "#888888")}

    context = {
        **document_context(project, document),
        "has_gold": document.gold_at is not None,
        "segments": offsets.segments(text, [Shown(i, colors) for i in items]),
        "span_count": len(items),
        "revisions": revisions,
        "latest": latest,
        "a": a,
        "b": b,
        "compared": compared,
        "diff": compared
        and {
            "removed": [quoted(i) for i in compared.diff.removed],
            "added": [quoted(i) for i in compared.diff.added],
            "relabelled": [(quoted(x), quoted(y)) for x, y in compared.diff.relabelled],
        },
        "can_restore": role in OVERSEERS,
    }
    return render(request, "annotator/gold.html", context)


@require_POST
@project_page(*OVERSEERS)
def gold_restore(request, pk, *, project, role):
    """Make an earlier revision the current gold again, as a new revision."""
    document = selectors.document_in(project, pk)
    number = _number(request.POST.get("revision"))
    try:
        written = gold.restore(document, number or 0, request.user)
    except gold.GoldRefused as error:
        messages.error(request, str(error))
    else:
        if written is None:
            messages.info(request, f"Revision {number} is the same as the current gold: nothing was written.")
        else:
            messages.success(request, f"Revision {number} restored as revision {written.number}.")
    return redirect("gold", slug=project.slug, pk=document.pk)
