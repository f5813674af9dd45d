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

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from ..adjudication import Conflict, Diff, adjudicate, diff
from ..spans import Span
from ..models import Annotation, AnnotationSpan, Document, EditEvent, GoldRevision
from . import gold
from .editing import items_of, replace_spans
from .history import EditRefused, bump, check_version, log, span_state

Action = EditEvent.Action
KEEP = "keep"
NEITHER = "neither"
# The name the current gold goes by among the versions (usernames cannot contain a space).
GOLD = "current gold"


def submitted_annotations(document: Document) -> list[Annotation]:
    return list(
        Annotation.objects.filter(
            document=document, kind=Annotation.Kind.ANNOTATION, status=Annotation.Status.SUBMITTED
        )
        .select_related("annotator")
        .order_by("annotator__username")
    )


def span_sets(annotations: list[Annotation]) -> dict[str, list[Span]]:
    """Each annotator's spans as Spans, in one query."""
    sets: dict[str, list[Span]] = {a.annotator.username: [] for a in annotations}
    names = {a.pk: a.annotator.username for a in annotations}
    for span in AnnotationSpan.objects.filter(annotation__in=annotations).select_related("label"):
        sets[names[span.annotation_id]].append(Span(span.start, span.end, span.label.name))
    return sets


@dataclass
class Basis:
    """What a review copy is built from: the gold revision and the submitted annotations, as they are now."""

    sets: dict[str, list[Span]]  # every version, the current gold (as GOLD) included
    gold_revision: int  # 0: no gold yet
    fingerprint: str


def basis_of(document: Document) -> Basis:
    annotations = submitted_annotations(document)
    sets = span_sets(annotations)
    revision = GoldRevision.objects.filter(document=document).aggregate(n=Max("number"))["n"] or 0
    if revision:
        sets[GOLD] = gold.current_items(document)
    parts = [f"gold:{revision}"] + [f"{a.pk}:{a.version}" for a in sorted(annotations, key=lambda a: a.pk)]
    return Basis(sets, revision, hashlib.sha256(" ".join(parts).encode()).hexdigest()[:32])


@dataclass
class ReviewState:
    review: Annotation
    sets: dict[str, list[Span]]
    agreed: list[Span]
    conflicts: list[Conflict]
    resolved: dict[str, str]  # conflict key -> choice
    stale: bool  # the gold or the submissions changed since the copy was built
    gold_revision: int
    changes: Diff  # what accepting would change in the current gold

    @property
    def open_conflicts(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.key not in self.resolved]

    @property
    def has_gold(self) -> bool:
        return GOLD in self.sets


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


def review_state(review: Annotation) -> ReviewState:
    basis = basis_of(review.document)
    agreed, conflicts = adjudicate(basis.sets)
    resolved = {
        event.after["conflict"]: event.after["choice"]
        for event in review.events.filter(action=Action.RESOLVE, undone_by__isnull=True).order_by("id")
    }
    changes = diff(basis.sets.get(GOLD, []), items_of(review))
    return ReviewState(
        review, basis.sets, agreed, conflicts, resolved, review.basis != basis.fingerprint, basis.gold_revision, changes
    )


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
