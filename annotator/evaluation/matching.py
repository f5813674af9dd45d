"""Pair the predicted spans of a document with its gold spans, one to one, and name each outcome.

Pure Python over (label, start, end) tuples with character offsets, end
exclusive; no Django, no spaCy.

The matching is the same for every scheme, so the numbers and the error
browser tell one story, and it never depends on the order of the input:

1. a prediction identical to a gold span (label, start and end) is paired
   with it;
2. the other gold and predicted spans that share at least one character are
   candidate pairs, taken greedily in this order: the largest overlap (in
   characters) first; among equal overlaps, a pair with the same extent
   first, then a pair with the same label, then by position (gold start,
   gold end, predicted start, predicted end) and last by label names. A
   pair is taken when neither of its spans is paired yet;
3. spans left unpaired are missed (gold) or spurious (predicted).

Step 1 is step 2's first choice anyway (an identical pair has the largest
overlap either span can have, and wins its ties), so doing it first with a
set intersection only makes the common case fast.

nervaluate (1.2) matches greedily in the order of the predictions instead,
and each of its schemes on its own; on documents where no span overlaps two
others the two agree.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import NamedTuple

# The outcomes of a span, from a prediction's point of view.
CORRECT = "correct"  # same label and extent
LABEL = "label"  # same extent, another label
BOUNDARY = "boundary"  # same label, another extent (they overlap)
LABEL_BOUNDARY = "label_boundary"  # another label and another extent (they overlap)
MISSED = "missed"  # a gold span no prediction pairs with (false negative)
SPURIOUS = "spurious"  # a prediction no gold span pairs with (false positive)

KINDS = (CORRECT, LABEL, BOUNDARY, LABEL_BOUNDARY, MISSED, SPURIOUS)

Triple = tuple[str, int, int]  # (label, start, end)


class Outcome(NamedTuple):
    """What became of a gold span, a prediction, or a pair of them."""

    kind: str
    gold: Triple | None
    pred: Triple | None

    @property
    def start(self) -> int:
        return min(s[1] for s in (self.gold, self.pred) if s is not None)

    @property
    def end(self) -> int:
        return max(s[2] for s in (self.gold, self.pred) if s is not None)

    @property
    def labels(self) -> set[str]:
        return {s[0] for s in (self.gold, self.pred) if s is not None}


class DocumentMatch(NamedTuple):
    """The matching of one document."""

    exact: list[Triple]  # spans found identical on both sides
    pairs: list[tuple[Triple, Triple]]  # other (gold, predicted) pairs that overlap
    # The overlap pairs of a matching of one label at a time (nervaluate's per-label view).
    same_label_pairs: list[tuple[Triple, Triple]]
    missed: list[Triple]
    spurious: list[Triple]


def _sort_key(pair):
    (gl, gs, ge), (pl, ps, pe) = pair
    overlap = min(ge, pe) - max(gs, ps)
    return (-overlap, gs != ps or ge != pe, gl != pl, gs, ge, ps, pe, gl, pl)


def candidates(gold: list[Triple], pred: list[Triple]) -> list[tuple[Triple, Triple]]:
    """Return every (gold, predicted) pair that shares a character, in the order the matching takes them.

    A sweep over the predictions sorted by start, with the running maximum of
    their ends: linear in the spans plus the pairs for spans that do not nest.
    """
    if not gold or not pred:
        return []
    pred = sorted(pred, key=lambda s: (s[1], s[2], s[0]))
    starts = [s[1] for s in pred]
    reach = []
    furthest = -1
    for s in pred:
        furthest = max(furthest, s[2])
        reach.append(furthest)
    pairs = []
    for g in gold:
        gs = g[1]
        j = bisect_left(starts, g[2]) - 1  # predictions [0, j] start before the gold span ends
        while j >= 0 and reach[j] > gs:
            if pred[j][2] > gs:
                pairs.append((g, pred[j]))
            j -= 1
    pairs.sort(key=_sort_key)
    return pairs


def _greedy(pairs) -> list[tuple[Triple, Triple]]:
    taken_gold, taken_pred, chosen = set(), set(), []
    for g, p in pairs:
        if g not in taken_gold and p not in taken_pred:
            taken_gold.add(g)
            taken_pred.add(p)
            chosen.append((g, p))
    return chosen


def match(gold: Iterable[Triple], pred: Iterable[Triple]) -> DocumentMatch:
    """Match one document's predictions to its gold spans (duplicates count once)."""
    gold_set, pred_set = set(gold), set(pred)
    exact = gold_set & pred_set
    if len(exact) == len(gold_set) == len(pred_set):
        return DocumentMatch(sorted(exact, key=_position), [], [], [], [])
    rest_gold = sorted(gold_set - exact, key=_position)
    rest_pred = sorted(pred_set - exact, key=_position)
    ordered = candidates(rest_gold, rest_pred)
    pairs = _greedy(ordered)
    same_label = _greedy(pair for pair in ordered if pair[0][0] == pair[1][0])
    paired_gold = {g for g, _ in pairs}
    paired_pred = {p for _, p in pairs}
    return DocumentMatch(
        exact=sorted(exact, key=_position),
        pairs=sorted(pairs, key=lambda pair: _position(pair[0])),
        same_label_pairs=same_label,
        missed=[g for g in rest_gold if g not in paired_gold],
        spurious=[p for p in rest_pred if p not in paired_pred],
    )


def _position(span: Triple):
    return (span[1], span[2], span[0])


def kind_of(gold: Triple, pred: Triple) -> str:
    """Name the outcome of a (gold, predicted) pair that overlaps."""
    same_label = gold[0] == pred[0]
    if gold[1] == pred[1] and gold[2] == pred[2]:
        return CORRECT if same_label else LABEL
    return BOUNDARY if same_label else LABEL_BOUNDARY


def outcomes(result: DocumentMatch) -> list[Outcome]:
    """Every span of the document as an outcome, in text order."""
    found = [Outcome(CORRECT, s, s) for s in result.exact]
    found += [Outcome(kind_of(g, p), g, p) for g, p in result.pairs]
    found += [Outcome(MISSED, g, None) for g in result.missed]
    found += [Outcome(SPURIOUS, None, p) for p in result.spurious]
    found.sort(key=lambda o: (o.start, o.end, KINDS.index(o.kind)))
    return found


def maximum_matching(gold: Iterable[Triple], pred: Iterable[Triple]) -> int:
    """The size of a largest one-to-one pairing of same-label spans that share a character (augmenting paths).

    The "overlap" figure (agreement's f1_overlap, the extractor bench): unlike
    `match`, whose greedy order names each outcome, this finds the most pairs
    there can be, so a long span overlapping two short ones never costs a pair.
    """
    gold, pred = sorted(set(gold), key=_position), sorted(set(pred), key=_position)
    edges = [[j for j, p in enumerate(pred) if p[0] == g[0] and p[1] < g[2] and g[1] < p[2]] for g in gold]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(gold)))
