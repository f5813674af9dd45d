"""The libraries as oracles: spaCy's Scorer, nervaluate 1.2.1 and seqeval agree with our scores.

Random documents are built from tokens so every span aligns to tokens (where
spaCy and seqeval can see it). For nervaluate the cases are built so that no
span overlaps two spans of the other side: there its greedy matching, made
per prediction in list order, and ours agree. nervaluate takes inclusive
ends, so ends are given minus one.
"""

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from nervaluate import Evaluator
from seqeval.metrics import classification_report
from seqeval.metrics import f1_score as seqeval_f1
from seqeval.scheme import IOB2
from spacy.scorer import Scorer, get_ner_prf
from spacy.tokens import Doc
from spacy.training import Example

from annotator.evaluation.schemes import evaluate

from .vector import GOLD, LABELS, PRED, TEXT, on

NLP = spacy.blank("en")
WORDS = [f"w{i}" for i in range(40)]  # "w0 w1 ... w39": token i is chars [offset(i), offset(i) + len)
OFFSETS = []
_at = 0
for _word in WORDS:
    OFFSETS.append((_at, _at + len(_word)))
    _at += len(_word) + 1


def chars(label, first, last):
    """The character span of tokens [first, last)."""
    return (label, OFFSETS[first][0], OFFSETS[last - 1][1])


token_spans = st.lists(
    st.tuples(st.sampled_from(LABELS), st.integers(0, len(WORDS) - 1), st.integers(1, 4)), max_size=10
).map(
    lambda raw: _no_overlaps([(label, first, min(first + n, len(WORDS))) for label, first, n in raw])
)


def _no_overlaps(spans):
    kept, taken = [], set()
    for label, first, last in spans:
        if not taken & set(range(first, last)):
            kept.append((label, first, last))
            taken |= set(range(first, last))
    return kept


corpora = st.lists(st.tuples(token_spans, token_spans), min_size=1, max_size=4)


def _ours(corpus):
    gold = [(i, *chars(*s)) for i, (g, _) in enumerate(corpus) for s in g]
    pred = [(i, *chars(*s)) for i, (_, p) in enumerate(corpus) for s in p]
    return evaluate(gold, pred, documents=range(len(corpus)), labels=LABELS).as_dict()["schemes"]


# ---------------------------------------------------------------- spaCy


def _example(gold, pred):
    reference, predicted = Doc(NLP.vocab, words=WORDS), Doc(NLP.vocab, words=WORDS)
    reference.ents = [spacy.tokens.Span(reference, first, last, label=label) for label, first, last in gold]
    predicted.ents = [spacy.tokens.Span(predicted, first, last, label=label) for label, first, last in pred]
    return Example(predicted, reference)


@settings(max_examples=150, deadline=None)
@given(corpora)
def test_strict_equals_spacy_scorer(corpus):
    examples = [_example(g, p) for g, p in corpus]
    ours = _ours(corpus)["strict"]
    for scores in (Scorer.score_spans(examples, "ents"), get_ner_prf(examples)):
        assert ours["micro"]["f1"] == pytest.approx(scores["ents_f"] or 0.0)
        assert ours["micro"]["precision"] == pytest.approx(scores["ents_p"] or 0.0)
        assert ours["micro"]["recall"] == pytest.approx(scores["ents_r"] or 0.0)
        for label, theirs in (scores["ents_per_type"] or {}).items():
            assert ours["per_label"][label]["f1"] == pytest.approx(theirs["f"])
            assert ours["per_label"][label]["precision"] == pytest.approx(theirs["p"])
            assert ours["per_label"][label]["recall"] == pytest.approx(theirs["r"])


def test_the_vector_equals_spacy_scorer():
    doc = NLP(TEXT)
    reference, predicted = NLP.make_doc(TEXT), NLP.make_doc(TEXT)
    reference.ents = [reference.char_span(s, e, label=label) for label, s, e in GOLD]
    predicted.ents = [predicted.char_span(s, e, label=label) for label, s, e in PRED]
    assert len(doc) == 18
    scores = Scorer.score_spans([Example(predicted, reference)], "ents")
    ours = evaluate(on("d", GOLD), on("d", PRED), labels=LABELS).as_dict()["schemes"]["strict"]
    assert scores["ents_f"] == pytest.approx(ours["micro"]["f1"]) == pytest.approx(0.25)
    assert {k: v["f"] for k, v in scores["ents_per_type"].items()} == {
        k: pytest.approx(v["f1"]) for k, v in ours["per_label"].items()
    }


# ---------------------------------------------------------------- nervaluate

NERVALUATE_SCHEMES = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}


def _nervaluate(gold_docs, pred_docs):
    as_dicts = lambda docs: [[{"label": l, "start": s, "end": e - 1} for l, s, e in doc] for doc in docs]  # noqa: E731
    return Evaluator(as_dicts(gold_docs), as_dicts(pred_docs), tags=LABELS, loader="dict").evaluate()


def _assert_same(ours, theirs):
    for scheme, name in NERVALUATE_SCHEMES.items():
        views = [(ours[scheme]["micro"], theirs["overall"][name])]
        views += [(ours[scheme]["per_label"][label], theirs["entities"][label][name]) for label in theirs["entities"]]
        for mine, result in views:
            counts = (result.correct, result.incorrect, result.partial, result.missed, result.spurious)
            assert (mine["cor"], mine["inc"], mine["par"], mine["mis"], mine["spu"]) == counts, scheme
            assert mine["precision"] == pytest.approx(result.precision)
            assert mine["recall"] == pytest.approx(result.recall)
            assert mine["f1"] == pytest.approx(result.f1)


def test_the_vector_equals_nervaluate():
    theirs = _nervaluate([GOLD], [PRED])
    ours = evaluate(on(0, GOLD), on(0, PRED), labels=LABELS).as_dict()["schemes"]
    _assert_same(ours, theirs)


# One unambiguous "slot" of text: a pair of spans of some kind, a lone gold span or a lone prediction.
slot = st.tuples(
    st.sampled_from(["correct", "label", "boundary", "label_boundary", "missed", "spurious"]),
    st.sampled_from(LABELS),
    st.sampled_from(LABELS),
    st.integers(2, 30),  # length
    st.integers(-3, 3),  # start shift of the prediction
    st.integers(-3, 3),  # end shift
)


def _document(slots):
    gold, pred, at = [], [], 0
    for kind, label, other, length, ds, de in slots:
        start, end = at + 5, at + 5 + length
        other = other if other != label else LABELS[(LABELS.index(label) + 1) % len(LABELS)]
        if (ds, de) == (0, 0) or end + de <= start + ds:
            ds, de = 1, 0
        if kind in ("correct", "label", "boundary", "label_boundary", "missed"):
            gold.append((label, start, end))
        if kind == "correct":
            pred.append((label, start, end))
        elif kind == "label":
            pred.append((other, start, end))
        elif kind == "boundary":
            pred.append((label, start + ds, end + de))
        elif kind == "label_boundary":
            pred.append((other, start + ds, end + de))
        elif kind == "spurious":
            pred.append((label, start, end))
        at = end + 10
    return gold, pred


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(slot, max_size=8), min_size=1, max_size=4), st.randoms())
def test_semeval_schemes_equal_nervaluate_where_matchings_agree(docs, rnd):
    built = [_document(slots) for slots in docs]
    gold_docs = [g for g, _ in built]
    pred_docs = [p for _, p in built]
    for doc in pred_docs:
        rnd.shuffle(doc)  # nervaluate's greedy order does not matter here
    theirs = _nervaluate(gold_docs, pred_docs)
    gold = [(i, *s) for i, doc in enumerate(gold_docs) for s in doc]
    pred = [(i, *s) for i, doc in enumerate(pred_docs) for s in doc]
    ours = evaluate(gold, pred, documents=range(len(built)), labels=LABELS).as_dict()["schemes"]
    _assert_same(ours, theirs)


def test_where_nervaluate_and_we_differ_we_pair_by_largest_overlap():
    # Two predictions overlap one gold span: nervaluate's strict pairs the first in list order, we the larger.
    gold = [("ACTOR", 0, 20)]
    pred = [("ACTOR", 0, 3), ("ACTOR", 2, 20)]
    result = evaluate(on(0, gold), on(0, pred), keep_outcomes=True).outcomes[0]
    assert [(o.kind, o.pred) for o in result] == [("spurious", ("ACTOR", 0, 3)), ("boundary", ("ACTOR", 2, 20))]
    theirs = _nervaluate([gold], [pred])["overall"]["partial"]
    assert (theirs.partial, theirs.spurious) == (1, 1)  # the same counts, the other pair


# ---------------------------------------------------------------- seqeval


def _iob2(spans):
    tags = ["O"] * len(WORDS)
    for label, first, last in spans:
        tags[first] = f"B-{label}"
        for i in range(first + 1, last):
            tags[i] = f"I-{label}"
    return tags


@settings(max_examples=150, deadline=None)
@given(corpora)
def test_strict_equals_seqeval_on_iob2(corpus):
    y_true = [_iob2(g) for g, _ in corpus]
    y_pred = [_iob2(p) for _, p in corpus]
    ours = _ours(corpus)["strict"]
    if not any(y != ["O"] * len(WORDS) for y in y_true + y_pred):
        return  # seqeval warns and has no labels to report
    assert ours["micro"]["f1"] == pytest.approx(
        seqeval_f1(y_true, y_pred, mode="strict", scheme=IOB2, zero_division=0)
    )
    report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    labels = {t[2:] for y in y_true + y_pred for t in y if t != "O"}
    for label in labels:
        entry, theirs = ours["per_label"][label], report[label]
        assert entry["precision"] == pytest.approx(theirs["precision"])
        assert entry["recall"] == pytest.approx(theirs["recall"])
        assert entry["f1"] == pytest.approx(theirs["f1-score"])
