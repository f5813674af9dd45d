"""Score an extractor against gold: every number of `manage.py evaluate --json`.

Pure Python over (doc_id, label, start, end) spans with character offsets,
end exclusive; no Django, no spaCy. One matching per document
(matching.py) feeds every scheme:

- strict: same label and extent. P = TP / predicted, R = TP / gold, with
  TP/FP/FN (and the SemEval counts below, which agree with them).
- the SemEval-2013 schemes of nervaluate, with COR(rect), INC(orrect),
  PAR(tial), MIS(sed) and SPU(rious) counts; POS = COR + INC + PAR + MIS
  (the gold spans), ACT = COR + INC + PAR + SPU (the predictions):
    - exact: same extent, any label; an overlap is INC;
    - partial: same extent is COR, an overlap is PAR, labels ignored;
    - type: an overlap with the same label is COR, with another label INC;
  strict and exact: P = COR / ACT, R = COR / POS; partial and type:
  P = (COR + PAR / 2) / ACT, R = (COR + PAR / 2) / POS.
- unlabelled: same extent, any label, with TP/FP/FN.

`strict`, `unlabelled` and `overlap` give those figures alone (agreement's
span F1, the extractor bench): the first two from the same tally, overlap
(same label, a character in common) from the largest one-to-one pairing
(matching.maximum_matching).

Micro figures come from the matching of all spans. Per label, as in
nervaluate 1.2, the spans of that label alone are matched (so a label error
is, for each of the two labels, a miss or a spurious span, or an overlap
pair of that label); for unlabelled, a boundary match counts for the gold
span's label and an unmatched prediction for its own. Macro is the mean of
the per-label P, R and F1 over the label set (the project's labels plus any
other label seen); its counts are the totals of the per-label counts.
0/0 counts as 0.

Beside the scores: a confusion table (gold label x predicted label of the
paired spans, plus missed and spurious) with boundary errors (same label,
another extent) counted apart, and the count of each kind of outcome.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import matching
from .matching import BOUNDARY, CORRECT, KINDS, LABEL, LABEL_BOUNDARY, MISSED, SPURIOUS, Outcome

SCHEMES = ("strict", "exact", "partial", "type", "unlabelled")


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return _ratio(2 * p * r, p + r)


def semeval_entry(cor: int, inc: int, par: int, mis: int, spu: int, half_partial: bool) -> dict[str, Any]:
    """P/R/F1 of SemEval counts; `half_partial` for the partial and type schemes."""
    pos, act = cor + inc + par + mis, cor + inc + par + spu
    hit = cor + 0.5 * par if half_partial else cor
    p, r = _ratio(hit, act), _ratio(hit, pos)
    return {"precision": p, "recall": r, "f1": _f1(p, r), "cor": cor, "inc": inc, "par": par, "mis": mis, "spu": spu}


def counts_entry(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {"precision": p, "recall": r, "f1": _f1(p, r), "tp": tp, "fp": fp, "fn": fn}


def _strict_entry(cor: int, inc: int, mis: int, spu: int) -> dict[str, Any]:
    entry = semeval_entry(cor, inc, 0, mis, spu, False)
    entry.update(tp=cor, fp=inc + spu, fn=inc + mis)
    return entry


def _macro(per_label: dict[str, dict[str, Any]]) -> dict[str, Any]:
    n = len(per_label)
    macro: dict[str, Any] = {
        key: _ratio(sum(entry[key] for entry in per_label.values()), n) for key in ("precision", "recall", "f1")
    }
    if per_label:
        first = next(iter(per_label.values()))
        for key in first:
            if key not in macro:
                macro[key] = sum(entry[key] for entry in per_label.values())
    return macro


def group_by_document(spans: Iterable[Any]) -> dict[Hashable, set[matching.Triple]]:
    """{doc_id: {(label, start, end)}} from Span tuples, 4-tuples or dicts (doc_id, label, start, end)."""
    by_doc: dict[Hashable, set[matching.Triple]] = defaultdict(set)
    for item in spans:
        if isinstance(item, Mapping):
            doc_id, label, start, end = item["doc_id"], item["label"], item["start"], item["end"]
        else:
            doc_id, label, start, end = item
        by_doc[doc_id].add((label, start, end))
    return by_doc


@dataclass
class Tally:
    """The counts one evaluation adds up over documents."""

    documents: int = 0
    gold: Counter = field(default_factory=Counter)  # spans per label
    pred: Counter = field(default_factory=Counter)
    correct: Counter = field(default_factory=Counter)  # label -> n
    boundary: Counter = field(default_factory=Counter)  # label -> n
    crossed: Counter = field(default_factory=Counter)  # (gold label, predicted label) -> n, labels differ
    crossed_same_extent: Counter = field(default_factory=Counter)
    missed: Counter = field(default_factory=Counter)
    spurious: Counter = field(default_factory=Counter)
    same_label_pairs: Counter = field(default_factory=Counter)  # per-label matching: overlap pairs
    bounds_tp: Counter = field(default_factory=Counter)  # unlabelled, by gold label
    bounds_fn: Counter = field(default_factory=Counter)
    bounds_fp: Counter = field(default_factory=Counter)  # by predicted label

    def add(self, gold: set[matching.Triple], pred: set[matching.Triple]) -> matching.DocumentMatch:
        """Count one document; return its matching."""
        self.documents += 1
        self.gold.update(s[0] for s in gold)
        self.pred.update(s[0] for s in pred)
        result = matching.match(gold, pred)
        self.correct.update(s[0] for s in result.exact)
        if result.pairs or result.missed or result.spurious:
            for g, p in result.pairs:
                if g[0] == p[0]:
                    self.boundary[g[0]] += 1
                else:
                    self.crossed[g[0], p[0]] += 1
                    if g[1] == p[1] and g[2] == p[2]:
                        self.crossed_same_extent[g[0], p[0]] += 1
            self.missed.update(s[0] for s in result.missed)
            self.spurious.update(s[0] for s in result.spurious)
            self.same_label_pairs.update(g[0] for g, _ in result.same_label_pairs)
        self._bounds(gold, pred)
        return result

    def _bounds(self, gold, pred):
        gold_bounds: dict[tuple[int, int], str] = {}
        for label, start, end in sorted(gold):
            gold_bounds.setdefault((start, end), label)
        pred_bounds: dict[tuple[int, int], str] = {}
        for label, start, end in sorted(pred):
            pred_bounds.setdefault((start, end), label)
        for bounds, label in gold_bounds.items():
            (self.bounds_tp if bounds in pred_bounds else self.bounds_fn)[label] += 1
        for bounds, label in pred_bounds.items():
            if bounds not in gold_bounds:
                self.bounds_fp[label] += 1

    # ------------------------------------------------------------------ figures

    def labels(self, labels: Iterable[str] = ()) -> list[str]:
        """The given labels in their order, then any other label seen, sorted."""
        ordered = list(dict.fromkeys(labels))
        seen = set(self.gold) | set(self.pred)
        return ordered + sorted(seen - set(ordered))

    def kinds(self, label: str | None = None) -> dict[str, int]:
        """How many outcomes of each kind (for one label: of gold spans of that label, or spurious ones)."""

        def total(counter, pick=lambda key: True):
            return sum(n for key, n in counter.items() if pick(key))

        if label is None:
            gold_is = pick_pair = lambda key: True
        else:
            gold_is = lambda key: key == label  # noqa: E731
            pick_pair = lambda key: key[0] == label  # noqa: E731
        label_only = total(self.crossed_same_extent, pick_pair)
        return {
            CORRECT: total(self.correct, gold_is),
            LABEL: label_only,
            BOUNDARY: total(self.boundary, gold_is),
            LABEL_BOUNDARY: total(self.crossed, pick_pair) - label_only,
            MISSED: total(self.missed, gold_is),
            SPURIOUS: total(self.spurious, gold_is),
        }

    def schemes(self, labels: Iterable[str] = ()) -> dict[str, Any]:
        k = self.kinds()
        micro = {
            "strict": _strict_entry(k[CORRECT], k[LABEL] + k[BOUNDARY] + k[LABEL_BOUNDARY], k[MISSED], k[SPURIOUS]),
            "exact": semeval_entry(
                k[CORRECT] + k[LABEL], k[BOUNDARY] + k[LABEL_BOUNDARY], 0, k[MISSED], k[SPURIOUS], False
            ),
            "partial": semeval_entry(
                k[CORRECT] + k[LABEL], 0, k[BOUNDARY] + k[LABEL_BOUNDARY], k[MISSED], k[SPURIOUS], True
            ),
            "type": semeval_entry(
                k[CORRECT] + k[BOUNDARY], k[LABEL] + k[LABEL_BOUNDARY], 0, k[MISSED], k[SPURIOUS], True
            ),
            "unlabelled": counts_entry(
                sum(self.bounds_tp.values()), sum(self.bounds_fp.values()), sum(self.bounds_fn.values())
            ),
        }
        per_label: dict[str, dict[str, Any]] = {scheme: {} for scheme in SCHEMES}
        for label in self.labels(labels):
            cor, pairs = self.correct[label], self.same_label_pairs[label]
            mis, spu = self.gold[label] - cor - pairs, self.pred[label] - cor - pairs
            per_label["strict"][label] = _strict_entry(cor, pairs, mis, spu)
            per_label["exact"][label] = semeval_entry(cor, pairs, 0, mis, spu, False)
            per_label["partial"][label] = semeval_entry(cor, 0, pairs, mis, spu, True)
            per_label["type"][label] = semeval_entry(cor + pairs, 0, 0, mis, spu, True)
            per_label["unlabelled"][label] = counts_entry(
                self.bounds_tp[label], self.bounds_fp[label], self.bounds_fn[label]
            )
        return {
            scheme: {"micro": micro[scheme], "macro": _macro(per_label[scheme]), "per_label": per_label[scheme]}
            for scheme in SCHEMES
        }

    def confusion(self, labels: Iterable[str] = ()) -> dict[str, Any]:
        """Gold label (rows) x predicted label (columns) of paired spans; the last row and column are "no span".

        The diagonal counts identical spans only; pairs of one label with
        another extent are in `boundary`. So a row adds up to the gold spans of
        its label, and a column to the predictions of its label.
        """
        names = self.labels(labels)
        index = {name: i for i, name in enumerate(names)}
        n = len(names)
        matrix = [[0] * (n + 1) for _ in range(n + 1)]
        for label, count in self.correct.items():
            matrix[index[label]][index[label]] += count
        for (gold, pred), count in self.crossed.items():
            matrix[index[gold]][index[pred]] += count
        for label, count in self.missed.items():
            matrix[index[label]][n] += count
        for label, count in self.spurious.items():
            matrix[n][index[label]] += count
        return {"labels": names, "matrix": matrix, "boundary": [self.boundary[name] for name in names]}


@dataclass
class Evaluation:
    """The result of `evaluate`: the JSON object, plus each document's outcomes when asked for."""

    tally: Tally
    labels: list[str]
    outcomes: dict[Hashable, list[Outcome]] | None = None

    @property
    def documents(self) -> int:
        return self.tally.documents

    def as_dict(self) -> dict[str, Any]:
        """{"documents", "schemes", "labels", "confusion", "kinds", "spans"}: the `evaluate --json` object."""
        return {
            "documents": self.tally.documents,
            "schemes": self.tally.schemes(self.labels),
            "labels": self.tally.labels(self.labels),
            "confusion": self.tally.confusion(self.labels),
            "kinds": self.tally.kinds(),
            "kinds_per_label": {label: self.tally.kinds(label) for label in self.tally.labels(self.labels)},
            "spans": {"gold": sum(self.tally.gold.values()), "predicted": sum(self.tally.pred.values())},
        }


def evaluate(
    gold: Iterable[Any],
    pred: Iterable[Any],
    *,
    labels: Iterable[str] = (),
    documents: Iterable[Hashable] | None = None,
    keep_outcomes: bool = False,
) -> Evaluation:
    """Score predicted spans against gold spans (doc_id, label, start, end).

    `documents` are the documents that have gold (some may have no gold
    span); predictions on other documents are left out, and a document
    without predictions counts as all missed. Without it, every document
    seen on either side is scored. `labels` is the project's label set
    (macro averages over it and any other label seen). With
    `keep_outcomes`, each document's outcomes (for the error browser) are
    kept in `.outcomes`.
    """
    gold_by_doc = group_by_document(gold)
    pred_by_doc = group_by_document(pred)
    if documents is None:
        scored = list(dict.fromkeys([*gold_by_doc, *pred_by_doc]))
    else:
        scored = list(dict.fromkeys(documents))
    tally = Tally()
    kept: dict[Hashable, list[Outcome]] | None = {} if keep_outcomes else None
    empty: set = set()
    for doc_id in scored:
        result = tally.add(gold_by_doc.get(doc_id, empty), pred_by_doc.get(doc_id, empty))
        if kept is not None:
            kept[doc_id] = matching.outcomes(result)
    return Evaluation(tally, list(dict.fromkeys(labels)), kept)


def evaluate_records(gold_records: Iterable[Any], pred_records: Iterable[Any], **options) -> Evaluation:
    """Score canonical JSONL records (objects with id and spans, or dicts): gold records name the documents."""
    gold_records, pred_records = list(gold_records), list(pred_records)
    return evaluate(
        _record_spans(gold_records),
        _record_spans(pred_records),
        documents=[_get(r, "id") for r in gold_records],
        **options,
    )


def strict(gold: Iterable[Any], pred: Iterable[Any]) -> dict[str, Any]:
    """{"micro", "macro", "per_label"} of exact boundaries and label, each entry with tp/fp/fn (over every label seen)."""
    return evaluate(gold, pred).tally.schemes()["strict"]


def unlabelled(gold: Iterable[Any], pred: Iterable[Any]) -> dict[str, Any]:
    """Micro P/R/F1 and tp/fp/fn of boundaries alone: same document, start and end, any label."""
    return evaluate(gold, pred).tally.schemes()["unlabelled"]["micro"]


def overlap(gold: Iterable[Any], pred: Iterable[Any]) -> dict[str, Any]:
    """{"micro", "macro", "per_label"} of same label and a character in common, paired one to one at most."""
    gold_by_doc, pred_by_doc = group_by_document(gold), group_by_document(pred)
    tp, gold_n, pred_n = Counter(), Counter(), Counter()
    empty: set = set()
    for doc_id in gold_by_doc.keys() | pred_by_doc.keys():
        doc_gold, doc_pred = gold_by_doc.get(doc_id, empty), pred_by_doc.get(doc_id, empty)
        gold_n.update(s[0] for s in doc_gold)
        pred_n.update(s[0] for s in doc_pred)
        for label in {s[0] for s in doc_gold} & {s[0] for s in doc_pred}:
            tp[label] += matching.maximum_matching(
                [s for s in doc_gold if s[0] == label], [s for s in doc_pred if s[0] == label]
            )
    per_label = {
        label: counts_entry(tp[label], pred_n[label] - tp[label], gold_n[label] - tp[label])
        for label in sorted(set(gold_n) | set(pred_n))
    }
    total_tp = sum(tp.values())
    micro = counts_entry(total_tp, sum(pred_n.values()) - total_tp, sum(gold_n.values()) - total_tp)
    return {"micro": micro, "macro": _macro(per_label), "per_label": per_label}


SPAN_SCHEMES = {"strict": strict, "overlap": overlap}


def span_scores(gold: Iterable[Any], pred: Iterable[Any], scheme: str = "strict") -> dict[str, Any]:
    """`strict` or `overlap` by name; another name is a ValueError."""
    if scheme not in SPAN_SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r} (strict or overlap)")
    return SPAN_SCHEMES[scheme](gold, pred)


def record_spans(records: Iterable[Any]) -> list[tuple]:
    """(doc_id, label, start, end) of each span of canonical JSONL records (dicts or objects with id and spans)."""
    return list(_record_spans(records))


def _get(obj, key):
    return obj[key] if isinstance(obj, Mapping) else getattr(obj, key)


def _record_spans(records):
    for record in records:
        doc_id = _get(record, "id")
        for span in _get(record, "spans") or ():
            yield doc_id, _get(span, "label"), _get(span, "start"), _get(span, "end")


__all__ = [
    "KINDS",
    "SCHEMES",
    "Evaluation",
    "Tally",
    "evaluate",
    "evaluate_records",
    "overlap",
    "record_spans",
    "span_scores",
    "strict",
    "unlabelled",
]
