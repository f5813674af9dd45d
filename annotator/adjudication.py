"""Pure adjudication: which spans all annotators agree on, and where they disagree.

Spans are annotator.spans.Span with start, end and label (the other fields None).

A reviewer settles each disagreement once. A disagreement ("conflict") is a
stretch of text where the annotators' spans are not the same: the spans that
are not shared by everyone, grouped by overlap into clusters. Each cluster
offers every annotator's version of that stretch (possibly nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .spans import Span


@dataclass(frozen=True)
class Conflict:
    start: int
    end: int
    # annotator -> that annotator's spans inside [start, end), in order
    options: tuple[tuple[str, tuple[Span, ...]], ...]

    @property
    def key(self) -> str:
        """A stable name for the conflict while the submitted annotations stay as they are."""
        return f"{self.start}-{self.end}"

    def option(self, annotator: str) -> tuple[Span, ...]:
        return dict(self.options)[annotator]


def adjudicate(span_sets: Mapping[str, Sequence[Span]]) -> tuple[list[Span], list[Conflict]]:
    """Split the annotators' spans into those everyone has and clusters of disagreement."""
    if not span_sets:
        return [], []
    sets = {name: set(items) for name, items in span_sets.items()}
    agreed = set.intersection(*sets.values())
    rest = sorted({item for items in sets.values() for item in items} - agreed)
    clusters: list[list[int]] = []  # [start, end] of overlapping runs
    for item in rest:
        if clusters and item.start < clusters[-1][1]:
            clusters[-1][1] = max(clusters[-1][1], item.end)
        else:
            clusters.append([item.start, item.end])
    conflicts = []
    for start, end in clusters:
        options = tuple(
            (name, tuple(sorted(i for i in sets[name] - agreed if start <= i.start and i.end <= end)))
            for name in sorted(sets)
        )
        conflicts.append(Conflict(start, end, options))
    return sorted(agreed), conflicts


@dataclass(frozen=True)
class Diff:
    """What changes from one set of spans to another: removed, added, and relabelled (same offsets)."""

    removed: tuple[Span, ...]
    added: tuple[Span, ...]
    relabelled: tuple[tuple[Span, Span], ...]  # (before, after)

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.added or self.relabelled)

    def summary(self) -> str:
        parts = [
            f"{len(self.removed)} removed" if self.removed else "",
            f"{len(self.added)} added" if self.added else "",
            f"{len(self.relabelled)} relabelled" if self.relabelled else "",
        ]
        return ", ".join(p for p in parts if p) or "no change"


def diff(before: Sequence[Span], after: Sequence[Span]) -> Diff:
    """The change from `before` to `after`; a span whose offsets stay and label changes is relabelled."""
    old, new = set(before), set(after)
    gone, came = old - new, new - old
    came_at = {(i.start, i.end): i for i in came}
    relabelled = []
    for item in sorted(gone):
        other = came_at.get((item.start, item.end))
        if other is not None:
            relabelled.append((item, other))
    moved_old = {a for a, _ in relabelled}
    moved_new = {b for _, b in relabelled}
    return Diff(tuple(sorted(gone - moved_old)), tuple(sorted(came - moved_new)), tuple(relabelled))
