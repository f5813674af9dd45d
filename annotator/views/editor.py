"""What the annotate and review pages share: the text with its spans, the side pane, and the edit helper.

Both pages edit an Annotation (an annotator's own, or a reviewer's copy of
the gold) through the same requests; `render_annotation` draws either kind.
Edits come from the page's script as htmx requests and answer with the
`annotation` partial; a refused or stale edit raises its app error, which
annotator.middleware.AppErrorMiddleware turns into the `flash` partial with
its status (409 with X-Annotation-Version for a stale version, 422 for a
refusal).
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect

from .. import offsets, selectors
from ..errors import BadInput
from ..models import Annotation
from ..selectors import documents as doclist
from ..selectors import layers
from ..selectors.review import GOLD, review_state
from .conflicts import conflict_rows, quoted


def document_context(project, document) -> dict:
    """What every page of one document shows in its header: the project, the document, its place in the list."""
    position, total = doclist.neighbours(document)
    return {"project": project, "document": document, "position": position, "total": total}


def annotation_context(annotation: Annotation, selected=None) -> dict:
    """What the `annotation` partial needs, for an annotator's or a reviewer's copy."""
    document = annotation.document
    spans = selectors.annotation_spans(annotation)
    for span in spans:
        span.covered = document.text[span.start : span.end]
    return {
        **document_context(document.project, document),
        "annotation": annotation,
        "labels": selectors.labels_of(document.project),
        "segments": offsets.segments(document.text, spans),
        "spans": spans,
        "selected": selected,
    }


def review_context(review: Annotation, selected=None) -> dict:
    """The annotation context of a reviewer's copy, with its disagreements and what accepting it changes."""
    document = review.document
    state = review_state(review)
    colors = {label.name: label.color for label in selectors.labels_of(document.project)}
    rows, letters = conflict_rows(document, state, layers.model_spans(document), colors)
    context = annotation_context(review, selected)
    changes = state.changes
    context.update(
        {
            "state": state,
            "rows": rows,
            "letters": letters,
            "open_count": len(state.open_conflicts),
            "annotators": sorted(name for name in state.sets if name != GOLD),
            "changes": {
                "summary": changes.summary(),
                "removed": [quoted(document.text, i) for i in changes.removed],
                "added": [quoted(document.text, i) for i in changes.added],
                "relabelled": [(quoted(document.text, a), b.label) for a, b in changes.relabelled],
                "removes": len(changes.removed) + len(changes.relabelled),
            },
        }
    )
    return context


def render_annotation(request, annotation: Annotation, selected=None, status=200):
    """The page (or, for htmx, the `annotation` partial) of an annotator's annotation or a reviewer's copy."""
    if annotation.kind == Annotation.Kind.REVIEW:
        context, page = review_context(annotation, selected), "annotator/review.html"
    else:
        context, page = annotation_context(annotation, selected), "annotator/annotate.html"
    return render(request, f"{page}#annotation" if request.htmx else page, context, status=status)


def go_to(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _seconds(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _version(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadInput("The request carried no annotation version; reload the page.") from None


def edit(request, project, aid, action, then=None):
    """Run one edit on the signed-in user's annotation `aid` and answer with the new text.

    `action(annotation, version=..., elapsed=...)` calls one service and may
    return the span it made or changed (it is shown selected); `then`, if
    given, makes the answer from the edited annotation instead (a step to
    another page). Refusals and stale versions propagate as app errors.
    """
    annotation = selectors.annotation_of(request.user, project, aid)
    version = _version(request.POST.get("version"))
    result = action(annotation, version=version, elapsed=_seconds(request.POST.get("elapsed")))
    if then is not None:
        return then(annotation)
    annotation.refresh_from_db(fields=["version", "status", "time_spent", "submitted_at", "basis"])
    return render_annotation(request, annotation, selected=getattr(result, "pk", None))
