"""Reading a review: the versions of a document (each annotator's submission, the current gold), where they
disagree, and how far the reviewer's working copy has settled them.

services.review writes the copy; this reads it, for the review page and for
each step that checks what it would change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db.models import Max

from ..adjudication import Conflict, Diff, adjudicate, diff
from ..models import Annotation, AnnotationSpan, Document, EditEvent, GoldRevision
from ..spans import Span
from .layers import current_items

# The name the current gold goes by among the versions (usernames cannot contain a space).
GOLD = "current gold"


def items_of(annotation: Annotation) -> list[Span]:
    """An annotation's spans (start, end, label), in text order."""
    return sorted(Span(s.start, s.end, s.label.name) for s in annotation.spans.select_related("label"))


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
        sets[GOLD] = current_items(document)
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


def review_state(review: Annotation) -> ReviewState:
    basis = basis_of(review.document)
    agreed, conflicts = adjudicate(basis.sets)
    resolved = {
        event.after["conflict"]: event.after["choice"]
        for event in review.events.filter(action=EditEvent.Action.RESOLVE, undone_by__isnull=True).order_by("id")
    }
    changes = diff(basis.sets.get(GOLD, []), items_of(review))
    return ReviewState(
        review, basis.sets, agreed, conflicts, resolved, review.basis != basis.fingerprint, basis.gold_revision, changes
    )
