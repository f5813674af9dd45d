"""Review: settle the annotators' disagreements on a document into its gold.

The reviewer works on an annotation of kind REVIEW, so every step is saved at
once, versioned, logged and undoable like an annotator's edit. Its working
copy is built from the truth as it is when the reviewer opens it: the
current gold (when there is one) and the submitted annotations. The gold
takes part as one more version, so a disagreement between the gold and an
annotator is shown like any other. It starts with the spans every version
agrees on; each disagreement is settled by taking one version, taking
neither, or keeping a hand edit. Accepting writes a new gold revision (none
if nothing changes).

The copy remembers what it was built from (`basis`). When the gold or the
submissions change afterwards, the copy is stale: the page says so and
rebuilds it on request, and a stale copy is never accepted.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..adjudication import adjudicate
from ..models import Annotation, AnnotationSpan, Document, EditEvent
from . import gold
from ..selectors.review import Basis, basis_of, items_of, review_state
from .editing import replace_spans
from .history import EditRefused, bump, check_version, log, span_state

Action = EditEvent.Action
KEEP = "keep"
NEITHER = "neither"


def _fill(review: Annotation, reviewer, basis: Basis, *, rebuilt_from: list[dict] | None = None) -> None:
    """Put the agreed spans of `basis` in the review copy (emptied first) and log it."""
    agreed, _ = adjudicate(basis.sets)
    labels = {label.name: label for label in review.document.project.labels.all()}
    review.spans.all().delete()
    AnnotationSpan.objects.bulk_create(
        AnnotationSpan(
            annotation=review, label=labels[i.label], start=i.start, end=i.end, origin=AnnotationSpan.Origin.MANUAL
        )
        for i in agreed
    )
    after = {"agreed": len(agreed), "versions": sorted(basis.sets), "gold_revision": basis.gold_revision}
    if rebuilt_from is not None:
        after["rebuilt"] = True
    log(review, reviewer, Action.CREATE, before={"spans": rebuilt_from} if rebuilt_from is not None else None, after=after)


def start_review(document: Document, reviewer) -> Annotation:
    """Return the reviewer's working copy, building it from the current gold and submissions if new."""
    review = Annotation.objects.filter(document=document, annotator=reviewer, kind=Annotation.Kind.REVIEW).first()
    if review is None:
        basis = basis_of(document)
        try:
            with transaction.atomic():
                review = Annotation.objects.create(
                    document=document, annotator=reviewer, kind=Annotation.Kind.REVIEW, basis=basis.fingerprint
                )
                review.document = document
                _fill(review, reviewer, basis)
        except IntegrityError:
            review = Annotation.objects.get(document=document, annotator=reviewer, kind=Annotation.Kind.REVIEW)
    review.document = document
    return review


def rebuild(review: Annotation, user, *, version: int, elapsed: float = 0) -> None:
    """Start the copy again from the gold and the submissions as they are now (the old copy is logged)."""
    basis = basis_of(review.document)
    with transaction.atomic():
        before = [span_state(s) for s in review.spans.select_related("label")]
        bump(review, version, elapsed, while_submitted=True, status=Annotation.Status.DRAFT, basis=basis.fingerprint)
        _fill(review, user, basis, rebuilt_from=before)


def resolve(review: Annotation, user, *, version: int, conflict: str, choice: str, elapsed: float = 0) -> None:
    """Settle one disagreement: take an annotator's spans, take neither, or keep what is there."""
    check_version(review, version)
    state = review_state(review)
    target = next((c for c in state.conflicts if c.key == conflict), None)
    if target is None:
        raise EditRefused("That disagreement is no longer there; reload the page.")
    names = dict(target.options)
    if choice not in names and choice not in (KEEP, NEITHER):
        raise EditRefused(f"Unknown choice {choice!r}.")
    current = [
        span_state(s)
        for s in review.spans.select_related("label").filter(start__lt=target.end, end__gt=target.start)
    ]
    if choice == KEEP:
        chosen = current
    elif choice == NEITHER:
        chosen = []
    else:
        chosen = [{"start": i.start, "end": i.end, "label": i.label, "origin": "manual"} for i in names[choice]]
    with transaction.atomic():
        bump(review, version, elapsed, status=Annotation.Status.DRAFT)
        if choice != KEEP:
            replace_spans(review, current, chosen)
        log(
            review,
            user,
            Action.RESOLVE,
            before={"spans": current},
            after={"spans": chosen, "conflict": conflict, "choice": choice},
        )


def accept(review: Annotation, user, *, version: int, elapsed: float = 0, confirm: bool = False):
    """Write the review as the document's gold (a new revision; none if nothing changes).

    Refused when the copy is stale, when a disagreement is open, or when it
    would remove gold spans and `confirm` is not given.
    """
    if review.kind != Annotation.Kind.REVIEW:
        raise EditRefused("Only a review copy is accepted.")
    check_version(review, version)
    document = review.document
    now = timezone.now()
    with transaction.atomic():
        # Submissions take the same lock (editing.submit): none can slip in between the check and the gold.
        gold.lock_documents([document.pk])
        state = review_state(review)
        if state.stale:
            raise EditRefused(
                "The gold or the submitted annotations changed since this copy was made; rebuild it (the Rebuild "
                "button, or B) and review again. Nothing was accepted."
            )
        left = len(state.open_conflicts)
        if left:
            raise EditRefused(
                f"{left} disagreement{'s are' if left > 1 else ' is'} not settled yet (a/b… take, n neither, e keep)."
            )
        removes = len(state.changes.removed) + len(state.changes.relabelled)
        if state.has_gold and removes and not confirm:
            raise EditRefused(
                f"Accepting changes the gold: {state.changes.summary()}. It removes or relabels {removes} gold "
                f"span{'s' if removes > 1 else ''}; confirm to go on."
            )
        bump(review, version, elapsed, status=Annotation.Status.SUBMITTED, submitted_at=now)
        written = gold.record(
            document, items_of(review), how=gold.How.REVIEW, user=user, source_annotation=review, note="review"
        )
        if written is None:
            gold.confirm(document)
        # The copy now agrees with the gold it wrote: it is the basis of what comes next.
        Annotation.objects.filter(pk=review.pk).update(basis=basis_of(document).fingerprint)
        log(review, user, Action.SUBMIT, after={"gold_revision": getattr(written, "number", None), "changes": state.changes.summary()})
    return written
