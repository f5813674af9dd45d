"""Span scoring alone (annotator/evaluation/schemes.py strict, overlap, unlabelled): P/R/F1 with tp/fp/fn."""

import pytest

from collections import namedtuple

from annotator.evaluation.schemes import counts_entry, overlap, record_spans, span_scores, strict, unlabelled

Span = namedtuple("Span", "doc_id label start end")  # any (doc_id, label, start, end) tuple will do

# The hand-worked vector: "Police officers in New York City seized 3 kilograms of
# cocaine from the Sinaloa cartel on Monday."
TEXT = "Police officers in New York City seized 3 kilograms of cocaine from the Sinaloa cartel on Monday."
GOLD = [
    Span("d", "ACTOR", 0, 15),
    Span("d", "LOCATION", 19, 32),
    Span("d", "QUANTITY", 40, 51),
    Span("d", "ACTOR", 72, 86),
]
PRED = [
    Span("d", "ACTOR", 0, 15),
    Span("d", "LOCATION", 23, 32),
    Span("d", "ACTOR", 40, 51),
    Span("d", "QUANTITY", 90, 96),
]


def test_the_vector_spans_are_what_they_claim():
    assert [TEXT[s.start : s.end] for s in GOLD] == [
        "Police officers",
        "New York City",
        "3 kilograms",
        "Sinaloa cartel",
    ]
    assert [TEXT[s.start : s.end] for s in PRED] == ["Police officers", "York City", "3 kilograms", "Monday"]


def test_hand_worked_vector_strict_micro():
    micro = strict(GOLD, PRED)["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (1, 3, 3)
    assert micro["precision"] == micro["recall"] == micro["f1"] == pytest.approx(0.25)


def test_hand_worked_vector_strict_per_label_and_macro():
    result = strict(GOLD, PRED)
    per_label = result["per_label"]
    assert per_label["ACTOR"]["f1"] == pytest.approx(0.5)
    assert per_label["LOCATION"]["f1"] == 0.0
    assert per_label["QUANTITY"]["f1"] == 0.0
    assert result["macro"]["f1"] == pytest.approx(0.1667, abs=1e-4)


def test_hand_worked_vector_unlabelled():
    result = unlabelled(GOLD, PRED)
    assert (result["tp"], result["fp"], result["fn"]) == (2, 2, 2)
    assert result["f1"] == pytest.approx(0.5)


def test_hand_worked_vector_overlap():
    result = overlap(GOLD, PRED)
    assert (result["micro"]["tp"], result["micro"]["fp"], result["micro"]["fn"]) == (2, 2, 2)
    assert result["per_label"]["LOCATION"]["f1"] == 1.0  # "York City" overlaps "New York City"
    assert result["per_label"]["ACTOR"]["tp"] == 1  # "3 kilograms" is no ACTOR of the gold


def test_overlap_matches_one_to_one():
    gold = [Span("d", "ACTOR", 0, 10)]
    pred = [Span("d", "ACTOR", 0, 4), Span("d", "ACTOR", 5, 10)]
    micro = overlap(gold, pred)["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (1, 1, 0)


def test_overlap_finds_the_largest_matching():
    # A greedy pairing of the first gold span with the long prediction would leave one gold span unmatched.
    gold = [Span("d", "ACTOR", 0, 10), Span("d", "ACTOR", 12, 20)]
    pred = [Span("d", "ACTOR", 5, 15), Span("d", "ACTOR", 0, 3)]
    assert overlap(gold, pred)["micro"]["tp"] == 2


def test_overlap_needs_a_shared_character_and_the_same_document():
    gold = [Span("a", "LOCATION", 0, 5), Span("a", "LOCATION", 10, 15)]
    pred = [Span("a", "LOCATION", 5, 10), Span("b", "LOCATION", 10, 15)]
    assert overlap(gold, pred)["micro"]["tp"] == 0


def test_zero_over_zero_counts_as_zero():
    zero = counts_entry(0, 0, 0)
    assert zero["precision"] == zero["recall"] == zero["f1"] == 0.0
    result = strict([], [])
    assert result["micro"]["f1"] == 0.0 and result["macro"]["f1"] == 0.0 and result["per_label"] == {}
    assert strict([Span("d", "ACTOR", 0, 1)], [])["per_label"]["ACTOR"]["precision"] == 0.0


def test_inputs_may_be_tuples_dicts_or_records():
    as_tuples = [("d", "ACTOR", 0, 15)]
    as_dicts = [{"doc_id": "d", "label": "ACTOR", "start": 0, "end": 15}]
    records = [{"id": "d", "text": TEXT, "spans": [{"start": 0, "end": 15, "label": "ACTOR"}]}]
    assert strict(as_tuples, as_dicts)["micro"]["f1"] == 1.0
    assert record_spans(records) == [Span("d", "ACTOR", 0, 15)]


def test_duplicates_count_once():
    span = Span("d", "ACTOR", 0, 5)
    assert strict([span, span], [span])["micro"]["f1"] == 1.0


def test_unknown_scheme_is_an_error():
    with pytest.raises(ValueError):
        span_scores(GOLD, PRED, "fuzzy")
