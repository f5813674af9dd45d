"""Inter-annotator agreement: what `manage.py agreement --json` prints.

Pure: no Django. A document that comes without token offsets is cut by
formats.tokens.token_offsets (spaCy's blank English tokenizer).

The input is each annotator's spans on the documents they annotated,
`{annotator: {doc_id: [(label, start, end), ...]}}` (a document present with
no spans was annotated and found empty), and each document's token offsets
or its text. Two annotators share a document when both annotated it; every
pairwise figure is over their shared documents.

- Span F1 per pair, reading one annotator as the reference (F1 is
  symmetric): strict (same label and extent), unlabelled (same extent) and
  overlap (same label, a character in common, one to one), from schemes.py.
- Token-level Cohen's kappa per pair: each token gets the label of the span
  that covers it (any character of it), or O; kappa = (p_o - p_e) / (1 - p_e)
  over the tokens of the shared documents. With `tags="bio"` the tokens get
  B-/I- tags instead.
- Fleiss' kappa (with three or more annotators) over the tokens of the
  documents annotated by two or more; a token rated by fewer annotators than
  another still counts (the usual generalisation of Fleiss' p_i to n_i
  raters).
- Krippendorff's alpha, nominal, over the same tokens (the `krippendorff`
  package; tokens rated once do not count, as alpha defines).
- Per label: the same figures with a token either that label or not, and
  span F1 on that label's spans; `documents` counts the shared documents
  where either annotator used the label.

A figure that is 0/0 (no spans on either side; one single category on
every token, so chance agreement is 1) is None: there is nothing to agree
or disagree on. Averages over pairs ("overall") skip None and weigh each
pair alike; overall `documents` counts the documents shared by two or more
annotators.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from itertools import combinations
from typing import Any

from ..formats.tokens import token_offsets
from ..lazy import lazy_module
from . import schemes

# Loaded when an alpha is first computed: numpy and krippendorff cost a web process that never does.
krippendorff = lazy_module("krippendorff")
np = lazy_module("numpy")

OUTSIDE = "O"
F1_KEYS = ("f1_strict", "f1_unlabelled", "f1_overlap")
PAIR_KEYS = ("documents", *F1_KEYS, "cohen_kappa")

Triple = tuple[str, int, int]


# ---------------------------------------------------------------- tokens


def token_tags(tokens: list[tuple[int, int]], spans: Iterable[Triple], tags: str = "label") -> list[str]:
    """The tag of each token: the label of the span covering any character of it, or O.

    `tags` is "label" (ACTOR) or "bio" (B-ACTOR, I-ACTOR). Where spans
    overlap (they should not), the earlier span keeps the token.
    """
    result = [OUTSIDE] * len(tokens)
    if not tokens:
        return result
    starts = [t[0] for t in tokens]
    ends = [t[1] for t in tokens]
    for label, start, end in sorted(spans, key=lambda s: (s[1], s[2], s[0])):
        first = bisect_right(ends, start)  # the first token ending after the span starts
        last = bisect_left(starts, end)  # tokens before it start before the span ends
        begin = True
        for i in range(first, last):
            if result[i] != OUTSIDE:
                begin = True
                continue
            result[i] = f"{'B' if begin else 'I'}-{label}" if tags == "bio" else label
            begin = False
    return result


# ---------------------------------------------------------------- coefficients


def _none_if_undefined(num: float, den: float) -> float | None:
    return num / den if den else None


def cohen_kappa(a: list[Hashable], b: list[Hashable]) -> float | None:
    """Cohen's kappa of two raters' categories over the same items; None when chance agreement is 1."""
    n = len(a)
    if n == 0 or n != len(b):
        if n != len(b):
            raise ValueError("both raters must rate the same items")
        return None
    observed = sum(x == y for x, y in zip(a, b)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    return _none_if_undefined(observed - expected, 1 - expected)


def fleiss_kappa(items: Iterable[Counter]) -> float | None:
    """Fleiss' kappa from each item's category counts; items with fewer than two ratings are left out.

    p_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)); P = mean p_i; p_j is the
    share of all ratings in category j; P_e = sum p_j^2. With n_i the same for
    every item this is Fleiss (1971).
    """
    return _fleiss([(counts, 1) for counts in items])


def _fleiss(weighted: list[tuple[Counter, int]]) -> float | None:
    """Fleiss' kappa of (category counts, how many items have them)."""
    agreement_sum, items, totals, rated = 0.0, 0, Counter(), 0
    for counts, weight in weighted:
        n = sum(counts.values())
        if n < 2:
            continue
        agreement_sum += weight * (sum(c * c for c in counts.values()) - n) / (n * (n - 1))
        items += weight
        for category, c in counts.items():
            totals[category] += c * weight
        rated += n * weight
    if not items:
        return None
    observed = agreement_sum / items
    expected = sum((c / rated) ** 2 for c in totals.values())
    return _none_if_undefined(observed - expected, 1 - expected)


def krippendorff_alpha(items: Iterable[Counter]) -> float | None:
    """Krippendorff's alpha, nominal, from each item's category counts (the `krippendorff` package)."""
    return _krippendorff([(counts, 1) for counts in items])


def _krippendorff(weighted: list[tuple[Counter, int]]) -> float | None:
    """Alpha of (category counts, how many items have them): each pattern's row repeated by its weight."""
    rows = [(counts, weight) for counts, weight in weighted if sum(counts.values()) >= 2]
    categories = sorted({c for counts, _ in rows for c in counts}, key=str)
    if len(categories) < 2:
        return None  # one category everywhere: alpha is 0/0
    index = {c: i for i, c in enumerate(categories)}
    patterns = np.zeros((len(rows), len(categories)))
    for r, (counts, _) in enumerate(rows):
        for category, n in counts.items():
            patterns[r, index[category]] = n
    value_counts = np.repeat(patterns, [weight for _, weight in rows], axis=0)
    return float(krippendorff.alpha(value_counts=value_counts, level_of_measurement="nominal"))


# ---------------------------------------------------------------- agreement


def _triples(spans: Iterable[Any]) -> set[Triple]:
    found = set()
    for span in spans:
        if isinstance(span, Mapping):
            found.add((span["label"], int(span["start"]), int(span["end"])))
        elif isinstance(span, tuple) and len(span) == 3:
            found.add((span[0], int(span[1]), int(span[2])))
        else:
            found.add((span.label, int(span.start), int(span.end)))
    return found


def _f1(tp: int, fp: int, fn: int) -> float | None:
    if tp + fp + fn == 0:
        return None
    return 2 * tp / (2 * tp + fp + fn)


def _span_f1s(a_spans: list, b_spans: list) -> dict[str, float | None]:
    strict = schemes.strict(a_spans, b_spans)["micro"]
    overlap = schemes.overlap(a_spans, b_spans)["micro"]
    unlabelled = schemes.unlabelled(a_spans, b_spans)
    return {
        "f1_strict": _f1(strict["tp"], strict["fp"], strict["fn"]),
        "f1_unlabelled": _f1(unlabelled["tp"], unlabelled["fp"], unlabelled["fn"]),
        "f1_overlap": _f1(overlap["tp"], overlap["fp"], overlap["fn"]),
    }


def _strict_f1(a: set[Triple], b: set[Triple]) -> float | None:
    tp = len(a & b)
    return _f1(tp, len(b) - tp, len(a) - tp)


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _binary(tags: list[str], label: str) -> list[bool]:
    return [t == label or t.endswith(f"-{label}") for t in tags]


def _is_label(counts: Counter, label: str) -> Counter:
    """A token's tag counts folded to: that label (True) or not (False)."""
    hits = sum(n for tag, n in counts.items() if tag == label or tag.endswith(f"-{label}"))
    folded = Counter({True: hits, False: sum(counts.values()) - hits})
    return +folded  # drop zero counts


class _Raters:
    """Who annotated what, and each annotator's token tags per document (computed once, on first use)."""

    def __init__(self, annotations, tokens, texts, labels, tags):
        self.tags = tags
        self.tokens = dict(tokens or {})
        self.texts = texts or {}
        self.annotators = sorted(annotations, key=str)
        self.spans_of = {
            name: {doc: _triples(spans) for doc, spans in annotations[name].items()} for name in self.annotators
        }
        used = {label for by_doc in self.spans_of.values() for spans in by_doc.values() for label, _, _ in spans}
        self.labels = list(dict.fromkeys(labels)) + sorted(used - set(labels))
        self.raters_of: dict[Hashable, list[str]] = {}
        for name in self.annotators:
            for doc in self.spans_of[name]:
                self.raters_of.setdefault(doc, []).append(name)
        self.shared_docs = [doc for doc, raters in self.raters_of.items() if len(raters) >= 2]
        self._tags: dict[tuple[str, Hashable], list[str]] = {}

    def doc_tokens(self, doc) -> list[tuple[int, int]]:
        if doc not in self.tokens:
            if doc not in self.texts:
                raise ValueError(f"document {doc!r} has neither token offsets nor text")
            self.tokens[doc] = token_offsets(self.texts[doc])
        return self.tokens[doc]

    def tags_of(self, name: str, doc) -> list[str]:
        key = (name, doc)
        if key not in self._tags:
            self._tags[key] = token_tags(self.doc_tokens(doc), self.spans_of[name][doc], self.tags)
        return self._tags[key]

    def flat(self, name: str, docs: list) -> list[str]:
        return [t for doc in docs for t in self.tags_of(name, doc)]


def _pair(raters: _Raters, a: str, b: str) -> dict[str, Any]:
    """Span F1s and Cohen's kappa of two annotators over their shared documents, overall and per label."""
    docs = [doc for doc in raters.spans_of[a] if doc in raters.spans_of[b]]
    a_spans = [(doc, *s) for doc in docs for s in raters.spans_of[a][doc]]
    b_spans = [(doc, *s) for doc in docs for s in raters.spans_of[b][doc]]
    a_tags, b_tags = raters.flat(a, docs), raters.flat(b, docs)
    pair: dict[str, Any] = {"a": a, "b": b, "documents": len(docs), **_span_f1s(a_spans, b_spans)}
    pair["cohen_kappa"] = cohen_kappa(a_tags, b_tags)
    per_label = {}
    for label in raters.labels:
        a_l = [s for s in a_spans if s[1] == label]
        b_l = [s for s in b_spans if s[1] == label]
        label_docs = {s[0] for s in a_l} | {s[0] for s in b_l}
        per_label[label] = {
            "documents": len(label_docs),
            **_span_f1s(a_l, b_l),
            "cohen_kappa": cohen_kappa(_binary(a_tags, label), _binary(b_tags, label)) if label_docs else None,
        }
    pair["per_label"] = per_label
    return pair


def _overall_of(entries: list[dict], documents: int) -> dict[str, Any]:
    measured = [e for e in entries if e["documents"]]
    result: dict[str, Any] = {"documents": documents}
    for key in PAIR_KEYS[1:]:
        result[key] = _mean(e[key] for e in measured)
    return result


def _overall(raters: _Raters, pairs: list[dict]) -> dict[str, Any]:
    """The pairs' figures averaged, overall and per label."""
    overall = _overall_of(pairs, len(raters.shared_docs))
    overall["per_label"] = {}
    for label in raters.labels:
        entries = [p["per_label"][label] for p in pairs]
        label_docs = sum(
            1
            for doc in raters.shared_docs
            if any(s[0] == label for name in raters.raters_of[doc] for s in raters.spans_of[name][doc])
        )
        overall["per_label"][label] = _overall_of(entries, label_docs)
    return overall


def _token_patterns(raters: _Raters) -> Counter:
    """Each token of a shared document as its sorted tags; identical patterns counted once with a weight.

    Most tokens look alike (everyone says O), so the many-rater coefficients
    work on a few hundred weighted patterns instead of every token.
    """
    patterns: Counter = Counter()
    for doc in raters.shared_docs:
        for column in zip(*(raters.tags_of(name, doc) for name in raters.raters_of[doc])):
            patterns[tuple(sorted(column))] += 1
    return patterns


def _many_per_label(raters: _Raters, weighted: list[tuple[Counter, int]], many: bool) -> dict[str, Any]:
    per_label = {}
    for label in raters.labels:
        folded: Counter = Counter()
        for counts, n in weighted:
            folded[tuple(sorted(_is_label(counts, label).items()))] += n
        binary = [(Counter(dict(pattern)), n) for pattern, n in folded.items()]
        per_label[label] = {
            "fleiss_kappa": _fleiss(binary) if many else None,
            "krippendorff_alpha": _krippendorff(binary),
        }
    return per_label


def _by_document(raters: _Raters) -> list[dict[str, Any]]:
    """Each shared document's mean pairwise strict F1 and kappa, lowest agreement first."""
    rows = []
    for doc in raters.shared_docs:
        names = raters.raters_of[doc]
        doc_pairs = list(combinations(names, 2))
        f1s = [_strict_f1(raters.spans_of[a][doc], raters.spans_of[b][doc]) for a, b in doc_pairs]
        kappas = [cohen_kappa(raters.tags_of(a, doc), raters.tags_of(b, doc)) for a, b in doc_pairs]
        rows.append(
            {
                "id": doc,
                "annotators": list(names),
                "f1_strict": _mean(f1s),
                "cohen_kappa": _mean(kappas),
                "spans": sum(len(raters.spans_of[name][doc]) for name in names),
            }
        )
    # A document where nobody marked anything agrees fully and comes last.
    rows.sort(key=lambda d: (1.0 if d["f1_strict"] is None else d["f1_strict"], str(d["id"])))
    return rows


def agreement(
    annotations: Mapping[str, Mapping[Hashable, Iterable[Any]]],
    *,
    tokens: Mapping[Hashable, list[tuple[int, int]]] | None = None,
    texts: Mapping[Hashable, str] | None = None,
    labels: Iterable[str] = (),
    tags: str = "label",
) -> dict[str, Any]:
    """Return {"annotators", "pairs", "overall", "fleiss_kappa", "krippendorff_alpha", "per_label", "by_document"}.

    `annotations` is {annotator: {doc_id: spans}}, spans as (label, start,
    end) triples, dicts or objects with those fields. Each document needs its
    token offsets in `tokens` or its text in `texts`. `labels` is the label
    set (per-label figures for these plus any other label used).
    """
    if tags not in ("label", "bio"):
        raise ValueError(f"unknown tags {tags!r} (label or bio)")
    raters = _Raters(annotations, tokens, texts, labels, tags)
    pairs = [_pair(raters, a, b) for a, b in combinations(raters.annotators, 2)]
    patterns = _token_patterns(raters)
    weighted = [(Counter(pattern), n) for pattern, n in patterns.items()]
    many = len(raters.annotators) >= 3
    return {
        "annotators": raters.annotators,
        "labels": raters.labels,
        "tags": tags,
        "tokens": sum(patterns.values()),
        "pairs": pairs,
        "overall": _overall(raters, pairs),
        "fleiss_kappa": _fleiss(weighted) if many else None,
        "krippendorff_alpha": _krippendorff(weighted),
        "per_label": _many_per_label(raters, weighted, many),
        "by_document": _by_document(raters),
    }


__all__ = ["agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "token_offsets", "token_tags"]
