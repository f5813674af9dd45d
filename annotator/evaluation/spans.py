"""Score predicted spans against gold spans: precision, recall and F1.

Pure Python over (doc_id, label, start, end) tuples; no Django, no spaCy.

Three ways of matching a predicted span to a gold span:

- strict: same document, label, start and end;
- overlap: same document and label, and at least one character in common;
  each gold span matches at most one predicted span and the other way round
  (a maximum matching, so one long prediction cannot count twice);
- unlabelled: same document, start and end, whatever the labels.

Every result has tp/fp/fn and precision/recall/f1 per label, micro (over
all spans) and macro (the mean of the per-label figures). 0/0 counts as 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple


class Span(NamedTuple):
    """A labelled character range of a document, end exclusive."""

    doc_id: str
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives, with the ratios they give."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return _ratio(2 * p * r, p + r)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def as_spans(items: Iterable[Any]) -> list[Span]:
    """Accept Span tuples, plain 4-tuples (doc_id, label, start, end) or dicts with those keys."""
    spans = []
    for item in items:
        if isinstance(item, Mapping):
            spans.append(Span(str(item["doc_id"]), item["label"], int(item["start"]), int(item["end"])))
        else:
            doc_id, label, start, end = item
            spans.append(Span(str(doc_id), label, int(start), int(end)))
    return spans


def spans_from_records(records: Iterable[Mapping[str, Any]]) -> list[Span]:
    """Return the spans of canonical JSONL records ({"id", "text", "spans": [...]})."""
    return [
        Span(str(record["id"]), span["label"], int(span["start"]), int(span["end"]))
        for record in records
        for span in record.get("spans", [])
    ]


# -- matching ---------------------------------------------------------------


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _max_matching(gold: list[Span], pred: list[Span]) -> int:
    """Return the size of a maximum one-to-one matching of overlapping spans (augmenting paths)."""
    edges = [[j for j, p in enumerate(pred) if _overlaps(g, p)] for g in gold]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    return sum(augment(i, set()) for i in range(len(gold)))


def _group(spans: Iterable[Span], key: Callable[[Span], Any]) -> dict[Any, list[Span]]:
    groups: dict[Any, list[Span]] = defaultdict(list)
    for span in spans:
        groups[key(span)].append(span)
    return groups


def _per_label_counts(gold: list[Span], pred: list[Span], scheme: str) -> dict[str, Counts]:
    """Return Counts per gold/predicted label under `scheme` ("strict" or "overlap")."""
    labels = sorted({s.label for s in gold} | {s.label for s in pred})
    counts = {}
    for label in labels:
        g = [s for s in gold if s.label == label]
        p = [s for s in pred if s.label == label]
        if scheme == "strict":
            tp = len(set(g) & set(p))
        elif scheme == "overlap":
            gold_docs = _group(g, lambda s: s.doc_id)
            pred_docs = _group(p, lambda s: s.doc_id)
            tp = sum(_max_matching(gold_docs[d], pred_docs.get(d, [])) for d in gold_docs)
        else:
            raise ValueError(f"unknown scheme {scheme!r}")
        counts[label] = Counts(tp, len(p) - tp, len(g) - tp)
    return counts


# -- scores -----------------------------------------------------------------


def _summary(per_label: dict[str, Counts]) -> dict[str, Any]:
    micro = sum(per_label.values(), Counts())
    n = len(per_label)
    macro = {
        "precision": _ratio(sum(c.precision for c in per_label.values()), n),
        "recall": _ratio(sum(c.recall for c in per_label.values()), n),
        "f1": _ratio(sum(c.f1 for c in per_label.values()), n),
    }
    return {
        "micro": micro.as_dict(),
        "macro": macro,
        "per_label": {label: c.as_dict() for label, c in per_label.items()},
    }


def score(gold: Iterable[Any], pred: Iterable[Any], scheme: str = "strict") -> dict[str, Any]:
    """Return {"micro", "macro", "per_label"} scores of `pred` against `gold`.

    `scheme` is "strict" (exact boundaries and label) or "overlap" (same
    label, any character in common, one-to-one). Labels seen in either side
    are scored; macro averages over them.
    """
    gold_spans, pred_spans = set(as_spans(gold)), set(as_spans(pred))
    return _summary(_per_label_counts(sorted(gold_spans), sorted(pred_spans), scheme))


def unlabelled(gold: Iterable[Any], pred: Iterable[Any]) -> dict[str, float | int]:
    """Return micro scores of boundaries alone: same document, start and end, any label."""
    g = {(s.doc_id, s.start, s.end) for s in as_spans(gold)}
    p = {(s.doc_id, s.start, s.end) for s in as_spans(pred)}
    tp = len(g & p)
    return Counts(tp, len(p) - tp, len(g) - tp).as_dict()


def strict(gold: Iterable[Any], pred: Iterable[Any]) -> dict[str, Any]:
    """Scores with exact boundaries and label."""
    return score(gold, pred, "strict")


def overlap(gold: Iterable[Any], pred: Iterable[Any]) -> dict[str, Any]:
    """Scores with same label and any character overlap, matched one-to-one."""
    return score(gold, pred, "overlap")
