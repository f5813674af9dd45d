"""Review: settle the annotators' disagreements on a document into its gold.

The reviewer works on an annotation of kind REVIEW, so every step is saved at
once, versioned, logged and undoable like an annotator's edit. It starts
with the spans all annotators agree on; each disagreement is settled by
taking one annotator's version, taking neither, or keeping a hand edit.
Submitting it writes the gold.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from ..adjudication import Conflict, Item, adjudicate
from ..models import Annotation, AnnotationSpan, Document, EditEvent
from .editing import EditRefused, _bump, _log, _span_state, replace_spans, submit

Action = EditEvent.Action
KEEP = "keep"
NEITHER = "neither"


def submitted_annotations(document: Document) -> list[Annotation]:
    return list(
        Annotation.objects.filter(
            document=document, kind=Annotation.Kind.ANNOTATION, status=Annotation.Status.SUBMITTED
        )
        .select_related("annotator")
        .order_by("annotator__username")
    )


def span_sets(annotations: list[Annotation]) -> dict[str, list[Item]]:
    """Each annotator's spans as Items, in one query."""
    sets: dict[str, list[Item]] = {a.annotator.username: [] for a in annotations}
    names = {a.pk: a.annotator.username for a in annotations}
    for span in AnnotationSpan.objects.filter(annotation__in=annotations).select_related("label"):
        sets[names[span.annotation_id]].append(Item(span.start, span.end, span.label.name))
    return sets


@dataclass
class ReviewState:
    review: Annotation
    sets: dict[str, list[Item]]
    agreed: list[Item]
    conflicts: list[Conflict]
    resolved: dict[str, str]  # conflict key -> choice

    @property
    def open_conflicts(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.key not in self.resolved]


def start_review(document: Document, reviewer) -> Annotation:
    """Return the reviewer's working copy of the gold, starting it from the agreed spans if new."""
    review = Annotation.objects.filter(document=document, annotator=reviewer, kind=Annotation.Kind.REVIEW).first()
    if review is None:
        agreed, _ = adjudicate(span_sets(submitted_annotations(document)))
        labels = {label.name: label for label in document.project.labels.all()}
        try:
            with transaction.atomic():
                review = Annotation.objects.create(document=document, annotator=reviewer, kind=Annotation.Kind.REVIEW)
                AnnotationSpan.objects.bulk_create(
                    AnnotationSpan(
                        annotation=review, label=labels[i.label], start=i.start, end=i.end, origin=AnnotationSpan.Origin.MANUAL
                    )
                    for i in agreed
                )
                _log(review, reviewer, Action.CREATE, after={"agreed": len(agreed)})
        except IntegrityError:
            review = Annotation.objects.get(document=document, annotator=reviewer, kind=Annotation.Kind.REVIEW)
    review.document = document
    return review


def review_state(review: Annotation) -> ReviewState:
    sets = span_sets(submitted_annotations(review.document))
    agreed, conflicts = adjudicate(sets)
    resolved = {
        event.after["conflict"]: event.after["choice"]
        for event in review.events.filter(action=Action.RESOLVE, undone_by__isnull=True).order_by("id")
    }
    return ReviewState(review, sets, agreed, conflicts, resolved)


def resolve(review: Annotation, user, *, version: int, conflict: str, choice: str, elapsed: float = 0) -> None:
    """Settle one disagreement: take an annotator's spans, take neither, or keep what is there."""
    state = review_state(review)
    target = next((c for c in state.conflicts if c.key == conflict), None)
    if target is None:
        raise EditRefused("That disagreement is no longer there; reload the page.")
    names = dict(target.options)
    if choice not in names and choice not in (KEEP, NEITHER):
        raise EditRefused(f"Unknown choice {choice!r}.")
    current = [
        _span_state(s)
        for s in review.spans.select_related("label").filter(start__lt=target.end, end__gt=target.start)
    ]
    if choice == KEEP:
        chosen = current
    elif choice == NEITHER:
        chosen = []
    else:
        chosen = [{"start": i.start, "end": i.end, "label": i.label, "origin": "manual"} for i in names[choice]]
    with transaction.atomic():
        _bump(review, version, elapsed, status=Annotation.Status.DRAFT)
        if choice != KEEP:
            replace_spans(review, current, chosen)
        _log(
            review,
            user,
            Action.RESOLVE,
            before={"spans": current},
            after={"spans": chosen, "conflict": conflict, "choice": choice},
        )


def accept(review: Annotation, user, *, version: int, elapsed: float = 0) -> None:
    """Write the review as the document's gold, once every disagreement is settled."""
    left = len(review_state(review).open_conflicts)
    if left:
        raise EditRefused(f"{left} disagreement{'s are' if left > 1 else ' is'} not settled yet (a/b… take, n neither, e keep).")
    submit(review, user, version=version, elapsed=elapsed)
